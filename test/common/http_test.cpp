#include <netlab/common/http.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace h = netlab::http;
using namespace std::chrono_literals;

TEST(Mime, KnownExtensionsCaseInsensitive) {
    EXPECT_EQ(h::mime_type("/index.html"), "text/html");
    EXPECT_EQ(h::mime_type("/a/b/STYLE.CSS"), "text/css");
    EXPECT_EQ(h::mime_type("app.js"), "application/javascript");
    EXPECT_EQ(h::mime_type("x.json"), "application/json");
    EXPECT_EQ(h::mime_type("x.txt"), "text/plain");
    EXPECT_EQ(h::mime_type("x.svg"), "image/svg+xml");
    EXPECT_EQ(h::mime_type("x.png"), "image/png");
    EXPECT_EQ(h::mime_type("x.jpg"), "image/jpeg");
    EXPECT_EQ(h::mime_type("x.JPEG"), "image/jpeg");
    EXPECT_EQ(h::mime_type("x.gif"), "image/gif");
    EXPECT_EQ(h::mime_type("x.webp"), "image/webp");
    EXPECT_EQ(h::mime_type("favicon.ico"), "image/x-icon");
    EXPECT_EQ(h::mime_type("doc.pdf"), "application/pdf");
    EXPECT_EQ(h::mime_type("movie.mp4"), "video/mp4");
    EXPECT_EQ(h::mime_type("m.wasm"), "application/wasm");
}

TEST(Mime, UnknownOrMissingExtensionIsOctetStream) {
    for (auto const* p :
         {"README", "x.unknownext", "dir.html/file", "x.", ".", "", "x.averyveryverylongextension"})
        EXPECT_EQ(h::mime_type(p), "application/octet-stream") << p;
    EXPECT_EQ(h::mime_type(".html"), "text/html"); // a dotfile named like an extension
}

