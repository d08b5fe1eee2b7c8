#include <netlab/common/rendezvous_auth.hpp>

#include <variant>

namespace netlab::rendezvous {
namespace {

std::uint64_t load_mac(std::span<std::uint8_t const> at) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < mac_size; ++i)
        v = (v << 8U) | at[i];
    return v;
}

void store_mac(std::span<std::uint8_t> at, std::uint64_t mac) noexcept {
    for (std::size_t i = 0; i < mac_size; ++i)
        at[i] = static_cast<std::uint8_t>(mac >> (56 - 8 * i));
}

} // namespace

bool is_signed(message const& m) noexcept {
    return std::visit(
        [](auto const& body) {
            return requires {
                body.mac;
            };
        },
        m);
}

boost::system::result<bytes, std::error_code> mac_input(message const& m) {
    auto out = encode(m);
    if (!out)
        return out;
    out->resize(out->size() - mac_size);
    return out;
}

void sign(std::span<std::uint8_t> datagram, siphash_key const& key) noexcept {
    if (datagram.size() < header_size + mac_size)
        return; // every signed type ends in a mac; a shorter one would be a bug, not a crash
    auto const n = datagram.size() - mac_size;
    store_mac(datagram.subspan(n), siphash24(key, datagram.first(n)));
}

bool verify(std::span<std::uint8_t const> datagram, siphash_key const& key) noexcept {
    if (datagram.size() < header_size + mac_size)
        return false;
    auto const n = datagram.size() - mac_size;
    return siphash24(key, datagram.first(n)) == load_mac(datagram.subspan(n));
}

boost::system::result<bytes, std::error_code> encode_signed(message const& m,
                                                            siphash_key const& key) {
    if (!is_signed(m))
        return make_error_code(errc::bad_field);
    auto out = encode(m);
    if (out)
        sign(*out, key);
    return out;
}

} // namespace netlab::rendezvous
