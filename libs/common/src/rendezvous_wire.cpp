#include "enum_category.hpp"
#include "rendezvous_fields.hpp"

#include <netlab/common/rendezvous_wire.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace netlab::rendezvous {
namespace {

char const* describe(errc e) noexcept {
    switch (e) {
    case errc::truncated:
        return "datagram truncated";
    case errc::trailing_bytes:
        return "trailing bytes after the message";
    case errc::bad_magic:
        return "not a rendezvous datagram";
    case errc::bad_version:
        return "unsupported protocol version";
    case errc::unknown_type:
        return "unknown message type";
    case errc::bad_id:
        return "invalid client id";
    case errc::bad_endpoint:
        return "invalid endpoint";
    case errc::bad_text:
        return "invalid chat text";
    case errc::bad_field:
        return "field out of range";
    case errc::too_large:
        return "message larger than one datagram";
    }
    return "unknown rendezvous error";
}

// ---- one layout per message, for both directions: PROTOCOL.md's table, field by field -----
// `Io` is a detail::writer (with a const message) or a detail::reader (with a mutable one).

using detail::reader;
using detail::writer;

template <class M, class T>
concept layout_of = std::same_as<std::remove_const_t<M>, T>;

void fields(auto& io, layout_of<register_request> auto& m) {
    io.id(m.id);
    io.u64(m.cookie);
    io.u64(m.secret);
    io.eps(m.private_endpoints);
}
void fields(auto& io, layout_of<challenge> auto& m) {
    io.u64(m.cookie);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<register_ack> auto& m) {
    io.u64(m.secret);
    io.ep(m.observed);
    io.u32(m.list_version);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<refused> auto& m) {
    io.u8_enum(m.why, 1, 5);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<list_page> auto& m) {
    io.u32(m.version);
    io.u16(m.page);
    io.u16(m.page_count);
    io.check(m.page_count != 0 && m.page < m.page_count);
    io.entries(m.peers);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<peer_joined> auto& m) {
    io.u32(m.version);
    io.entry(m.peer);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<peer_left> auto& m) {
    io.u32(m.version);
    io.id(m.id);
    io.u64(m.mac);
}
// deregister and resync: the same two fields.
template <class M>
requires layout_of<M, deregister_request> || layout_of<M, resync_request>
void fields(auto& io, M& m) {
    io.id(m.id);
    io.u64(m.secret);
}
void fields(auto& io, layout_of<deregister_ack> auto& m) {
    io.u64(m.mac);
}
// probe and probe_reply: the same fields.
template <class M>
requires layout_of<M, probe> || layout_of<M, probe_reply>
void fields(auto& io, M& m) {
    io.id(m.from);
    io.id(m.to);
    io.u64(m.nonce);
    io.u64(m.mac);
}
// Each ack is its chat without the text: one layout per pair.
template <class M>
requires layout_of<M, chat> || layout_of<M, chat_ack>
void fields(auto& io, M& m) {
    io.id(m.from);
    io.id(m.to);
    io.u64(m.message_id);
    if constexpr (requires { m.text; })
        io.text(m.text);
    io.u64(m.mac);
}
template <class M>
requires layout_of<M, relay_chat> || layout_of<M, relay_ack>
void fields(auto& io, M& m) {
    io.id(m.from);
    io.u64(m.secret);
    io.id(m.to);
    io.u64(m.message_id);
    if constexpr (requires { m.text; })
        io.text(m.text);
}
template <class M>
requires layout_of<M, relayed_chat> || layout_of<M, relayed_ack>
void fields(auto& io, M& m) {
    io.id(m.from);
    io.u64(m.message_id);
    if constexpr (requires { m.text; })
        io.text(m.text);
    io.u64(m.mac);
}
void fields(auto& io, layout_of<relay_failed> auto& m) {
    io.id(m.to);
    io.u64(m.message_id);
    io.u64(m.mac);
}

template <std::size_t I>
message decode_as(reader& r) {
    std::variant_alternative_t<I, message> m{};
    fields(r, m);
    return message{std::in_place_index<I>, std::move(m)};
}

template <std::size_t... I>
constexpr auto make_decoders(std::index_sequence<I...>) {
    return std::array<message (*)(reader&), sizeof...(I)>{&decode_as<I>...};
}
constexpr auto decoders = make_decoders(std::make_index_sequence<std::variant_size_v<message>>{});

} // namespace

