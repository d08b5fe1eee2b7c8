#include <netlab/common/copy_log.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace cl = netlab::copy_log;
using namespace std::chrono_literals;

TEST(CopyLog, FormatsTheSeedsLinesExactly) {
    EXPECT_EQ(cl::format_line(0s, cl::started_text("a.mp4", "b.mp4")),
              "0.00\tStart copying a.mp4 to b.mp4\n");
    EXPECT_EQ(cl::format_line(3650ms, cl::completed_text("b.mp4")),
              "3.65\tb.mp4 is copied completely\n");
}

TEST(CopyLog, FormatsFailures) {
    EXPECT_EQ(cl::format_line(1s, cl::failed_text("a", "b", "No such file or directory")),
              "1.00\tFailed copying a to b: No such file or directory\n");
}

TEST(CopyLog, RoundsToTheNearestCentisecond) {
    EXPECT_EQ(cl::format_line(4999999ns, "x"), "0.00\tx\n");
    EXPECT_EQ(cl::format_line(5ms, "x"), "0.01\tx\n");
    EXPECT_EQ(cl::format_line(994999999ns, "x"), "0.99\tx\n");
    EXPECT_EQ(cl::format_line(995ms, "x"), "1.00\tx\n");
    EXPECT_EQ(cl::format_line(10s, "x"), "10.00\tx\n");
    EXPECT_EQ(cl::format_line(3600s + 1230ms, "x"), "3601.23\tx\n");
    EXPECT_EQ(cl::format_line(-1s, "x"), "0.00\tx\n");
}

TEST(CopyLog, SpacesInNamesAreKeptAsIs) {
    EXPECT_EQ(cl::format_line(0s, cl::completed_text("my file.txt")),
              "0.00\tmy file.txt is copied completely\n");
}

TEST(CopyLog, ControlCharactersCannotSplitALine) {
    auto const line = cl::format_line(0s, cl::completed_text("evil\nname\t\x01\x7f\\"));
    EXPECT_EQ(line, "0.00\tevil\\nname\\t\\x01\\x7f\\\\ is copied completely\n");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(CopyLog, EscapeRoundTripsEveryByte) {
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    auto const back = cl::unescape(cl::escape(all));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all);
}

TEST(CopyLog, ParseRoundTrips) {
    for (auto const* text : {"Start copying a to b", "", "a\\b\nc\td\r\x1f", "ünïcödé ok"}) {
        auto const parsed = cl::parse_line(cl::format_line(123450ms, text));
        ASSERT_TRUE(parsed) << text;
        EXPECT_EQ(parsed->elapsed, cl::centiseconds{12345});
        EXPECT_EQ(parsed->text, text);
    }
}

TEST(CopyLog, ParseAcceptsALineWithoutItsNewline) {
    auto const parsed = cl::parse_line("3.65\tb.mp4 is copied completely");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->elapsed, cl::centiseconds{365});
    EXPECT_EQ(parsed->text, "b.mp4 is copied completely");
}

TEST(CopyLog, ParseRejectsMalformedLines) {
    struct bad_case {
        char const* input;
        cl::errc expected;
    };
    for (auto const& [input, expected] : {
             bad_case{"", cl::errc::missing_tab},
             bad_case{"3.65 no tab", cl::errc::missing_tab},
             bad_case{"\tx", cl::errc::bad_timestamp},
             bad_case{"3\tx", cl::errc::bad_timestamp},
             bad_case{"3.6\tx", cl::errc::bad_timestamp},
             bad_case{"3.650\tx", cl::errc::bad_timestamp},
             bad_case{".65\tx", cl::errc::bad_timestamp},
             bad_case{"-3.65\tx", cl::errc::bad_timestamp},
             bad_case{"+3.65\tx", cl::errc::bad_timestamp},
             bad_case{"3.6a\tx", cl::errc::bad_timestamp},
             bad_case{"3.-5\tx", cl::errc::bad_timestamp},
             bad_case{"a.65\tx", cl::errc::bad_timestamp},
             bad_case{"99999999999999999999.00\tx", cl::errc::bad_timestamp},
             bad_case{"9999999999999.00\tx", cl::errc::bad_timestamp},
             bad_case{"1.00\tx\\", cl::errc::bad_escape},
             bad_case{"1.00\tx\\q", cl::errc::bad_escape},
             bad_case{"1.00\tx\\x4", cl::errc::bad_escape},
             bad_case{"1.00\tx\\xg0", cl::errc::bad_escape},
             bad_case{"1.00\tx\ty", cl::errc::control_character},
             bad_case{"1.00\tx\ny\n", cl::errc::control_character},
         }) {
        auto const parsed = cl::parse_line(input);
        ASSERT_FALSE(parsed) << '"' << input << '"';
        EXPECT_EQ(parsed.error(), cl::make_error_code(expected)) << '"' << input << '"';
    }
}

TEST(CopyLog, ErrorsHaveReadableMessages) {
    EXPECT_EQ(cl::make_error_code(cl::errc::missing_tab).message(), "no tab after the timestamp");
    EXPECT_STREQ(cl::category().name(), "netlab.copy_log");
}

} // namespace
