#include "wire_samples.hpp"

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_paging.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace rv = netlab::rendezvous;
using netlab::test::entry;
using netlab::test::samples;
using netlab::test::v4;
using netlab::test::v6_loopback;

TEST(RendezvousWire, SamplesCoverEveryKind) {
    std::vector<bool> seen(std::variant_size_v<rv::message>);
    for (auto const& m : samples())
        seen[m.index()] = true;
    for (std::size_t i = 0; i < seen.size(); ++i)
        EXPECT_TRUE(seen[i]) << "no sample for alternative " << i;
}

TEST(RendezvousWire, RoundTripsEveryKind) {
    for (auto const& m : samples()) {
        auto const bytes = rv::encode(m);
        ASSERT_TRUE(bytes) << "alternative " << m.index() << ": " << bytes.error().message();
        EXPECT_LE(bytes->size(), rv::max_datagram);
        EXPECT_EQ(rv::peek_type(*bytes), m.index() + 1);
        auto const back = rv::decode(*bytes);
        ASSERT_TRUE(back) << "alternative " << m.index() << ": " << back.error().message();
        EXPECT_EQ(*back, m) << "alternative " << m.index();
    }
}

TEST(RendezvousWire, EveryStrictPrefixIsRejected) {
    for (auto const& m : samples()) {
        auto const bytes = rv::encode(m).value();
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            auto const r = rv::decode(std::span{bytes.data(), n});
            EXPECT_FALSE(r) << "alternative " << m.index() << " prefix " << n;
        }
    }
}

TEST(RendezvousWire, TrailingBytesAreRejected) {
    for (auto const& m : samples()) {
        auto bytes = rv::encode(m).value();
        bytes.push_back(0);
        auto const r = rv::decode(bytes);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), rv::errc::trailing_bytes) << "alternative " << m.index();
    }
}

TEST(RendezvousWire, HeaderIsChecked) {
    auto const good = rv::encode(rv::deregister_ack{}).value();
    ASSERT_EQ(good, (rv::bytes{'N', 'R', 1, 9, 0, 0, 0, 0, 0, 0, 0, 0}));
    auto bad = good;
    bad[0] = 'X';
    EXPECT_EQ(rv::decode(bad).error(), rv::errc::bad_magic);
    bad = good;
    bad[2] = 2;
    EXPECT_EQ(rv::decode(bad).error(), rv::errc::bad_version);
    bad = good;
    bad[3] = 0;
    EXPECT_EQ(rv::decode(bad).error(), rv::errc::unknown_type);
    bad[3] = static_cast<std::uint8_t>(std::variant_size_v<rv::message> + 1);
    EXPECT_EQ(rv::decode(bad).error(), rv::errc::unknown_type);
    EXPECT_EQ(rv::peek_type(bad), 0);
    EXPECT_EQ(rv::decode(rv::bytes(rv::max_datagram + 1, 0)).error(), rv::errc::too_large);
}

