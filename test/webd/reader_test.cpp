// request_reader: Beast's parser with webd's limits, fed like a socket would feed it.
#include <netlab/common/http/host.hpp>
#include <netlab/webd/request_reader.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace w = netlab::webd;
using state = w::request_reader::state;

constexpr std::string_view simple = "GET /a.txt?q=1 HTTP/1.1\r\n"
                                    "Host: example\r\n"
                                    "User-Agent: test/1.0\r\n"
                                    "Referer: http://r/\r\n"
                                    "Connection: keep-alive, Upgrade\r\n"
                                    "If-None-Match: \"x\"\r\n"
                                    "Range: bytes=0-1\r\n"
                                    "\r\n";

TEST(Reader, ParsesAHead) {
    w::request_reader r;
    auto const out = r.feed(simple);
    ASSERT_EQ(out.status, state::done);
    EXPECT_EQ(out.consumed, simple.size());
    auto const& h = r.head();
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.target, "/a.txt?q=1");
    EXPECT_EQ(h.version, 11u);
    EXPECT_EQ(h.host_count, 1u);
    EXPECT_EQ(h.user_agent, "test/1.0");
    EXPECT_EQ(h.referer, "http://r/");
    EXPECT_TRUE(h.connection_keep_alive);
    EXPECT_FALSE(h.connection_close);
    EXPECT_TRUE(h.has_if_none_match);
    EXPECT_EQ(h.if_none_match, "\"x\"");
    EXPECT_EQ(h.range, "bytes=0-1");
    EXPECT_FALSE(h.transfer_encoding);
    EXPECT_FALSE(h.expect_continue);
    w::request_reader e;
    ASSERT_EQ(e.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                     "Content-Length: 5\r\n\r\n")
                  .status,
              state::done);
    EXPECT_TRUE(e.head().expect_continue);
}

TEST(Reader, EverySplitPointGivesTheSameHead) {
    for (std::size_t cut = 0; cut < simple.size(); ++cut) {
        w::request_reader r;
        auto const first = r.feed(simple.substr(0, cut));
        ASSERT_EQ(first.status, state::need_more) << cut;
        auto const out = r.feed(simple);
        ASSERT_EQ(out.status, state::done) << cut;
        EXPECT_EQ(out.consumed, simple.size());
        EXPECT_EQ(r.head().target, "/a.txt?q=1");
    }
}

TEST(Reader, PipelinedHeadsComeOneAtATime) {
    std::string const two = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    w::request_reader r;
    auto const a = r.feed(two);
    ASSERT_EQ(a.status, state::done);
    EXPECT_EQ(r.head().target, "/1");
    r.reset();
    auto const b = r.feed(std::string_view{two}.substr(a.consumed));
    ASSERT_EQ(b.status, state::done);
    EXPECT_EQ(r.head().method, "HEAD");
    EXPECT_EQ(r.head().target, "/2");
    EXPECT_EQ(a.consumed + b.consumed, two.size());
}

