#include <netlab/peerchat/options.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace {

namespace pc = netlab::peerchat;
using namespace std::chrono_literals;

netlab::cli::outcome<pc::program_options> parse(std::vector<char const*> args) {
    args.insert(args.begin(), "peerchat");
    std::ostringstream out, err;
    return pc::parse_options(static_cast<int>(args.size()), args.data(), out, err);
}

TEST(PeerchatOptions, ServerAddressForms) {
    using hp = std::pair<std::string, std::uint16_t>;
    EXPECT_EQ(pc::split_host_port("example.org", 10080).value(), (hp{"example.org", 10080}));
    EXPECT_EQ(pc::split_host_port("example.org:9", 10080).value(), (hp{"example.org", 9}));
    EXPECT_EQ(pc::split_host_port("10.0.0.1:5", 10080).value(), (hp{"10.0.0.1", 5}));
    EXPECT_EQ(pc::split_host_port("10.0.0.1", 10080).value(), (hp{"10.0.0.1", 10080}));
    EXPECT_EQ(pc::split_host_port("[::1]:7", 10080).value(), (hp{"::1", 7}));
    EXPECT_EQ(pc::split_host_port("[::1]:65535", 10080).value(), (hp{"::1", 65535}));
    EXPECT_EQ(pc::split_host_port("[::1]", 10080).value(), (hp{"::1", 10080}));
    EXPECT_EQ(pc::split_host_port("[::ffff:127.0.0.1]:3", 10080).value(),
              (hp{"::ffff:127.0.0.1", 3}));
    // A bare IPv6 address has no port: its last group could not be told from one.
    EXPECT_EQ(pc::split_host_port("::1", 10080).value(), (hp{"::1", 10080}));
    EXPECT_EQ(pc::split_host_port("::1:80", 10080).value(), (hp{"::1:80", 10080}));
    EXPECT_EQ(pc::split_host_port("2001:db8::1", 10080).value(), (hp{"2001:db8::1", 10080}));
    EXPECT_EQ(pc::split_host_port("fd00::2", 10080).value(), (hp{"fd00::2", 10080}));
}

TEST(PeerchatOptions, BadServerAddressFormsAreRejected) {
    for (auto const* bad : {"",
                            ":5",
                            "h:",
                            "h:0",
                            "h:70000",
                            "h:x",
                            "h:-1",
                            "h: 5",
                            "[::1",
                            "[::1]x",
                            "[::1]:",
                            "[::1]:0",
                            "[::1]:70000",
                            "[]",
                            "[]:5",
                            "[example.org]:5",
                            "[10.0.0.1]:5",
                            "[::1]]:5",
                            "[fe80::1%eth0]:5",
                            "1.2.3.4:5:6",
                            "host:1:2",
                            "::1::2",
                            "2001:db8::g",
                            ":::"})
        EXPECT_FALSE(pc::split_host_port(bad, 10080)) << bad;
}

TEST(PeerchatOptions, ABadServerAddressSaysWhatIsExpected) {
    std::vector<char const*> args{"peerchat", "--server", "[host]:5"};
    std::ostringstream out, err;
    EXPECT_FALSE(pc::parse_options(static_cast<int>(args.size()), args.data(), out, err));
    EXPECT_EQ(err.str(), "peerchat: invalid --server '[host]:5': expected HOST[:PORT], "
                         "[IPV6]:PORT or IPV6 (a port needs the brackets)\n"
                         "Try 'peerchat --help'.\n");
}

TEST(PeerchatOptions, AnIpv6ServerIsAccepted) {
    auto const o = parse({"--id", "a", "--server", "[2001:db8::5]:4000"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->server_host, "2001:db8::5");
    EXPECT_EQ(o->server_port, 4000);
    auto const bare = parse({"--id", "a", "--server", "::1"});
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->server_host, "::1");
    EXPECT_EQ(bare->server_port, 10080);
}

TEST(PeerchatOptions, DefaultsAreTheSeeds) {
    auto const o = parse({"--id", "alice"});
    ASSERT_TRUE(o);
    EXPECT_EQ(o->id, "alice");
    EXPECT_EQ(o->port, 10081);
    EXPECT_EQ(o->server_port, 10080);
    EXPECT_EQ(o->refresh, 10s);
    EXPECT_FALSE(parse({})->id); // read from the first input line
}

TEST(PeerchatOptions, BadValuesAreUsageErrors) {
    for (auto const& args : std::vector<std::vector<char const*>>{{"--id", "a b"},
                                                                  {"--id", ""},
                                                                  {"--server", "h:0"},
                                                                  {"--server", "[::1]:0"},
                                                                  {"--server", "::1:2::3"},
                                                                  {"--server", "[host]:5"},
                                                                  {"--refresh", "0"},
                                                                  {"--port", "65536"},
                                                                  {"--nope"}}) {
        auto const o = parse(args);
        ASSERT_FALSE(o) << args[0];
        EXPECT_EQ(o.action(), netlab::cli::action::usage_error);
    }
}

} // namespace
