// Preconditions against the fake file system: every combination of If-Match and
// If-Unmodified-Since with the later conditionals, Range and HEAD.
#include "handler_fixture.hpp"

namespace {

using namespace netlab::webd::test;

// Preconditions (RFC 9110 13.2.2): If-Match, else If-Unmodified-Since, decide first (412);
// then If-None-Match, else If-Modified-Since (304); then If-Range with Range (206 or 200).
class Preconditions : public Handler {
protected:
    static constexpr std::string_view etag = "\"2ebc98a1-64\""; // notes.txt
    static constexpr std::string_view at_mtime = "Sun, 06 Nov 1994 08:49:37 GMT";
    static constexpr std::string_view before = "Sun, 06 Nov 1994 08:49:36 GMT";

    w::request_head req(std::string_view method = "GET") {
        auto r = get("/notes.txt");
        r.method = method;
        return r;
    }
    static void if_match(w::request_head& r, std::string_view v) {
        r.has_if_match = true;
        r.if_match = v;
    }
    static void if_unmodified_since(w::request_head& r, std::string_view v) {
        r.has_if_unmodified_since = true;
        r.if_unmodified_since = v;
    }
    static void if_none_match(w::request_head& r, std::string_view v) {
        r.has_if_none_match = true;
        r.if_none_match = v;
    }
    static void if_modified_since(w::request_head& r, std::string_view v) {
        r.has_if_modified_since = true;
        r.if_modified_since = v;
    }
    static void range(w::request_head& r, std::string_view v, std::string_view if_range = {}) {
        r.has_range = true;
        r.range = v;
        r.has_if_range = !if_range.empty();
        r.if_range = if_range;
    }
};

TEST_F(Preconditions, IfMatchUsesTheStrongComparison) {
    for (std::string_view const v : {"\"2ebc98a1-64\"", "*", " * ", "\"a\", \"2ebc98a1-64\"",
                                     "\"a\",\"2ebc98a1-64\" , \"b\""}) {
        auto r = req();
        if_match(r, v);
        EXPECT_EQ(run(r).status(), 200) << v;
    }
    for (std::string_view const v : {"\"stale\"", "W/\"2ebc98a1-64\"", "2ebc98a1-64", "",
                                     "\"2ebc98a1-64", "\"a\", W/\"2ebc98a1-64\"", "*, \"x\""}) {
        auto r = req();
        if_match(r, v);
        auto const f = run(r);
        EXPECT_EQ(f.status(), 412) << v;
        EXPECT_TRUE(wire(f).starts_with("HTTP/1.1 412 Precondition Failed\r\n")) << v;
        EXPECT_NE(f.body.find("<h1>412 Precondition Failed</h1>"), std::string::npos) << v;
        EXPECT_FALSE(f.file) << v;
        EXPECT_TRUE(f.keep_alive) << v; // an answer like 404: the stream is in sync
    }
}

TEST_F(Preconditions, FailedIfMatchBeatsRangeHeadAndConditionals) {
    auto ranged = req();
    if_match(ranged, "\"stale\"");
    range(ranged, "bytes=0-9");
    EXPECT_EQ(run(ranged).status(), 412); // a resumed download must not splice two versions
    range(ranged, "bytes=0-9", etag);
    EXPECT_EQ(run(ranged).status(), 412);
    range(ranged, "bytes=500-"); // would be 416
    EXPECT_EQ(run(ranged).status(), 412);

    auto head = req("HEAD");
    if_match(head, "\"stale\"");
    auto const h = run(head);
    EXPECT_EQ(h.status(), 412);
    EXPECT_TRUE(h.body.empty());
    EXPECT_TRUE(has(h, "Content-Length: " + std::to_string(run(ranged).body.size())));

    auto cond = req();
    if_match(cond, "\"stale\"");
    if_none_match(cond, etag); // would be 304
    EXPECT_EQ(run(cond).status(), 412);
    cond.has_if_none_match = false;
    if_modified_since(cond, at_mtime); // would be 304
    EXPECT_EQ(run(cond).status(), 412);

    auto closing = req();
    closing.connection_close = true;
    if_match(closing, "\"stale\"");
    EXPECT_FALSE(run(closing).keep_alive);
}

TEST_F(Preconditions, IfUnmodifiedSince) {
    auto r = req();
    if_unmodified_since(r, before); // modified after that date
    EXPECT_EQ(run(r).status(), 412);
    range(r, "bytes=0-9");
    EXPECT_EQ(run(r).status(), 412);
    auto head = req("HEAD");
    if_unmodified_since(head, before);
    EXPECT_EQ(run(head).status(), 412);

    if_unmodified_since(r, at_mtime);
    EXPECT_EQ(run(r).status(), 206);
    if_unmodified_since(r, "Mon, 07 Nov 1994 00:00:00 GMT");
    EXPECT_EQ(run(r).status(), 206);
    if_unmodified_since(r, "not a date"); // RFC 9110 13.1.4: an invalid date is ignored
    EXPECT_EQ(run(r).status(), 206);
}

TEST_F(Preconditions, IfMatchWinsOverIfUnmodifiedSince) {
    auto r = req();
    if_match(r, etag);
    if_unmodified_since(r, before); // not evaluated when If-Match is present
    EXPECT_EQ(run(r).status(), 200);
    if_match(r, "\"stale\"");
    if_unmodified_since(r, at_mtime);
    EXPECT_EQ(run(r).status(), 412);
}

TEST_F(Preconditions, PassingPreconditionsLeaveTheLaterStepsAlone) {
    for (bool const by_tag : {true, false}) {
        auto r = req();
        if (by_tag)
            if_match(r, etag);
        else
            if_unmodified_since(r, at_mtime);
        if_none_match(r, etag);
        EXPECT_EQ(run(r).status(), 304) << by_tag;
        r.has_if_none_match = false;
        if_modified_since(r, at_mtime);
        EXPECT_EQ(run(r).status(), 304) << by_tag;
        if_modified_since(r, before);
        EXPECT_EQ(run(r).status(), 200) << by_tag;
        r.has_if_modified_since = false;
        range(r, "bytes=0-9");
        EXPECT_EQ(run(r).status(), 206) << by_tag;
        range(r, "bytes=0-9", etag);
        EXPECT_EQ(run(r).status(), 206) << by_tag;
        range(r, "bytes=0-9", "\"stale\"");
        EXPECT_EQ(run(r).status(), 200) << by_tag;
        range(r, "bytes=500-");
        EXPECT_EQ(run(r).status(), 416) << by_tag;
        r.method = "HEAD";
        range(r, "bytes=0-9");
        EXPECT_EQ(run(r).status(), 206) << by_tag;
    }
}

TEST_F(Preconditions, OnlyApplyToAFileThatIsServed) {
    // RFC 9110 13.2.1: preconditions are ignored when the answer would not be a 2xx anyway.
    auto missing = get("/nope");
    if_match(missing, "*");
    EXPECT_EQ(run(missing).status(), 404);
    auto dir = get("/images");
    if_match(dir, "\"stale\"");
    EXPECT_EQ(run(dir).status(), 301);
    auto post = req("POST");
    if_unmodified_since(post, before);
    EXPECT_EQ(run(post).status(), 405);
}

} // namespace