TEST(HttpDate, FormatsImfFixdate) {
    EXPECT_EQ(h::format_http_date(h::sys_seconds{784111777s}), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(h::format_http_date(h::sys_seconds{0s}), "Thu, 01 Jan 1970 00:00:00 GMT");
    EXPECT_EQ(h::format_http_date(h::sys_seconds{951782400s}), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpDate, ParsesAllThreeForms) {
    auto const t = h::sys_seconds{784111777s};
    EXPECT_EQ(h::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t);
    EXPECT_EQ(h::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t);
    EXPECT_EQ(h::parse_http_date("Sun Nov  6 08:49:37 1994"), t);
}

TEST(HttpDate, RoundTripsManyInstants) {
    for (std::int64_t s = 0; s < 4'000'000'000; s += 7'777'777) {
        auto const t = h::sys_seconds{std::chrono::seconds{s}};
        EXPECT_EQ(h::parse_http_date(h::format_http_date(t)), t);
    }
}

TEST(HttpDate, RejectsMalformed) {
    for (auto const* s : {"", "Sun", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing",
                          "garbage", "Sun, 6 Nov 1994 08:49:37 GMT"})
        EXPECT_FALSE(h::parse_http_date(s)) << s;
}

TEST(Etag, HasNginxShape) {
    EXPECT_EQ(h::make_etag(h::sys_seconds{0x5f5e1000s}, 1024), "\"5f5e1000-400\"");
    EXPECT_EQ(h::make_etag(h::sys_seconds{0s}, 0), "\"0-0\"");
}

TEST(Etag, IfNoneMatchUsesWeakComparison) {
    auto const e = std::string{"\"5f5e1000-400\""};
    EXPECT_TRUE(h::if_none_match_matches(e, e));
    EXPECT_TRUE(h::if_none_match_matches("W/" + e, e));
    EXPECT_TRUE(h::if_none_match_matches("\"a\", " + e, e));
    EXPECT_TRUE(h::if_none_match_matches("\"a\",W/" + e + " ,\"b\"", e));
    EXPECT_TRUE(h::if_none_match_matches("*", e));
    EXPECT_FALSE(h::if_none_match_matches("\"5f5e1000-401\"", e));
    EXPECT_FALSE(h::if_none_match_matches("", e));
    EXPECT_FALSE(h::if_none_match_matches("\"5f5e1000-400", e));
    EXPECT_FALSE(h::if_none_match_matches("5f5e1000-400", e));
}

TEST(Etag, IfMatchUsesStrongComparison) {
    auto const e = std::string{"\"5f5e1000-400\""};
    EXPECT_TRUE(h::if_match_matches(e, e));
    EXPECT_TRUE(h::if_match_matches("\"a\", " + e, e));
    EXPECT_TRUE(h::if_match_matches("\"a\",W/\"b\" ," + e, e));
    EXPECT_TRUE(h::if_match_matches("*", e));
    EXPECT_TRUE(h::if_match_matches(" *\t", e));
    EXPECT_FALSE(h::if_match_matches("W/" + e, e));   // weak never matches
    EXPECT_FALSE(h::if_match_matches(e, "W/" + e));   // not even our own weak tag
    EXPECT_TRUE(h::if_match_matches("*", "W/" + e));  // "*": any current representation
    EXPECT_FALSE(h::if_match_matches("*, \"a\"", e)); // "*" only alone
    EXPECT_FALSE(h::if_match_matches("\"5f5e1000-401\"", e));
    EXPECT_FALSE(h::if_match_matches("", e));
    EXPECT_FALSE(h::if_match_matches("\"5f5e1000-400", e));
    EXPECT_FALSE(h::if_match_matches("5f5e1000-400", e));
}

h::range_decision sat(std::uint64_t a, std::uint64_t b) {
    return {h::range_kind::satisfiable, {a, b}};
}
constexpr h::range_decision ignore{h::range_kind::ignore, {}};
constexpr h::range_decision unsat{h::range_kind::unsatisfiable, {}};

TEST(Range, SingleRanges) {
    EXPECT_EQ(h::parse_range("bytes=0-9", 100), sat(0, 9));
    EXPECT_EQ(h::parse_range("bytes=10-", 100), sat(10, 99));
    EXPECT_EQ(h::parse_range("bytes=-10", 100), sat(90, 99));
    EXPECT_EQ(h::parse_range("bytes=-1000", 100), sat(0, 99));
    EXPECT_EQ(h::parse_range("bytes=50-1000", 100), sat(50, 99));
    EXPECT_EQ(h::parse_range("bytes=99-99", 100), sat(99, 99));
    EXPECT_EQ(h::parse_range("BYTES=0-0", 100), sat(0, 0));
    EXPECT_EQ(h::parse_range("bytes= 1 - 2 ", 100), sat(1, 2));
}

TEST(Range, UnsatisfiableAndMalformedAre416LikeNginx) {
    EXPECT_EQ(h::parse_range("bytes=100-", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=100-200", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=-0", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=5-1", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=abc", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=1-2x", 100), unsat);
    EXPECT_EQ(h::parse_range("bytes=99999999999999999999-", 100), unsat);
}

TEST(Range, IgnoredCases) {
    EXPECT_EQ(h::parse_range("items=0-1", 100), ignore);
    EXPECT_EQ(h::parse_range("", 100), ignore);
    EXPECT_EQ(h::parse_range("bytes=0-1,5-6", 100), ignore); // several: the whole file
    EXPECT_EQ(h::parse_range("bytes=0-", 0), ignore);        // empty file
    EXPECT_EQ(h::parse_range("bytes=0-5", 0), ignore);
    // An unsatisfiable range next to a satisfiable one does not count.
    EXPECT_EQ(h::parse_range("bytes=200-300,0-1", 100), sat(0, 1));
}

std::string norm(std::string_view t) {
    auto const r = h::normalize_target(t);
    return r ? r->path : "ERR";
}

TEST(Target, NormalisesPaths) {
    EXPECT_EQ(norm("/"), "/");
    EXPECT_EQ(norm("/index.html"), "/index.html");
    EXPECT_EQ(norm("//a///b"), "/a/b");
    EXPECT_EQ(norm("/a/./b"), "/a/b");
    EXPECT_EQ(norm("/a/b/../c"), "/a/c");
    EXPECT_EQ(norm("/a/"), "/a/");
    EXPECT_EQ(norm("/a/."), "/a/");
    EXPECT_EQ(norm("/a/b/.."), "/a/");
    EXPECT_EQ(norm("/a/.."), "/");
    EXPECT_EQ(norm("/%41%42c"), "/ABc");
    EXPECT_EQ(norm("/a%20b"), "/a b");
    EXPECT_EQ(norm("/a%2fb"), "/a/b");
    EXPECT_EQ(norm("/%252e%252e/x"), "/%2e%2e/x"); // decoded once only
    EXPECT_EQ(norm("/....//x"), "/..../x");
    EXPECT_EQ(norm("/%c0%ae%c0%ae/x"), "/\xc0\xae\xc0\xae/x"); // overlong '.' is not '.'
    EXPECT_EQ(norm("http://example.com/a/b?q"), "/a/b");
    EXPECT_EQ(norm("HTTPS://example.com"), "/");
    EXPECT_EQ(norm("/a#frag"), "/a");
}

TEST(Target, KeepsTheQuery) {
    auto const r = h::normalize_target("/dir?x=1&y=%20");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->path, "/dir");
    EXPECT_EQ(r->query, "x=1&y=%20");
}

TEST(Target, RejectsWithReasons) {
    auto const err = [](std::string_view t) {
        auto const r = h::normalize_target(t);
        return r ? std::error_code{} : r.error();
    };
    EXPECT_EQ(err(""), h::target_errc::empty);
    EXPECT_EQ(err("*"), h::target_errc::not_origin_form);
    EXPECT_EQ(err("example.com:80"), h::target_errc::not_origin_form);
    EXPECT_EQ(err("/a%2"), h::target_errc::bad_percent);
    EXPECT_EQ(err("/a%zz"), h::target_errc::bad_percent);
    EXPECT_EQ(err("/%u002e"), h::target_errc::bad_percent);
    EXPECT_EQ(err("/a%00b"), h::target_errc::nul_byte);
    EXPECT_EQ(err(std::string_view{"/a\0b", 4}), h::target_errc::nul_byte);
    EXPECT_EQ(err("/a\\b"), h::target_errc::backslash);
    EXPECT_EQ(err("/a%5cb"), h::target_errc::backslash);
    EXPECT_EQ(err("/.."), h::target_errc::above_root);
    EXPECT_EQ(err("/a/../.."), h::target_errc::above_root);
    EXPECT_EQ(err("/%2e%2e/x"), h::target_errc::above_root);
    EXPECT_EQ(err("/..%2fx"), h::target_errc::above_root);
    EXPECT_EQ(err("http:///x"), h::target_errc::bad_authority); // RFC 9110 4.2.1: empty host
    EXPECT_EQ(err("https://"), h::target_errc::bad_authority);
    EXPECT_EQ(err("http://?q"), h::target_errc::bad_authority);
    EXPECT_EQ(err("http://:80/x"), h::target_errc::bad_authority);
    EXPECT_EQ(err("http://user@host/x"), h::target_errc::bad_authority); // 4.2.4
    EXPECT_EQ(err("http://a\"b/x"), h::target_errc::bad_authority);
    EXPECT_EQ(err("http://host:8o/x"), h::target_errc::bad_authority);
    EXPECT_EQ(norm("http://[::1]:8080/x"), "/x");
    EXPECT_FALSE(err("/a/b").operator bool());
}

std::string host_of(std::string_view text) {
    auto const a = h::parse_authority(text);
    return a ? std::string{a->host} + "|" + std::string{a->port} : "ERR";
}

TEST(Authority, AcceptsRfc3986Hosts) {
    EXPECT_EQ(host_of("example.com"), "example.com|");
    EXPECT_EQ(host_of("Example.COM.:8080"), "Example.COM.|8080");
    EXPECT_EQ(host_of("localhost:"), "localhost|"); // port = *DIGIT
    EXPECT_EQ(host_of(""), "|");                    // RFC 9112 3.2: an empty Host is sent
    EXPECT_EQ(host_of("a-b_c~d!$&'()*+,;=%41"), "a-b_c~d!$&'()*+,;=%41|");
    EXPECT_EQ(host_of("127.0.0.1:80"), "127.0.0.1|80");
    EXPECT_EQ(host_of("999.1.1.1"), "999.1.1.1|"); // not IPv4, but a valid reg-name
    for (std::string_view const v6 :
         {"[::]", "[::1]", "[1::]", "[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7::]", "[::2:3:4:5:6:7:8]",
          "[fe80::1:2]", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:1.2.3.4]", "[ABCD:ef01::]", "[v1.x:y]",
          "[V1F.a-b]"})
        EXPECT_EQ(host_of(std::string{v6} + ":443"), std::string{v6} + "|443") << v6;
}

TEST(Authority, RejectsEverythingElse) {
    for (std::string_view const bad : {"a b",
                                       "a\"b",
                                       "a/b",
                                       "a\tb",
                                       "a\r\n b",
                                       "a\\b",
                                       "a@b",
                                       "u:p@b",
                                       "a:b",
                                       "a:80:90",
                                       "a:8 0",
                                       " a",
                                       "a%",
                                       "a%4",
                                       "a%zz",
                                       "a#b",
                                       "a?b",
                                       "a[b]",
                                       "[::1",
                                       "::1",
                                       "[::1]x",
                                       "[::1]:x",
                                       "[]",
                                       "[:]",
                                       "[:::]",
                                       "[1:2:3:4:5:6:7:8:9]",
                                       "[1:2:3:4:5:6:7:8::]",
                                       "[1::2::3]",
                                       "[1:]",
                                       "[:1]",
                                       "[1::2:]",
                                       "[12345::]",
                                       "[g::]",
                                       "[1.2.3.4]",
                                       "[::1.2.3]",
                                       "[::1.2.3.4.5]",
                                       "[::256.1.1.1]",
                                       "[::01.2.3.4]",
                                       "[1.2.3.4::]",
                                       "[::1%25eth0]",
                                       "[v.x]",
                                       "[v1.]",
                                       "[vx.y]",
                                       "[v1.a/b]",
                                       "\x7f",
                                       "\xc3\xa9"})
        EXPECT_EQ(host_of(bad), "ERR") << bad;
    EXPECT_EQ(host_of(std::string_view{"a\0b", 3}), "ERR");
}

TEST(Target, EncodePathForLocation) {
    EXPECT_EQ(h::encode_path("/a b/ü?#%"), "/a%20b/%C3%BC%3F%23%25");
    EXPECT_EQ(h::encode_path("/plain-path_1.2~/"), "/plain-path_1.2~/");
    // Round trip through the decoder.
    auto const r = h::normalize_target(h::encode_path("/x y/%z"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->path, "/x y/%z");
}

} // namespace
