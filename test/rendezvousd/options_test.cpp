#include <netlab/rendezvousd/options.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

namespace rd = netlab::rendezvousd;
using namespace std::chrono_literals;

struct parsed {
    netlab::cli::outcome<rd::daemon_options> result;
    std::string out;
    std::string err;
};

parsed parse(std::vector<char const*> args) {
    args.insert(args.begin(), "rendezvousd");
    std::ostringstream out, err;
    auto r = rd::parse_options(static_cast<int>(args.size()), args.data(), out, err);
    return {std::move(r), out.str(), err.str()};
}

TEST(RendezvousdOptions, DefaultsAreTheSeeds) {
    auto const p = parse({});
    ASSERT_TRUE(p.result);
    EXPECT_EQ(p.result->port, 10080);
    EXPECT_EQ(p.result->server.expiry, 30s);
}

TEST(RendezvousdOptions, CommandLineWinsOverTheConfigFile) {
    auto const file = std::filesystem::temp_directory_path() / "netlab-rdv-test.conf";
    std::ofstream{file} << "port = 20000\nexpiry = 5\n";
    auto const p = parse({"--config", file.c_str(), "--port", "20001"});
    std::filesystem::remove(file);
    ASSERT_TRUE(p.result) << p.err;
    EXPECT_EQ(p.result->port, 20001);
    EXPECT_EQ(p.result->server.expiry, 5s);
}

TEST(RendezvousdOptions, TheShippedConfigParses) {
    auto const p = parse({"--config", NETLAB_SOURCE_DIR "/config/rendezvousd.conf"});
    ASSERT_TRUE(p.result) << p.err;
    EXPECT_EQ(p.result->port, 10080);
}

TEST(RendezvousdOptions, BadValuesAreUsageErrors) {
    for (auto const& args : std::vector<std::vector<char const*>>{{"--port", "70000"},
                                                                  {"--expiry", "0"},
                                                                  {"--expiry", "x"},
                                                                  {"--rate-limit", "-1"},
                                                                  {"--config", "/nonexistent/file"},
                                                                  {"--bind", "example.org"},
                                                                  {"--bind", "10.0.0.256"},
                                                                  {"--bogus"}}) {
        auto const p = parse(args);
        ASSERT_FALSE(p.result) << args[0];
        EXPECT_EQ(p.result.action(), netlab::cli::action::usage_error);
        EXPECT_FALSE(p.err.empty());
    }
}

TEST(RendezvousdOptions, BindTakesAnAddressOfEitherFamily) {
    EXPECT_EQ(parse({}).result->bind, ""); // every interface
    for (auto const* address : {"127.0.0.1", "::1", "::"}) {
        auto const p = parse({"--bind", address});
        ASSERT_TRUE(p.result) << p.err;
        EXPECT_EQ(p.result->bind, address);
    }
}

} // namespace
