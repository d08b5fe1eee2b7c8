#pragma once

// SipHash-2-4 (Aumasson & Bernstein): a fast keyed hash with a 128-bit key. Used for the
// rendezvous server's stateless address cookies and the per-pair message authentication codes:
// short inputs, an attacker who must not be able to forge a value without the key.

#include <array>
#include <cstdint>
#include <span>

namespace netlab {

struct siphash_key {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
    friend bool operator==(siphash_key const&, siphash_key const&) = default;
};

std::uint64_t siphash24(siphash_key const& key, std::span<std::uint8_t const> data) noexcept;

} // namespace netlab
