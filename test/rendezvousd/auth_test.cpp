// Signing and verifying rendezvous datagrams (libs/common rendezvous_auth.hpp).

#include "wire_samples.hpp"

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace {

namespace rv = netlab::rendezvous;
using netlab::test::samples;

netlab::siphash_key const key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::vector<rv::message> signed_samples() {
    std::vector<rv::message> v;
    for (auto& m : samples())
        if (rv::is_signed(m))
            v.push_back(std::move(m));
    return v;
}

TEST(RendezvousAuth, TheKeysAreThePROTOCOLs) {
    EXPECT_EQ(rv::server_mac_key(7), (netlab::siphash_key{7, 1}));
    EXPECT_EQ(rv::reply_mac_key(7, 0), (netlab::siphash_key{7, 2}));
    EXPECT_EQ(rv::reply_mac_key(7, 0xf0), (netlab::siphash_key{7, 0xf2}));
    EXPECT_EQ(rv::peer_mac_key(9), (netlab::siphash_key{9, 0}));
}

TEST(RendezvousAuth, OnlyTheClientsRequestsAreUnsigned) {
    for (auto const& m : samples()) {
        bool const request = std::holds_alternative<rv::register_request>(m) ||
                             std::holds_alternative<rv::deregister_request>(m) ||
                             std::holds_alternative<rv::resync_request>(m) ||
                             std::holds_alternative<rv::relay_chat>(m) ||
                             std::holds_alternative<rv::relay_ack>(m);
        EXPECT_EQ(rv::is_signed(m), !request) << "alternative " << m.index();
    }
}

// The mac is SipHash-2-4 of every byte before it, big-endian in the last eight.
TEST(RendezvousAuth, EncodeSignedPutsTheMacOfTheBytesBeforeIt) {
    for (auto const& m : signed_samples()) {
        auto const d = rv::encode_signed(m, key).value();
        auto const input = rv::mac_input(m).value();
        ASSERT_EQ(input.size() + rv::mac_size, d.size());
        EXPECT_TRUE(std::equal(input.begin(), input.end(), d.begin()));
        auto const mac = netlab::siphash24(key, input);
        for (std::size_t i = 0; i < 8; ++i)
            EXPECT_EQ(d[input.size() + i], static_cast<std::uint8_t>(mac >> (56 - 8 * i)));
        // sign() of the plain encoding gives the same bytes.
        auto plain = rv::encode(m).value();
        rv::sign(plain, key);
        EXPECT_EQ(plain, d) << "alternative " << m.index();
    }
    EXPECT_EQ(rv::encode_signed(rv::resync_request{"a", 1}, key).error(), rv::errc::bad_field);
    EXPECT_EQ(rv::encode_signed(rv::peer_left{1, "a b"}, key).error(), rv::errc::bad_id);
}

TEST(RendezvousAuth, VerifyAcceptsWhatSignMade) {
    for (auto const& m : signed_samples()) {
        auto const d = rv::encode_signed(m, key).value();
        EXPECT_TRUE(rv::verify(d, key)) << "alternative " << m.index();
        EXPECT_FALSE(rv::verify(d, {key.k0, key.k1 ^ 1})) << "alternative " << m.index();
        EXPECT_FALSE(rv::verify(rv::encode(m).value(), key)) << "alternative " << m.index();
    }
}

TEST(RendezvousAuth, VerifyRejectsEveryFlippedBit) {
    for (auto const& m : signed_samples()) {
        auto const d = rv::encode_signed(m, key).value();
        for (std::size_t bit = 0; bit < 8 * d.size(); ++bit) {
            auto flipped = d;
            flipped[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
            EXPECT_FALSE(rv::verify(flipped, key)) << "alternative " << m.index() << " bit " << bit;
        }
    }
}

TEST(RendezvousAuth, ShortDatagramsAreNeitherSignedNorVerified) {
    rv::bytes shorter{'N', 'R', 1, 9, 1, 2, 3, 4, 5, 6, 7}; // one byte short of a mac
    auto const before = shorter;
    rv::sign(shorter, key);
    EXPECT_EQ(shorter, before);
    EXPECT_FALSE(rv::verify(shorter, key));
    EXPECT_FALSE(rv::verify({}, key));
}

} // namespace
