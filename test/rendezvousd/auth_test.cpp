// Signing and verifying rendezvous datagrams (libs/common rendezvous_auth.hpp).

#include "wire_samples.hpp"

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <gtest/gtest.h>

#include <string_view>
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

// "4e 52 01 ..." as PROTOCOL.md writes datagrams.
rv::bytes from_hex(std::string_view hex) {
    auto const nibble = [](char c) {
        return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    };
    rv::bytes out;
    for (std::size_t i = 0; i + 1 < hex.size(); ++i) {
        if (hex[i] == ' ')
            continue;
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4U | nibble(hex[i + 1])));
        ++i;
    }
    return out;
}

// The 16 key bytes a SipHash library takes: k0 then k1, each little-endian (as the reference
// reads them).
rv::bytes key_bytes(netlab::siphash_key const& k) {
    rv::bytes out(16);
    for (std::size_t i = 0; i < 8; ++i) {
        out[i] = static_cast<std::uint8_t>(k.k0 >> (8 * i));
        out[8 + i] = static_cast<std::uint8_t>(k.k1 >> (8 * i));
    }
    return out;
}

// PROTOCOL.md, "Worked examples": the document's bytes are the codec's, so neither can drift.
TEST(RendezvousAuth, ProtocolWorkedExampleChat) {
    auto const k = rv::peer_mac_key(0x8899aabbccddeeffULL);
    EXPECT_EQ(k, (netlab::siphash_key{0x8899aabbccddeeffULL, 0}));
    EXPECT_EQ(key_bytes(k), from_hex("ff ee dd cc bb aa 99 88 00 00 00 00 00 00 00 00"));
    rv::chat const c{"alice", "bob", 0x0102030405060708ULL, "hi", 0};
    auto const input = rv::mac_input(c).value();
    EXPECT_EQ(input, from_hex("4e 52 01 0d 05 61 6c 69 63 65 03 62 6f 62 01 02 03 04 05 06 07 08 "
                              "00 02 68 69"));
    EXPECT_EQ(netlab::siphash24(k, input), 0xaa650079017d0fbeULL);
    auto const datagram = rv::encode_signed(c, k).value();
    EXPECT_EQ(datagram,
              from_hex("4e 52 01 0d 05 61 6c 69 63 65 03 62 6f 62 01 02 03 04 05 06 07 08 "
                       "00 02 68 69 aa 65 00 79 01 7d 0f be"));
    EXPECT_TRUE(rv::verify(datagram, k));
    auto const decoded = rv::decode(datagram).value();
    EXPECT_EQ(std::get<rv::chat>(decoded).mac, 0xaa650079017d0fbeULL);
}

// A reply to a request without a cookie: k1 = 0 XOR 2 = 2, not 0.
TEST(RendezvousAuth, ProtocolWorkedExampleDeregisterAck) {
    auto const k = rv::reply_mac_key(0x1122334455667788ULL, 0);
    EXPECT_EQ(k, (netlab::siphash_key{0x1122334455667788ULL, 2}));
    EXPECT_EQ(key_bytes(k), from_hex("88 77 66 55 44 33 22 11 02 00 00 00 00 00 00 00"));
    auto const datagram = rv::encode_signed(rv::deregister_ack{}, k).value();
    EXPECT_EQ(datagram, from_hex("4e 52 01 09 1a 4b ac 23 8e 40 86 03"));
    EXPECT_EQ(netlab::siphash24(k, rv::mac_input(rv::deregister_ack{}).value()),
              0x1a4bac238e408603ULL);
    EXPECT_FALSE(rv::verify(datagram, {k.k0, 0}));
}

} // namespace
