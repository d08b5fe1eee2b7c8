#pragma once

// One sample of every rendezvous message, shared by the wire tests and the tool that writes
// the fuzz seed corpus from them (wire_corpus.cpp).

#include <netlab/common/rendezvous_wire.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netlab::test {

namespace rv = netlab::rendezvous;

inline rv::endpoint v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                       std::uint16_t p) {
    return rv::endpoint::v4({a, b, c, d}, p);
}

inline rv::endpoint v6_loopback(std::uint16_t p) {
    std::array<std::uint8_t, 16> a{};
    a[15] = 1;
    return rv::endpoint::v6(a, p);
}

inline rv::peer_entry entry(std::string id, std::size_t privates = 1) {
    rv::peer_entry e{std::move(id), 0x0123456789abcdefULL, v4(203, 0, 113, 7, 40000), {}};
    for (std::size_t i = 0; i < privates; ++i)
        e.private_endpoints.push_back(i % 2
                                          ? v6_loopback(static_cast<std::uint16_t>(10081 + i))
                                          : v4(10, 0, 0, static_cast<std::uint8_t>(i + 2), 10081));
    return e;
}

// One sample of every alternative, including the largest field values; every field non-zero
// in at least one sample, so a field the codec forgot cannot round-trip by accident.
inline std::vector<rv::message> samples() {
    std::string const long_id(rv::max_id_length, 'z');
    std::string const long_text(rv::max_text_length, 'x');
    return {
        rv::register_request{"alice", 0, 0, {}},
        rv::register_request{
            long_id,
            ~0ULL,
            42,
            {v4(10, 0, 0, 2, 10081), v6_loopback(1), v4(192, 168, 1, 2, 65535), v6_loopback(2)}},
        rv::challenge{0xdeadbeefcafef00dULL, 0x1a},
        rv::register_ack{7, v4(198, 51, 100, 9, 1), 0xffffffffU, 0x11},
        rv::register_ack{7, v6_loopback(10081), 3},
        rv::refused{rv::refused::reason::id_taken, 0x12},
        rv::refused{rv::refused::reason::rate_limited},
        rv::list_page{1, 0, 1, {}},
        rv::list_page{9, 2, 3, {entry("a", 0), entry(long_id, 4), entry("b~!", 2)}, 0x13},
        rv::peer_joined{5, entry("bob"), 0x14},
        rv::peer_left{6, "bob", 0x15},
        rv::deregister_request{"alice", 99},
        rv::deregister_ack{},
        rv::deregister_ack{0x16},
        rv::resync_request{"alice", 99},
        rv::probe{"alice", "bob", 1, 2},
        rv::probe_reply{"bob", "alice", 1, 3},
        rv::chat{"alice", "bob", 77, "hello, world", 4},
        rv::chat{"alice", "bob", 78, "", 4},
        rv::chat{long_id, long_id, ~0ULL, long_text, ~0ULL},
        rv::chat{"a", "b", 1, "h\xc3\xa9llo \xe2\x9c\x93", 0},
        rv::chat_ack{"bob", "alice", 77, 5},
        rv::relay_chat{"alice", 99, "carol", 12, "via the server"},
        rv::relay_chat{long_id, ~0ULL, long_id, ~0ULL, long_text},
        rv::relay_ack{"carol", 98, "alice", 12},
        rv::relayed_chat{"alice", 12, "via the server", 0x17},
        rv::relayed_ack{"carol", 12, 0x18},
        rv::relay_failed{"carol", 12, 0x19},
    };
}

} // namespace netlab::test
