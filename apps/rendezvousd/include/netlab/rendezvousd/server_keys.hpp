#pragma once

// The values rendezvousd derives from its one key, each in a domain of its own: address cookies
// (a stateless proof that a source receives at its address), registration secrets, and the
// pair keys two peers sign what they send each other with. Unpredictable without the key.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace netlab::rendezvousd {

class server_keys {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// A cookie stays valid for between one and two `cookie_period`s.
    server_keys(siphash_key key, std::chrono::seconds cookie_period);

    /// The cookie `from` must echo at `now` (never 0, which means "no cookie" on the wire).
    std::uint64_t cookie_for(rendezvous::endpoint const& from, time_point now) const;
    /// Whether `cookie` is `from`'s of this period or of the one before.
    bool cookie_valid(rendezvous::endpoint const& from, std::uint64_t cookie, time_point now) const;
    /// A fresh registration secret (never 0, which means "no secret" on the wire).
    std::uint64_t new_secret();
    /// The key of the pair (a, b); the same for (b, a).
    std::uint64_t pair_key(std::string_view a_id, std::uint64_t a_secret, std::string_view b_id,
                           std::uint64_t b_secret) const;

private:
    std::uint64_t cookie_at(rendezvous::endpoint const& from, std::int64_t epoch) const;

    siphash_key key_;
    std::chrono::seconds cookie_period_;
    std::uint64_t secret_counter_ = 0;
};

} // namespace netlab::rendezvousd
