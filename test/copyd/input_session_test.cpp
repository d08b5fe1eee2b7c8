#include <netlab/copyd/input_session.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace netlab::copyd;
namespace act = netlab::copyd::action;

act::print prompt_src() {
    return {std::string{source_prompt}};
}
act::print prompt_dst() {
    return {std::string{destination_prompt}};
}

std::vector<input_action> concat(std::vector<input_action> a, std::vector<input_action> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TEST(InputSession, PromptsExactlyLikeTheSeed) {
    input_session s{true};
    EXPECT_EQ(s.start(), (std::vector<input_action>{prompt_src()}));
    EXPECT_EQ(s.feed("a.mp4\n"), (std::vector<input_action>{prompt_dst()}));
    EXPECT_EQ(s.feed("b.mp4\n"), (std::vector<input_action>{act::start_copy{"a.mp4", "b.mp4"},
                                                            act::print{"\n"}, prompt_src()}));
    EXPECT_EQ(s.feed("exit\n"), (std::vector<input_action>{act::finish{}}));
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(s.feed("more\nlines\n").empty());
    EXPECT_TRUE(s.end_of_input().empty());
}

TEST(InputSession, WithoutPromptsOnlyCopiesComeOut) {
    input_session s{false};
    EXPECT_TRUE(s.start().empty());
    EXPECT_EQ(s.feed("a\nb\nc\nd\n"),
              (std::vector<input_action>{act::start_copy{"a", "b"}, act::start_copy{"c", "d"}}));
    EXPECT_EQ(s.end_of_input(), (std::vector<input_action>{act::finish{}}));
}

TEST(InputSession, ExitAtTheDestinationPromptComplainsLikeEndOfInput) {
    // The source is dropped either way, so `exit` there fails the run as end of input does.
    for (bool const prompts : {false, true}) {
        input_session s{prompts};
        (void)s.start();
        (void)s.feed("a\n");
        auto const out = s.feed("exit\n");
        ASSERT_EQ(out.size(), 2U) << prompts;
        auto const* c = std::get_if<act::complain>(&out[0]);
        ASSERT_NE(c, nullptr) << prompts;
        EXPECT_EQ(c->message,
                  "copyd: input ended (exit) after source 'a' without a destination; not copied");
        EXPECT_EQ(out[1], input_action{act::finish{}});
        EXPECT_TRUE(s.finished());
    }
}

TEST(InputSession, NamesAreWholeLinesWithSpacesAndNoCarriageReturn) {
    input_session s{false};
    EXPECT_EQ(s.feed(" my file.txt \r\nnew name\r\n"),
              (std::vector<input_action>{act::start_copy{" my file.txt ", "new name"}}));
    // Only one trailing CR goes; "exit\r" is still exit.
    EXPECT_EQ(s.feed("exit\r\n"), (std::vector<input_action>{act::finish{}}));
}

TEST(InputSession, ExitMustBeTheWholeLine) {
    input_session s{false};
    EXPECT_EQ(s.feed("exit now\n./exit\n"),
              (std::vector<input_action>{act::start_copy{"exit now", "./exit"}}));
}

TEST(InputSession, EveryByteSplitGivesTheSameActions) {
    std::string const input = "src one\r\ndst\nsecond\nthird dst\nexit\nignored\n";
    input_session whole{true};
    auto expected = whole.start(); // sequenced: start() must run first
    expected = concat(expected, whole.feed(input));
    for (std::size_t cut1 = 0; cut1 <= input.size(); ++cut1) {
        for (std::size_t cut2 = cut1; cut2 <= input.size(); cut2 += 3) {
            input_session s{true};
            auto got = s.start();
            got = concat(got, s.feed(std::string_view{input}.substr(0, cut1)));
            got = concat(got, s.feed(std::string_view{input}.substr(cut1, cut2 - cut1)));
            got = concat(got, s.feed(std::string_view{input}.substr(cut2)));
            ASSERT_EQ(got, expected) << "cuts at " << cut1 << ", " << cut2;
        }
    }
}

TEST(InputSession, EndOfInputCountsAnUnterminatedLastLine) {
    input_session s{false};
    EXPECT_TRUE(s.feed("a\nb").empty());
    EXPECT_EQ(s.end_of_input(),
              (std::vector<input_action>{act::start_copy{"a", "b"}, act::finish{}}));
}

TEST(InputSession, EndOfInputAfterASourceComplains) {
    input_session s{false};
    EXPECT_TRUE(s.feed("lonely\n").empty());
    auto const out = s.end_of_input();
    ASSERT_EQ(out.size(), 2U);
    auto const* c = std::get_if<act::complain>(&out[0]);
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->message.find("'lonely' without a destination"), std::string::npos);
    EXPECT_EQ(out[1], input_action{act::finish{}});
}

TEST(InputSession, EndOfInputOnATerminalEndsThePromptLine) {
    input_session s{true};
    (void)s.start();
    EXPECT_EQ(s.end_of_input(), (std::vector<input_action>{act::print{"\n"}, act::finish{}}));
}

TEST(InputSession, EmptyLineShowsProgressAndRepeatsThePrompt) {
    input_session s{true};
    (void)s.start();
    EXPECT_EQ(s.feed("\n"), (std::vector<input_action>{act::show_progress{prompt_src().text}}));
    EXPECT_EQ(s.feed("a\n"), (std::vector<input_action>{prompt_dst()}));
    EXPECT_EQ(s.feed("\r\n"), (std::vector<input_action>{act::show_progress{prompt_dst().text}}));
    EXPECT_EQ(s.feed("b\n"), (std::vector<input_action>{act::start_copy{"a", "b"}, act::print{"\n"},
                                                        prompt_src()}));
}

TEST(InputSession, EmptyLinesAreNamesWithoutPrompts) {
    // A script's empty variable must not shift the pairs: `x` read as a source would be
    // copied over `src2`, read as a destination.
    input_session s{false};
    EXPECT_EQ(
        s.feed("\nx\nsrc2\ndst2\n"),
        (std::vector<input_action>{act::start_copy{"", "x"}, act::start_copy{"src2", "dst2"}}));
    EXPECT_EQ(s.feed("a\n\n"), (std::vector<input_action>{act::start_copy{"a", ""}}));
    // A blank last line is nothing to complain about.
    EXPECT_EQ(s.feed("\n"), (std::vector<input_action>{}));
    EXPECT_EQ(s.end_of_input(), (std::vector<input_action>{act::finish{}}));
}

TEST(InputSession, OverlongSourceDropsItsDestinationWithoutPrompts) {
    input_session s{false, 8};
    auto const out = s.feed(std::string(20, 'x') + "\ndst\nsrc2\ndst2\n");
    ASSERT_EQ(out.size(), 2U);
    auto const* c = std::get_if<act::complain>(&out[0]);
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->message.find("so is the next line"), std::string::npos) << c->message;
    EXPECT_EQ(out[1], input_action{(act::start_copy{"src2", "dst2"})});
    EXPECT_EQ(s.end_of_input(), (std::vector<input_action>{act::finish{}}));
}

TEST(InputSession, OverlongLinesAreRefusedAndTheirPairDropped) {
    input_session s{false, 8};
    EXPECT_TRUE(s.feed("12345678\n").empty()); // exactly the limit is fine
    auto out = s.feed(std::string(20, 'x'));
    EXPECT_TRUE(out.empty());
    out = s.feed(std::string(20, 'x') + "\nc\nd\n");
    ASSERT_EQ(out.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<act::complain>(out[0]));
    EXPECT_EQ(out[1], input_action{(act::start_copy{"c", "d"})});
}

} // namespace
