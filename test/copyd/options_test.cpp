#include <netlab/copyd/options.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

using namespace netlab::copyd;

struct parsed {
    netlab::cli::outcome<options> result;
    std::string out;
    std::string err;
};

parsed parse(std::vector<char const*> args) {
    args.insert(args.begin(), "copyd");
    std::ostringstream out;
    std::ostringstream err;
    auto r = parse_options(static_cast<int>(args.size()), args.data(), out, err);
    return {std::move(r), out.str(), err.str()};
}

TEST(Options, DefaultsAreTheSeeds) {
    auto const p = parse({});
    ASSERT_TRUE(p.result);
    EXPECT_EQ(p.result->log_path, "log.txt");
    EXPECT_EQ(p.result->prompt, prompt_mode::automatic);
    EXPECT_EQ(p.result->chunk_size, default_chunk_size);
    EXPECT_TRUE(p.result->copies.empty());
}

TEST(Options, PairsFromArguments) {
    auto const p = parse({"a", "b", "--chunk-size", "10000", "c d", "e"});
    ASSERT_TRUE(p.result);
    EXPECT_EQ(p.result->chunk_size, 10000U);
    ASSERT_EQ(p.result->copies.size(), 2U);
    EXPECT_EQ(p.result->copies[1], (std::pair<std::string, std::string>{"c d", "e"}));
}

TEST(Options, UsageErrors) {
    for (auto const& args : std::vector<std::vector<char const*>>{{"a"},
                                                                  {"--prompt=sometimes"},
                                                                  {"--chunk-size", "0"},
                                                                  {"--chunk-size", "1G"},
                                                                  {"--chunk-size", "12x"},
                                                                  {"--threads", "0"},
                                                                  {"--bogus"},
                                                                  {"--config", "/nonexistent"}}) {
        auto const p = parse(args);
        ASSERT_FALSE(p.result) << args[0];
        EXPECT_EQ(p.result.action(), netlab::cli::action::usage_error);
        EXPECT_NE(p.err.find("copyd: "), std::string::npos);
    }
}

TEST(Options, HelpDescribesUsage) {
    auto const p = parse({"--help"});
    ASSERT_FALSE(p.result);
    EXPECT_EQ(p.result.action(), netlab::cli::action::exit_ok);
    EXPECT_EQ(p.out.rfind("Usage: copyd", 0), 0U);
    EXPECT_NE(p.out.find("--chunk-size"), std::string::npos);
}

TEST(Options, HelpSaysWhatHappensToUnusableInput) {
    auto const p = parse({"--help"});
    for (auto const* said :
         {"NUL byte", "dangling one is refused", "the source is not copied: exit status 1"})
        EXPECT_NE(p.out.find(said), std::string::npos) << said;
}

TEST(Options, ConfigFileTakesTheSameOptionsAndTheCommandLineWins) {
    std::string const file = ::testing::TempDir() + "copyd-options-test.conf";
    {
        std::ofstream out{file};
        out << "# copyd settings\nchunk-size = 10000\nprompt = never\nlog = /tmp/x.log\n"
               "threads = 3\nprogress = true\n";
    }
    auto const p = parse({"--config", file.c_str(), "--threads", "5"});
    ASSERT_TRUE(p.result) << p.err;
    EXPECT_EQ(p.result->chunk_size, 10000U);
    EXPECT_EQ(p.result->prompt, prompt_mode::never);
    EXPECT_EQ(p.result->log_path, "/tmp/x.log");
    EXPECT_EQ(p.result->threads, 5U);
    EXPECT_TRUE(p.result->progress);
    {
        std::ofstream out{file};
        out << "no-such-setting = 1\n";
    }
    auto const bad = parse({"--config", file.c_str()});
    ASSERT_FALSE(bad.result);
    EXPECT_EQ(bad.result.action(), netlab::cli::action::usage_error);
    std::remove(file.c_str());
}

TEST(Options, Sizes) {
    EXPECT_EQ(parse_size("10000").value(), 10000U);
    EXPECT_EQ(parse_size("64K").value(), 65536U);
    EXPECT_EQ(parse_size("1MiB").value(), 1048576U);
    EXPECT_EQ(parse_size("64M").value(), 64U << 20);
    EXPECT_FALSE(parse_size("65M"));
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("-1"));
}

} // namespace