std::error_category const& category() noexcept {
    static netlab::detail::enum_category<errc> const instance{"netlab.rendezvous", describe};
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

endpoint endpoint::v4(std::array<std::uint8_t, 4> const& a, std::uint16_t port) {
    endpoint e;
    e.fam = family::v4;
    for (std::size_t i = 0; i < 4; ++i)
        e.address[i] = a[i];
    e.port = port;
    return e;
}

endpoint endpoint::v6(std::array<std::uint8_t, 16> const& a, std::uint16_t port) {
    endpoint e;
    e.fam = family::v6;
    e.address = a;
    e.port = port;
    return e;
}

endpoint endpoint::unmapped() const noexcept {
    constexpr std::array<std::uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (fam != family::v6 || !std::equal(prefix.begin(), prefix.end(), address.begin()))
        return *this;
    return v4({address[12], address[13], address[14], address[15]}, port);
}

std::string endpoint::to_string() const {
    std::array<char, 64> buf{};
    int n = 0;
    if (fam == family::v4) {
        n = std::snprintf(buf.data(), buf.size(), "%u.%u.%u.%u:%u", address[0], address[1],
                          address[2], address[3], unsigned{port});
        return std::string(buf.data(), static_cast<std::size_t>(n));
    }
    // RFC 5952 shortening: the longest run (>= 2) of zero groups becomes "::".
    std::array<unsigned, 8> g{};
    for (std::size_t i = 0; i < 8; ++i)
        g[i] = (unsigned{address[2 * i]} << 8U) | address[2 * i + 1];
    std::size_t best = 8, best_len = 0;
    for (std::size_t i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && g[j] == 0)
            ++j;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out = "[";
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != '[' && out.back() != ':')
            out += ':';
        n = std::snprintf(buf.data(), buf.size(), "%x", g[i]);
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    out += "]:";
    out += std::to_string(port);
    return out;
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_id_length)
        return false;
    for (char const c : id) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e)
            return false;
    }
    return true;
}

bool valid_text(std::string_view text) noexcept {
    if (text.size() > max_text_length)
        return false;
    for (char const c : text) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return false;
    }
    return true;
}

boost::system::result<bytes, std::error_code> encode(message const& m) {
    writer w;
    w.u8(magic0);
    w.u8(magic1);
    w.u8(protocol_version);
    w.u8(static_cast<std::uint8_t>(m.index() + 1));
    std::visit([&](auto const& body) { fields(w, body); }, m);
    return std::move(w).finish();
}

std::uint8_t peek_type(std::span<std::uint8_t const> datagram) noexcept {
    if (datagram.size() < header_size || datagram[0] != magic0 || datagram[1] != magic1 ||
        datagram[2] != protocol_version || datagram[3] == 0 ||
        datagram[3] > std::variant_size_v<message>)
        return 0;
    return datagram[3];
}

boost::system::result<message, std::error_code> decode(std::span<std::uint8_t const> datagram) {
    if (datagram.size() > max_datagram)
        return make_error_code(errc::too_large);
    if (datagram.size() < header_size)
        return make_error_code(errc::truncated);
    if (datagram[0] != magic0 || datagram[1] != magic1)
        return make_error_code(errc::bad_magic);
    if (datagram[2] != protocol_version)
        return make_error_code(errc::bad_version);
    std::size_t const type = datagram[3];
    if (type == 0 || type > decoders.size())
        return make_error_code(errc::unknown_type);
    reader r{datagram.subspan(header_size)};
    message m = decoders[type - 1](r);
    if (!r.ok())
        return r.error();
    if (r.remaining() != 0)
        return make_error_code(errc::trailing_bytes);
    return m;
}

} // namespace netlab::rendezvous