// The reader keeps its state object from message to message: nothing of one head may leak
// into the next, and release() (an idle connection's) changes nothing either.
TEST(Reader, ResetAndReleaseForgetThePreviousHead) {
    w::request_reader r;
    ASSERT_EQ(r.feed("\r\nPOST /1 HTTP/1.0\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
                     "If-None-Match: \"y\"\r\nRange: bytes=0-1\r\nConnection: close\r\n"
                     "If-Match: \"m\"\r\nIf-Match: \"n\"\r\n"
                     "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                     "Content-Length: 3\r\nUser-Agent: u\r\n\r\n")
                  .status,
              state::done);
    EXPECT_EQ(r.head().if_none_match, "\"x\", \"y\"");
    EXPECT_EQ(r.head().if_match, "\"m\", \"n\"");
    for (bool const release : {false, true}) {
        r.reset();
        if (release)
            r.release();
        std::string_view const plain = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        auto const out = r.feed(plain);
        ASSERT_EQ(out.status, state::done);
        EXPECT_EQ(out.consumed, plain.size());
        auto const& h = r.head();
        EXPECT_EQ(h.method, "GET");
        EXPECT_EQ(h.target, "/2");
        EXPECT_EQ(h.version, 11U);
        EXPECT_EQ(h.host_count, 1U);
        EXPECT_FALSE(h.has_if_none_match);
        EXPECT_EQ(h.if_none_match, "");
        EXPECT_FALSE(h.has_if_match);
        EXPECT_EQ(h.if_match, "");
        EXPECT_FALSE(h.has_if_unmodified_since);
        EXPECT_EQ(h.host, "a");
        EXPECT_FALSE(h.has_range);
        EXPECT_FALSE(h.connection_close);
        EXPECT_EQ(h.content_length_count, 0U);
        EXPECT_EQ(h.user_agent, "");
    }
}

TEST(Reader, LongRequestLineIs414) {
    w::request_reader r;
    std::string const line = "GET /" + std::string(9000, 'a');
    auto const out = r.feed(line); // no newline yet: already too long
    EXPECT_EQ(out.status, state::error);
    EXPECT_EQ(out.error_status, 414u);
    w::request_reader r2;
    EXPECT_EQ(r2.feed(line + " HTTP/1.1\r\nHost: a\r\n\r\n").error_status, 414u);
}

TEST(Reader, LargeHeadIs431) {
    std::string head = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 400; ++i)
        head += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
    head += "\r\n";
    w::request_reader r;
    auto const out = r.feed(head);
    EXPECT_EQ(out.status, state::error);
    EXPECT_EQ(out.error_status, 431u);
    w::request_reader partial;
    EXPECT_EQ(partial.feed(std::string_view{head}.substr(0, 17000)).error_status, 431u);
}

TEST(Reader, DeclaredBodyOverTheLimitIs413) {
    w::request_reader r{{8 * 1024, 16 * 1024, 100}};
    auto const out = r.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n");
    EXPECT_EQ(out.status, state::error);
    EXPECT_EQ(out.error_status, 413u);
    w::request_reader ok{{8 * 1024, 16 * 1024, 100}};
    EXPECT_EQ(ok.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n").status,
              state::done);
}

TEST(Reader, MalformedIs400) {
    for (std::string_view bad : {"GET\r\n\r\n", "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
                                 "GET / FTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                                 "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
                                 " GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1.1\r\n\r\n"}) {
        w::request_reader r;
        auto const out = r.feed(bad);
        EXPECT_EQ(out.status, state::error) << bad;
        EXPECT_EQ(out.error_status, 400u) << bad;
    }
}

