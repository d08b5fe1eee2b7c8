#include "options.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace {

namespace pc = netlab::peerchat;
using namespace std::chrono_literals;

boost::system::result<pc::program_options, std::error_code> parse(std::vector<char const*> args) {
    args.insert(args.begin(), "peerchat");
    std::ostringstream out, err;
    return pc::parse_options(static_cast<int>(args.size()), args.data(), out, err);
}

TEST(PeerchatOptions, ServerAddressForms) {
    using hp = std::pair<std::string, std::uint16_t>;
    EXPECT_EQ(pc::split_host_port("example.org", 10080).value(), (hp{"example.org", 10080}));
    EXPECT_EQ(pc::split_host_port("10.0.0.1:5", 10080).value(), (hp{"10.0.0.1", 5}));
    EXPECT_EQ(pc::split_host_port("[::1]:7", 10080).value(), (hp{"::1", 7}));
    EXPECT_EQ(pc::split_host_port("[::1]", 10080).value(), (hp{"::1", 10080}));
    EXPECT_EQ(pc::split_host_port("2001:db8::1", 10080).value(), (hp{"2001:db8::1", 10080}));
    for (auto const* bad : {"", ":5", "h:", "h:0", "h:70000", "h:x", "[::1", "[::1]x"})
        EXPECT_FALSE(pc::split_host_port(bad, 10080)) << bad;
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
                                                                  {"--refresh", "0"},
                                                                  {"--port", "65536"},
                                                                  {"--nope"}}) {
        auto const o = parse(args);
        ASSERT_FALSE(o) << args[0];
        EXPECT_EQ(o.error(), std::errc::invalid_argument);
    }
}

} // namespace