TEST(RendezvousWire, LayoutIsBigEndianAsDocumented) {
    auto const bytes =
        rv::encode(rv::register_request{"ab", 0x0102030405060708ULL, 9, {v4(10, 0, 0, 2, 10081)}})
            .value();
    rv::bytes const expected{'N', 'R', 1, 1, 2, 'a', 'b', 1, 2, 3,  4, 5, 6, 7,    8,   0,
                             0,   0,   0, 0, 0, 0,   9,   1, 4, 10, 0, 0, 2, 0x27, 0x61};
    EXPECT_EQ(bytes, expected);
    rv::bytes const challenge{'N', 'R', 1,    2,    1,    2,    3,    4,    5,    6,
                              7,   8,   0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
    EXPECT_EQ(rv::encode(rv::challenge{0x0102030405060708ULL, 0x1112131415161718ULL}).value(),
              challenge);
}

TEST(RendezvousWire, BadIdsAreRejectedBothWays) {
    for (std::string const& id : {std::string{}, std::string(33, 'a'), std::string{"a b"},
                                  std::string{"a\x7f"}, std::string{"\xc3\xa9"}}) {
        EXPECT_EQ(rv::encode(rv::peer_left{1, id}).error(), rv::errc::bad_id);
    }
    // "a b" forged on the wire.
    rv::bytes forged{'N', 'R', 1, 7, 0, 0, 0, 1, 3, 'a', ' ', 'b'};
    EXPECT_EQ(rv::decode(forged).error(), rv::errc::bad_id);
    forged = {'N', 'R', 1, 7, 0, 0, 0, 1, 0};
    EXPECT_EQ(rv::decode(forged).error(), rv::errc::bad_id);
}

TEST(RendezvousWire, BadTextIsRejected) {
    EXPECT_EQ(rv::encode(rv::chat{"a", "b", 1, "line\nbreak", 0}).error(), rv::errc::bad_text);
    EXPECT_EQ(
        rv::encode(rv::chat{"a", "b", 1, std::string(rv::max_text_length + 1, 'x'), 0}).error(),
        rv::errc::bad_text);
    auto bytes = rv::encode(rv::relayed_chat{"a", 1, "xy"}).value();
    bytes[bytes.size() - 9] = '\x1b'; // an escape sequence for the recipient's terminal
    EXPECT_EQ(rv::decode(bytes).error(), rv::errc::bad_text);
}

TEST(RendezvousWire, BadEndpointsAreRejected) {
    EXPECT_EQ(rv::encode(rv::register_ack{1, v4(1, 2, 3, 4, 0), 0}).error(),
              rv::errc::bad_endpoint);
    auto bytes = rv::encode(rv::register_ack{1, v4(1, 2, 3, 4, 5), 0}).value();
    bytes[12] = 5; // family byte
    EXPECT_EQ(rv::decode(bytes).error(), rv::errc::bad_endpoint);
    rv::register_request five{"a", 1, 1, {}};
    five.private_endpoints.assign(5, v4(10, 0, 0, 1, 1));
    EXPECT_EQ(rv::encode(five).error(), rv::errc::bad_field);
}

TEST(RendezvousWire, PageNumbersAreChecked) {
    EXPECT_EQ(rv::encode(rv::list_page{1, 1, 1, {}}).error(), rv::errc::bad_field);
    EXPECT_EQ(rv::encode(rv::list_page{1, 0, 0, {}}).error(), rv::errc::bad_field);
    auto bytes = rv::encode(rv::list_page{1, 0, 1, {}}).value();
    bytes[11] = 0; // page_count low byte
    EXPECT_EQ(rv::decode(bytes).error(), rv::errc::bad_field);
}

TEST(RendezvousWire, RefusedReasonIsChecked) {
    auto const with_reason = [](std::uint8_t r) {
        return rv::bytes{'N', 'R', 1, 4, r, 0, 0, 0, 0, 0, 0, 0, 0};
    };
    EXPECT_FALSE(rv::decode(with_reason(0)));
    EXPECT_FALSE(rv::decode(with_reason(6)));
    EXPECT_TRUE(rv::decode(with_reason(5)));
}

TEST(RendezvousWire, ALongListIsSplitIntoDatagramsThatFit) {
    for (std::size_t privates : {0U, 1U, 4U}) {
        std::vector<rv::peer_entry> peers;
        for (int i = 0; i < 1000; ++i)
            peers.push_back(entry("peer-" + std::to_string(i) + std::string(20, 'p'), privates));
        auto const pages = rv::paginate(4, peers);
        EXPECT_GT(pages.size(), 1U);
        std::vector<rv::peer_entry> back;
        for (std::size_t i = 0; i < pages.size(); ++i) {
            EXPECT_EQ(pages[i].page, i);
            EXPECT_EQ(pages[i].page_count, pages.size());
            EXPECT_EQ(pages[i].version, 4U);
            auto const bytes = rv::encode(pages[i]);
            ASSERT_TRUE(bytes) << bytes.error().message();
            EXPECT_LE(bytes->size(), rv::max_datagram);
            auto const decoded = rv::decode(*bytes).value();
            auto const& page = std::get<rv::list_page>(decoded);
            back.insert(back.end(), page.peers.begin(), page.peers.end());
        }
        EXPECT_EQ(back, peers);
    }
    auto const empty = rv::paginate(1, {});
    ASSERT_EQ(empty.size(), 1U);
    EXPECT_TRUE(empty[0].peers.empty());
}

TEST(RendezvousWire, PeerJoinedPairKeyOffsetIsRight) {
    auto a = entry("someone", 2);
    a.pair_key = 0x0102030405060708ULL;
    auto const bytes = rv::encode(rv::peer_joined{7, a}).value();
    auto const at = rv::peer_joined_pair_key_offset(a.id);
    ASSERT_LE(at + 8, bytes.size());
    EXPECT_EQ(rv::bytes(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                        bytes.begin() + static_cast<std::ptrdiff_t>(at + 8)),
              (rv::bytes{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(RendezvousWire, MacInputIsTheDatagramWithoutItsMac) {
    rv::chat const c{"a", "b", 1, "hi", 0x1122334455667788ULL};
    auto const full = rv::encode(c).value();
    auto const input = rv::mac_input(c).value();
    ASSERT_EQ(input.size() + 8, full.size());
    EXPECT_TRUE(std::equal(input.begin(), input.end(), full.begin()));
}

TEST(RendezvousWire, EndpointsPrintLikeTheSeed) {
    EXPECT_EQ(v4(203, 0, 113, 7, 10081).to_string(), "203.0.113.7:10081");
    EXPECT_EQ(v6_loopback(5).to_string(), "[::1]:5");
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    EXPECT_EQ(rv::endpoint::v6(a, 80).to_string(), "[2001:db8::1:0:0:1]:80");
    std::array<std::uint8_t, 16> zero{};
    EXPECT_EQ(rv::endpoint::v6(zero, 1).to_string(), "[::]:1");
}

TEST(RendezvousWire, MappedIpv4BecomesPlainIpv4) {
    std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
    EXPECT_EQ(rv::endpoint::v6(mapped, 9).unmapped(), v4(192, 0, 2, 7, 9));
    EXPECT_EQ(rv::endpoint::v6(mapped, 9).unmapped().to_string(), "192.0.2.7:9");
    EXPECT_EQ(v4(192, 0, 2, 7, 9).unmapped(), v4(192, 0, 2, 7, 9));
    EXPECT_EQ(v6_loopback(9).unmapped(), v6_loopback(9));
    auto compat = mapped; // ::192.0.2.7 (deprecated IPv4-compatible) is not mapped
    compat[10] = compat[11] = 0;
    EXPECT_EQ(rv::endpoint::v6(compat, 9).unmapped(), rv::endpoint::v6(compat, 9));
    auto other = mapped; // ::fffe:... neither
    other[11] = 0xfe;
    EXPECT_EQ(rv::endpoint::v6(other, 9).unmapped().fam, rv::endpoint::family::v6);
}

// What a server sends an unverified source must not exceed what it got (PROTOCOL.md).
TEST(RendezvousWire, RepliesToUnverifiedSourcesAreSmallerThanTheirRequests) {
    auto const size = [](rv::message const& m) { return rv::encode(m).value().size(); };
    auto const smallest_register = size(rv::register_request{"a", 0, 0, {}});
    EXPECT_EQ(smallest_register, 23U);
    EXPECT_EQ(size(rv::challenge{}), 20U);
    EXPECT_EQ(size(rv::refused{}), 13U);
    EXPECT_EQ(size(rv::deregister_ack{}), 12U);
    EXPECT_LE(size(rv::challenge{}), smallest_register);
    EXPECT_LE(size(rv::refused{}), size(rv::deregister_request{"a", 0}));
    EXPECT_LE(size(rv::deregister_ack{}), size(rv::deregister_request{"a", 0}));
}

// Reference vector from the SipHash paper (appendix A): key 00..0f, message 00..0e.
TEST(SipHash, MatchesThePapersTestVector) {
    netlab::siphash_key const key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    std::vector<std::uint8_t> msg(15);
    for (std::size_t i = 0; i < msg.size(); ++i)
        msg[i] = static_cast<std::uint8_t>(i);
    EXPECT_EQ(netlab::siphash24(key, msg), 0xa129ca6149be45e5ULL);
    // Empty input, from the reference implementation's vectors.h (first entry).
    EXPECT_EQ(netlab::siphash24(key, {}), 0x726fdb47dd0e0e31ULL);
}

} // namespace
