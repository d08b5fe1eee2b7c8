// The sans-I/O handler against a fake file system: every status code without a socket.
#include "handler_fixture.hpp"

namespace {

using namespace netlab::webd::test;

TEST_F(Handler, ServesAFileWithAllHeaders) {
    auto const r = run(get("/notes.txt"));
    EXPECT_EQ(r.status(), 200);
    EXPECT_TRUE(wire(r).starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_TRUE(has(r, "Server: webd"));
    EXPECT_TRUE(has(r, "Date: Wed, 25 Nov 2026 12:00:00 GMT"));
    EXPECT_TRUE(has(r, "Content-Type: text/plain"));
    EXPECT_TRUE(has(r, "Content-Length: 100"));
    EXPECT_TRUE(has(r, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT"));
    EXPECT_TRUE(has(r, "ETag: \"2ebc98a1-64\""));
    EXPECT_TRUE(has(r, "Accept-Ranges: bytes"));
    EXPECT_TRUE(has(r, "Connection: keep-alive"));
    EXPECT_TRUE(wire(r).ends_with("\r\n\r\n"));
    EXPECT_TRUE(r.file);
    EXPECT_EQ(r.file_offset, 0u);
    EXPECT_EQ(r.file_length, 100u);
    EXPECT_TRUE(r.keep_alive);
}

TEST_F(Handler, RootAndDirectoriesServeIndexHtml) {
    auto const r = run(get("/"));
    EXPECT_EQ(r.status(), 200);
    EXPECT_TRUE(has(r, "Content-Type: text/html"));
    EXPECT_EQ(r.file_length, 1523u);
    EXPECT_EQ(files.opened.back(), "index.html");
}

TEST_F(Handler, DirectoryWithoutSlashRedirects) {
    auto const r = run(get("/images?x=1"));
    EXPECT_EQ(r.status(), 301);
    EXPECT_TRUE(has(r, "Location: /images/?x=1"));
    EXPECT_FALSE(r.body.empty());
    EXPECT_TRUE(r.keep_alive);
}

TEST_F(Handler, RedirectLocationIsEncodedAndNeverProtocolRelative) {
    files.dir("a b");
    auto const r = run(get("//a%20b"));
    EXPECT_EQ(r.status(), 301);
    EXPECT_TRUE(has(r, "Location: /a%20b/"));
}

TEST_F(Handler, DirectoryWithoutIndexIsForbidden) {
    EXPECT_EQ(run(get("/empty/")).status(), 403);
}

TEST_F(Handler, MissingFileIs404WithSeedPhraseAndHtmlBody) {
    auto const r = run(get("/nope.html"));
    EXPECT_EQ(r.status(), 404);
    EXPECT_TRUE(wire(r).starts_with("HTTP/1.1 404 NOT FOUND\r\n"));
    EXPECT_TRUE(has(r, "Content-Type: text/html"));
    EXPECT_NE(r.body.find("<h1>404 NOT FOUND</h1>"), std::string::npos);
    EXPECT_TRUE(has(r, "Content-Length: " + std::to_string(r.body.size())));
    EXPECT_TRUE(r.keep_alive);
}

TEST_F(Handler, NonRegularFilesAreNotServed) {
    EXPECT_EQ(run(get("/fifo")).status(), 404);
}

TEST_F(Handler, OpenErrorsMapToStatuses) {
    files.errors["escape"] = std::errc::cross_device_link;
    files.errors["loop"] = std::errc::too_many_symbolic_link_levels;
    files.errors["secret"] = std::errc::permission_denied;
    files.errors["notes.txt/x"] = std::errc::not_a_directory;
    files.errors["io"] = std::errc::io_error;
    EXPECT_EQ(run(get("/escape")).status(), 403);
    EXPECT_EQ(run(get("/loop")).status(), 403);
    EXPECT_EQ(run(get("/secret")).status(), 403);
    EXPECT_EQ(run(get("/notes.txt/x")).status(), 404);
    EXPECT_EQ(run(get("/io")).status(), 500);
}

TEST_F(Handler, HeadHasNoBodyButTheSameLength) {
    auto req = get("/notes.txt");
    req.method = "HEAD";
    auto const r = run(req);
    EXPECT_EQ(r.status(), 200);
    EXPECT_TRUE(has(r, "Content-Length: 100"));
    EXPECT_FALSE(r.file);
    EXPECT_EQ(r.body_bytes(), 0u);

    auto missing = get("/nope");
    missing.method = "HEAD";
    auto const m = run(missing);
    EXPECT_EQ(m.status(), 404);
    EXPECT_TRUE(m.body.empty());
    EXPECT_EQ(wire(m).find("Content-Length: 0\r\n"), std::string::npos);
}

TEST_F(Handler, OtherKnownMethodsGet405WithAllow) {
    for (auto const* m : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND"}) {
        auto req = get("/");
        req.method = m;
        auto const r = run(req);
        EXPECT_EQ(r.status(), 405) << m;
        EXPECT_TRUE(has(r, "Allow: GET, HEAD")) << m;
        EXPECT_TRUE(r.keep_alive) << m;
    }
}

TEST_F(Handler, UnknownMethodsGet501) {
    for (auto const* m : {"BREW", "get", "FOO"}) {
        auto req = get("/");
        req.method = m;
        auto const r = run(req);
        EXPECT_EQ(r.status(), 501) << m;
        EXPECT_FALSE(r.keep_alive) << m; // a method we cannot frame: close, as nginx does
    }
}

TEST_F(Handler, OnlyHttp10And11) {
    for (unsigned v : {9u, 12u, 20u, 30u}) {
        auto req = get("/");
        req.version = v;
        auto const r = run(req);
        EXPECT_EQ(r.status(), 505) << v;
        EXPECT_FALSE(r.keep_alive);
    }
}

TEST_F(Handler, HostRules) {
    auto req = get("/");
    req.host_count = 0;
    EXPECT_EQ(run(req).status(), 400); // HTTP/1.1 without Host
    req.host_count = 2;
    auto const two = run(req);
    EXPECT_EQ(two.status(), 400);
    EXPECT_FALSE(two.keep_alive);
    req.version = 10;
    req.host_count = 0;
    EXPECT_EQ(run(req).status(), 200); // HTTP/1.0 may omit it
    req.host_count = 2;
    EXPECT_EQ(run(req).status(), 400);
}

TEST_F(Handler, InvalidHostValuesAre400AndClose) {
    for (unsigned const version : {11u, 10u}) {
        for (std::string_view const host :
             {"a b", "a\"b", "a/b", "a\tb", "a\r\n b", "a@b", "a:x", "[::1", "example.com/"}) {
            auto req = get("/notes.txt");
            req.version = version;
            req.host = host;
            auto const r = run(req);
            EXPECT_EQ(r.status(), 400) << host;
            EXPECT_FALSE(r.keep_alive) << host;
        }
        for (std::string_view const host :
             {"example.com", "a:8080", "[::1]:10080", "10.0.0.1", ""}) {
            auto req = get("/notes.txt");
            req.version = version;
            req.host = host;
            EXPECT_EQ(run(req).status(), 200) << host;
        }
    }
    EXPECT_EQ(run(get("http:///notes.txt")).status(), 400); // absolute-form, empty host
    EXPECT_FALSE(run(get("http:///notes.txt")).keep_alive);
    EXPECT_EQ(run(get("http://user@x/notes.txt")).status(), 400);
    EXPECT_EQ(run(get("http://x:80/notes.txt")).status(), 200);
}

TEST_F(Handler, SmugglingShapesCloseWith400) {
    auto te = get("/");
    te.transfer_encoding = true;
    auto const r1 = run(te);
    EXPECT_EQ(r1.status(), 400);
    EXPECT_FALSE(r1.keep_alive);

    auto dup = get("/");
    dup.content_length_count = 2;
    dup.content_length = 5;
    EXPECT_EQ(run(dup).status(), 400);
    EXPECT_FALSE(run(dup).keep_alive);

    auto bad = get("/");
    bad.content_length_count = 1;
    bad.content_length_invalid = true;
    EXPECT_EQ(run(bad).status(), 400);
}

TEST_F(Handler, BodiesAreDiscardedOrRefused) {
    auto small = get("/notes.txt");
    small.content_length_count = 1;
    small.content_length = 10;
    auto const r = run(small);
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.discard_body, 10u);

    auto big = get("/");
    big.content_length_count = 1;
    big.content_length = 64 * 1024 + 1;
    auto const b = run(big);
    EXPECT_EQ(b.status(), 413);
    EXPECT_FALSE(b.keep_alive);
}

TEST_F(Handler, ExpectContinueIsAnsweredAtOnceAndClosed) {
    auto req = get("/notes.txt");
    req.method = "POST";
    req.content_length_count = 1;
    req.content_length = 1000;
    req.expect_continue = true;
    auto const r = run(req);
    EXPECT_EQ(r.status(), 405);
    EXPECT_FALSE(r.keep_alive); // no waiting for a body that will not come
    req.expect_continue = false;
    auto const plain = run(req);
    EXPECT_TRUE(plain.keep_alive);
    EXPECT_EQ(plain.discard_body, 1000u);
}

TEST_F(Handler, KeepAliveRules) {
    auto req = get("/notes.txt");
    EXPECT_TRUE(run(req).keep_alive);
    req.connection_close = true;
    auto const closing = run(req);
    EXPECT_FALSE(closing.keep_alive);
    EXPECT_TRUE(has(closing, "Connection: close"));

    auto old = get("/notes.txt");
    old.version = 10;
    EXPECT_FALSE(run(old).keep_alive);
    old.connection_keep_alive = true;
    EXPECT_TRUE(run(old).keep_alive);

    EXPECT_FALSE(run(get("/notes.txt"), /*draining=*/true).keep_alive);
}

TEST_F(Handler, BadTargetsAre400) {
    for (auto const* t : {"/%", "/a%zz", "/a%00", "/a\\b", "/..", "*", "x"}) {
        auto const r = run(get(t));
        EXPECT_EQ(r.status(), 400) << t;
        EXPECT_FALSE(r.keep_alive) << t; // as nginx: a 400 always ends the connection
        EXPECT_TRUE(has(r, "Connection: close")) << t;
    }
}

TEST_F(Handler, IfNoneMatchGives304) {
    auto req = get("/notes.txt");
    req.has_if_none_match = true;
    req.if_none_match = "\"2ebc98a1-64\"";
    auto const r = run(req);
    EXPECT_EQ(r.status(), 304);
    EXPECT_TRUE(has(r, "ETag: \"2ebc98a1-64\""));
    EXPECT_FALSE(r.file);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(wire(r).find("Content-Length"), std::string::npos);

    req.if_none_match = "\"other\"";
    req.has_if_modified_since = true;
    req.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT"; // ignored: If-None-Match wins
    EXPECT_EQ(run(req).status(), 200);
}

TEST_F(Handler, IfModifiedSinceGives304WhenNotNewer) {
    auto req = get("/notes.txt");
    req.has_if_modified_since = true;
    req.if_modified_since = "Sun, 06 Nov 1994 08:49:37 GMT";
    EXPECT_EQ(run(req).status(), 304);
    req.if_modified_since = "Mon, 07 Nov 1994 00:00:00 GMT";
    EXPECT_EQ(run(req).status(), 304);
    req.if_modified_since = "Sun, 06 Nov 1994 08:49:36 GMT";
    EXPECT_EQ(run(req).status(), 200);
    req.if_modified_since = "not a date";
    EXPECT_EQ(run(req).status(), 200);
}

TEST_F(Handler, RangeGives206) {
    auto req = get("/notes.txt");
    req.has_range = true;
    req.range = "bytes=10-19";
    auto const r = run(req);
    EXPECT_EQ(r.status(), 206);
    EXPECT_TRUE(has(r, "Content-Range: bytes 10-19/100"));
    EXPECT_TRUE(has(r, "Content-Length: 10"));
    EXPECT_EQ(r.file_offset, 10u);
    EXPECT_EQ(r.file_length, 10u);

    req.range = "bytes=-5";
    auto const tail = run(req);
    EXPECT_TRUE(has(tail, "Content-Range: bytes 95-99/100"));
}

TEST_F(Handler, UnsatisfiableRangeGives416) {
    auto req = get("/notes.txt");
    req.has_range = true;
    req.range = "bytes=100-";
    auto const r = run(req);
    EXPECT_EQ(r.status(), 416);
    EXPECT_TRUE(has(r, "Content-Range: bytes */100"));
    EXPECT_TRUE(r.keep_alive);
}

TEST_F(Handler, MultipleRangesGiveTheWholeFile) {
    auto req = get("/notes.txt");
    req.has_range = true;
    req.range = "bytes=0-1,3-4";
    auto const r = run(req);
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.file_length, 100u);
}

TEST_F(Handler, IfRangeMustMatchForPartialContent) {
    auto req = get("/notes.txt");
    req.has_range = true;
    req.range = "bytes=0-0";
    req.has_if_range = true;
    req.if_range = "\"2ebc98a1-64\"";
    EXPECT_EQ(run(req).status(), 206);
    req.if_range = "\"stale\"";
    EXPECT_EQ(run(req).status(), 200);
    req.if_range = "Sun, 06 Nov 1994 08:49:37 GMT";
    EXPECT_EQ(run(req).status(), 206);
    req.if_range = "Sun, 06 Nov 1994 08:49:38 GMT";
    EXPECT_EQ(run(req).status(), 200);
}

TEST_F(Handler, EmptyFileHasNoBody) {
    auto const r = run(get("/zero.txt"));
    EXPECT_EQ(r.status(), 200);
    EXPECT_TRUE(has(r, "Content-Length: 0"));
    EXPECT_FALSE(r.file);
}

TEST(ErrorResponse, CarriesSmallHtmlAndClose) {
    auto const r = w::make_error_response(431, {"D", false}, false);
    EXPECT_TRUE(wire(r).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    EXPECT_NE(wire(r).find("Connection: close\r\n"), std::string::npos);
    EXPECT_NE(r.body.find("<html>"), std::string::npos);
    EXPECT_LT(r.body.size(), 512u);
}

} // namespace