TEST(Reader, ReportsFramingFieldsForTheHandler) {
    {
        w::request_reader r;
        auto const out = r.feed("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
        // Beast may refuse it itself or pass it on; either way it never reaches a 200.
        if (out.status == state::done)
            EXPECT_TRUE(r.head().transfer_encoding);
        else
            EXPECT_EQ(out.error_status, 400u);
    }
    {
        w::request_reader r;
        auto const out = r.feed("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
        ASSERT_EQ(out.status, state::done);
        EXPECT_EQ(r.head().content_length, 5u);
        EXPECT_EQ(
            out.consumed,
            std::string_view{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"}.size());
    }
    {
        w::request_reader r;
        auto const out = r.feed("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n");
        if (out.status == state::done)
            EXPECT_TRUE(r.head().content_length_invalid || r.head().content_length_count > 1);
        else
            EXPECT_EQ(out.error_status, 400u);
    }
    {
        w::request_reader r;
        auto const out =
            r.feed("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
        ASSERT_EQ(out.status, state::done);
        EXPECT_EQ(r.head().host_count, 2u);
        EXPECT_TRUE(r.head().connection_close);
    }
}

TEST(Reader, OtherHttpVersionsAre505) {
    for (std::string_view v : {"GET / HTTP/2.0\r\n\r\n", "GET / HTTP/0.9\r\n\r\n",
                               "GET / HTTP/3.0\r\nHost: a\r\n\r\n"}) {
        w::request_reader r;
        auto const out = r.feed(v);
        EXPECT_EQ(out.status, state::error) << v;
        EXPECT_EQ(out.error_status, 505u) << v;
    }
    w::request_reader r;
    ASSERT_EQ(r.feed("GET / HTTP/1.0\r\n\r\n").status, state::done);
    EXPECT_EQ(r.head().version, 10u);
}

TEST(Reader, BareLfRequestLineIs400Not505) {
    // Beast reports a request line without CR as a bad version; HTTP/1.1 itself is ours.
    for (std::string_view v : {"GET / HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.0\n\n"}) {
        w::request_reader r;
        auto const out = r.feed(v);
        EXPECT_EQ(out.status, state::error) << v;
        EXPECT_EQ(out.error_status, 400u) << v;
    }
}

TEST(Reader, IfNoneMatchFieldsAreOneList) {
    // RFC 9110 5.3: several fields of a list-valued header mean their values joined by commas.
    w::request_reader r;
    auto const out = r.feed("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
                            "If-None-Match: W/\"y\", \"z\"\r\n\r\n");
    ASSERT_EQ(out.status, state::done);
    EXPECT_TRUE(r.head().has_if_none_match);
    EXPECT_EQ(r.head().if_none_match, "\"x\", W/\"y\", \"z\"");
}

TEST(Reader, IfMatchFieldsAreOneListAndIfUnmodifiedSinceIsRead) {
    w::request_reader r;
    auto const out = r.feed("GET / HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n"
                            "if-match: W/\"y\", \"z\"\r\n"
                            "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    ASSERT_EQ(out.status, state::done);
    auto const& h = r.head();
    EXPECT_TRUE(h.has_if_match);
    EXPECT_EQ(h.if_match, "\"x\", W/\"y\", \"z\"");
    EXPECT_TRUE(h.has_if_unmodified_since);
    EXPECT_EQ(h.if_unmodified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_FALSE(h.has_if_none_match);
    EXPECT_FALSE(h.has_if_modified_since);
}

TEST(Reader, HostValueReachesTheHandlerAsSent) {
    // Beast keeps an obs-fold (or turns it into spaces) and inner tabs: the handler's Host
    // check must see them, so they are never a valid authority here.
    for (std::string_view const host : {"a\r\n b", "a\tb", "a b", "a/b"}) {
        w::request_reader r;
        std::string const raw = "GET / HTTP/1.1\r\nHost: " + std::string{host} + "\r\n\r\n";
        auto const out = r.feed(raw);
        if (out.status == state::error) {
            EXPECT_EQ(out.error_status, 400U) << host;
            continue;
        }
        ASSERT_EQ(out.status, state::done) << host;
        EXPECT_EQ(r.head().host_count, 1U) << host;
        EXPECT_NE(r.head().host, "a") << host;
        EXPECT_NE(r.head().host, "ab") << host;
        EXPECT_FALSE(netlab::http::parse_authority(r.head().host)) << host;
    }
    w::request_reader r;
    ASSERT_EQ(r.feed("GET / HTTP/1.1\r\nHost:  [::1]:80 \r\nHost: b\r\n\r\n").status, state::done);
    EXPECT_EQ(r.head().host, "[::1]:80"); // the first, without the OWS
    EXPECT_EQ(r.head().host_count, 2U);
}

TEST(Reader, LeadingEmptyLinesAreIgnored) {
    w::request_reader r;
    std::string_view const req = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(r.feed(req.substr(0, 2)).status, state::need_more);
    auto const out = r.feed(req);
    ASSERT_EQ(out.status, state::done);
    EXPECT_EQ(out.consumed, req.size());
}

} // namespace
