// Which addresses peerchat offers its peers and which server addresses it tries.

#include <netlab/peerchat/endpoints.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

namespace rv = netlab::rendezvous;
namespace pc = netlab::peerchat;

rv::endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                std::uint16_t port = 10081) {
    return rv::endpoint::v4({a, b, c, d}, port);
}

rv::endpoint v6(std::array<std::uint8_t, 16> const& a, std::uint16_t port = 10081) {
    return rv::endpoint::v6(a, port);
}

rv::endpoint const lo4 = v4(127, 0, 0, 1);
rv::endpoint const lo6 = v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
rv::endpoint const lan4 = v4(192, 168, 1, 20);
rv::endpoint const lan4b = v4(10, 0, 0, 5);
rv::endpoint const lan4c = v4(172, 16, 0, 1);
rv::endpoint const ula = v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
rv::endpoint const global6 = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9});
rv::endpoint const global6b = v6({0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9});
rv::endpoint const link6 = v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xfc, 0, 0xff, 0xfe, 0, 0, 1});
rv::endpoint const mapped_lan = v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5});

TEST(PeerchatEndpoints, LoopbackAndUnusableAddressesAreRecognised) {
    EXPECT_TRUE(pc::is_loopback(lo4));
    EXPECT_TRUE(pc::is_loopback(v4(127, 3, 2, 1)));
    EXPECT_TRUE(pc::is_loopback(lo6));
    EXPECT_FALSE(pc::is_loopback(lan4));
    EXPECT_FALSE(pc::is_loopback(ula));
    EXPECT_FALSE(pc::is_loopback(v6({})));
    for (auto const& e : {link6, v4(169, 254, 1, 1), v6({}), v4(0, 0, 0, 0), v4(224, 0, 0, 1),
                          v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                          v6({0xfe, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})})
        EXPECT_TRUE(pc::is_unusable(e)) << e.to_string();
    for (auto const& e :
         {lan4, ula, global6, lo4, lo6, v6({0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})})
        EXPECT_FALSE(pc::is_unusable(e)) << e.to_string();
}

TEST(PeerchatEndpoints, BothFamiliesAreOfferedWithoutLinkLocalOrLoopback) {
    // As getifaddrs lists them on a typical host: lo, then eth0.
    std::vector const all{lo4, lan4, lo6, ula, link6};
    EXPECT_EQ(pc::choose_private_endpoints(all, false), (std::vector{lan4, ula}));
}

TEST(PeerchatEndpoints, LoopbackComesFirstWhenTheServerIsOnThisHost) {
    std::vector const all{lan4, ula, link6, lo4, lo6};
    EXPECT_EQ(pc::choose_private_endpoints(all, true), (std::vector{lo4, lo6, lan4, ula}));
}

TEST(PeerchatEndpoints, TheCapKeepsBothFamilies) {
    std::vector const all{lan4, lan4b, lan4c, global6, global6b, ula};
    auto const chosen = pc::choose_private_endpoints(all, false);
    ASSERT_EQ(chosen.size(), rv::max_private_endpoints);
    EXPECT_EQ(chosen, (std::vector{lan4, global6, lan4b, global6b}));
    // One family only: all four from it.
    EXPECT_EQ(
        pc::choose_private_endpoints({lan4, lan4b, lan4c, v4(10, 1, 1, 1), v4(10, 2, 2, 2)}, false),
        (std::vector{lan4, lan4b, lan4c, v4(10, 1, 1, 1)}));
}

TEST(PeerchatEndpoints, MappedAddressesAreUnmappedAndDuplicatesDropped) {
    EXPECT_EQ(pc::choose_private_endpoints({mapped_lan, lan4b, lan4, lan4}, false),
              (std::vector{lan4b, lan4}));
    EXPECT_TRUE(pc::choose_private_endpoints({}, true).empty());
}

TEST(PeerchatEndpoints, ServerAddressesKeepTheResolversOrder) {
    auto const s6 = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 10080);
    auto const s4 = v4(192, 0, 2, 1, 10080);
    auto const s4_mapped = v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, 10080);
    EXPECT_EQ(pc::usable_servers({s6, s4}, true), (std::vector{s6, s4}));
    EXPECT_EQ(pc::usable_servers({s4, s6}, true), (std::vector{s4, s6}));
    EXPECT_EQ(pc::usable_servers({s6, s4_mapped, s4}, true), (std::vector{s6, s4}));
    // An IPv4-only socket cannot reach IPv6 addresses.
    EXPECT_EQ(pc::usable_servers({s6, s4}, false), (std::vector{s4}));
    EXPECT_TRUE(pc::usable_servers({s6}, false).empty());
}

} // namespace
