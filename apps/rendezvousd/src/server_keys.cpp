#include <netlab/rendezvousd/server_keys.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace netlab::rendezvousd {
namespace {

// Domain separation: one server key, three unrelated uses.
constexpr std::uint8_t cookie_domain = 'c';
constexpr std::uint8_t secret_domain = 's';
constexpr std::uint8_t pair_domain = 'p';

// Big-endian, like the wire (these inputs never go on it, but one convention is simpler).
void store_u64(std::uint8_t* at, std::uint64_t x) noexcept {
    for (std::size_t i = 0; i < 8; ++i)
        at[i] = static_cast<std::uint8_t>(x >> (56 - 8 * i));
}

} // namespace

server_keys::server_keys(siphash_key key, std::chrono::seconds cookie_period)
    : key_{key}
    , cookie_period_{cookie_period} {}

std::uint64_t server_keys::cookie_at(rendezvous::endpoint const& from, std::int64_t epoch) const {
    // On every register datagram: a fixed buffer, no allocation.
    std::array<std::uint8_t, 1 + 8 + 1 + 16 + 2> in{};
    in[0] = cookie_domain;
    store_u64(in.data() + 1, static_cast<std::uint64_t>(epoch));
    in[9] = static_cast<std::uint8_t>(from.fam);
    std::copy(from.address.begin(), from.address.end(), in.begin() + 10);
    in[26] = static_cast<std::uint8_t>(from.port >> 8U);
    in[27] = static_cast<std::uint8_t>(from.port & 0xffU);
    auto const c = siphash24(key_, in);
    return c == 0 ? 1 : c; // 0 means "no cookie" on the wire
}

std::uint64_t server_keys::cookie_for(rendezvous::endpoint const& from, time_point now) const {
    return cookie_at(from, now.time_since_epoch() / cookie_period_);
}

bool server_keys::cookie_valid(rendezvous::endpoint const& from, std::uint64_t cookie,
                               time_point now) const {
    if (cookie == 0)
        return false;
    auto const epoch = now.time_since_epoch() / cookie_period_;
    return cookie == cookie_at(from, epoch) || cookie == cookie_at(from, epoch - 1);
}

std::uint64_t server_keys::new_secret() {
    std::array<std::uint8_t, 1 + 8> in{secret_domain};
    store_u64(in.data() + 1, ++secret_counter_);
    auto const s = siphash24(key_, in);
    return s == 0 ? 1 : s; // 0 means "no secret" on the wire
}

std::uint64_t server_keys::pair_key(std::string_view a_id, std::uint64_t a_secret,
                                    std::string_view b_id, std::uint64_t b_secret) const {
    // Once per recipient of every join: a fixed buffer, no allocation.
    if (b_id < a_id) {
        std::swap(a_id, b_id);
        std::swap(a_secret, b_secret);
    }
    std::array<std::uint8_t, 1 + 2 * (1 + rendezvous::max_id_length + 8)> in{};
    std::size_t n = 0;
    in[n++] = pair_domain;
    for (auto const& [id, secret] : {std::pair{a_id, a_secret}, std::pair{b_id, b_secret}}) {
        auto const len = std::min(id.size(), rendezvous::max_id_length); // ids were validated
        in[n++] = static_cast<std::uint8_t>(len);
        std::memcpy(in.data() + n, id.data(), len);
        n += len;
        store_u64(in.data() + n, secret);
        n += 8;
    }
    return siphash24(key_, std::span{in.data(), n});
}

} // namespace netlab::rendezvousd
