#pragma once

// The rendezvous datagram format shared by rendezvousd and peerchat: one versioned binary
// format for every datagram the two programs exchange (documented byte by byte in
// libs/common/PROTOCOL.md). Pure code: no sockets, no clocks. The macs that most messages end
// in are rendezvous_auth.hpp's business, the peer list's pages rendezvous_paging.hpp's.
//
// decode() is total: any byte string yields either a message that encode() turns back into
// exactly the same bytes, or an error. It never reads out of bounds and rejects trailing bytes,
// truncation, unknown types or versions and out-of-range fields.

#include <boost/system/result.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace netlab::rendezvous {

inline constexpr std::uint8_t magic0 = 0x4e; // 'N'
inline constexpr std::uint8_t magic1 = 0x52; // 'R'
inline constexpr std::uint8_t protocol_version = 1;
inline constexpr std::size_t header_size = 4;
/// Every datagram fits the IPv6 minimum MTU with room for tunnels: no IP fragmentation.
inline constexpr std::size_t max_datagram = 1200;
inline constexpr std::size_t max_id_length = 32;
inline constexpr std::size_t max_text_length = 1024;
inline constexpr std::size_t max_private_endpoints = 4;

/// Why a datagram did not decode (or a message could not be encoded).
enum class errc {
    truncated = 1,  ///< shorter than its fields say
    trailing_bytes, ///< longer than its fields say
    bad_magic,      ///< not a rendezvous datagram at all
    bad_version,    ///< a protocol version this build does not speak
    unknown_type,   ///< message type not defined in this version
    bad_id,         ///< empty, longer than max_id_length or a byte outside 0x21..0x7e
    bad_endpoint,   ///< unknown address family or port 0
    bad_text,       ///< longer than max_text_length or holds a control character
    bad_field,      ///< any other field out of its range (page numbers, counts, reasons)
    too_large,      ///< the encoding would exceed max_datagram
};

std::error_category const& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// A UDP endpoint as carried on the wire. For IPv4 only the first 4 bytes of `address` are
/// used and the other 12 are zero, so equal endpoints compare equal.
struct endpoint {
    enum class family : std::uint8_t { v4 = 4, v6 = 6 };
    family fam = family::v4;
    std::array<std::uint8_t, 16> address{};
    std::uint16_t port = 0;

    static endpoint v4(std::array<std::uint8_t, 4> const& a, std::uint16_t port);
    static endpoint v6(std::array<std::uint8_t, 16> const& a, std::uint16_t port);
    /// Same IP address (ports may differ): "behind the same NAT".
    bool same_address(endpoint const& other) const noexcept {
        return fam == other.fam && address == other.address;
    }
    /// `1.2.3.4:5` or `[::1]:5`, as the seed printed addresses.
    std::string to_string() const;
    /// An IPv4-mapped IPv6 endpoint (`[::ffff:1.2.3.4]:5`, what a dual-stack socket reports for
    /// an IPv4 peer) as the plain IPv4 endpoint it stands for; any other endpoint unchanged.
    /// Compare and print endpoints only in this form: one host, one identity.
    endpoint unmapped() const noexcept;

    friend bool operator==(endpoint const&, endpoint const&) = default;
    friend auto operator<=>(endpoint const&, endpoint const&) = default;
};

/// One registered client as other clients see it.
struct peer_entry {
    std::string id;
    /// Authenticates datagrams between the recipient and this peer: the server derives one key
    /// per pair of registrations and hands it to both sides only.
    std::uint64_t pair_key = 0;
    endpoint public_endpoint;
    std::vector<endpoint> private_endpoints; ///< at most max_private_endpoints

    friend bool operator==(peer_entry const&, peer_entry const&) = default;
};

// --- client -> server ----------------------------------------------------------------------

/// Registration and refresh. The first one carries cookie 0 and is answered by a challenge.
/// `secret` is the one the server issued (a refresh) or, before that, a random nonce of the
/// client's (a new registration; it keys the signature of the replies).
struct register_request {
    std::string id;
    std::uint64_t cookie = 0;
    std::uint64_t secret = 0;
    std::vector<endpoint> private_endpoints;
    friend bool operator==(register_request const&, register_request const&) = default;
};
struct deregister_request {
    std::string id;
    std::uint64_t secret = 0;
    friend bool operator==(deregister_request const&, deregister_request const&) = default;
};
/// "Send me the whole list again" (a missed join/leave notice).
struct resync_request {
    std::string id;
    std::uint64_t secret = 0;
    friend bool operator==(resync_request const&, resync_request const&) = default;
};
/// A chat for `to`, relayed by the server because no direct path works.
struct relay_chat {
    std::string from;
    std::uint64_t secret = 0;
    std::string to;
    std::uint64_t message_id = 0;
    std::string text;
    friend bool operator==(relay_chat const&, relay_chat const&) = default;
};
struct relay_ack {
    std::string from;
    std::uint64_t secret = 0;
    std::string to;
    std::uint64_t message_id = 0;
    friend bool operator==(relay_ack const&, relay_ack const&) = default;
};

// --- server -> client ----------------------------------------------------------------------

/// Proof of address: the client must echo `cookie` in its next register_request. Signed like
/// the other direct replies, so a forged challenge cannot feed a client bogus cookies.
struct challenge {
    std::uint64_t cookie = 0;
    std::uint64_t mac = 0; ///< reply_mac_key (rendezvous_auth.hpp)
    friend bool operator==(challenge const&, challenge const&) = default;
};
struct register_ack {
    std::uint64_t secret = 0;
    endpoint observed; ///< the client's public endpoint as the server sees it
    std::uint32_t list_version = 0;
    std::uint64_t mac = 0; ///< reply_mac_key (rendezvous_auth.hpp)
    friend bool operator==(register_ack const&, register_ack const&) = default;
};
struct refused {
    enum class reason : std::uint8_t {
        id_taken = 1,   ///< the id is registered from elsewhere with another secret
        bad_secret = 2, ///< refresh, deregistration or relay with the wrong secret
        not_registered = 3,
        server_full = 4,
        rate_limited = 5,
    };
    reason why = reason::id_taken;
    std::uint64_t mac = 0; ///< reply_mac_key (rendezvous_auth.hpp)
    friend bool operator==(refused const&, refused const&) = default;
};
/// One page of the peer list; a list of version V is complete once pages 0..page_count-1 of
/// version V arrived.
struct list_page {
    std::uint32_t version = 0;
    std::uint16_t page = 0;
    std::uint16_t page_count = 1;
    std::vector<peer_entry> peers;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(list_page const&, list_page const&) = default;
};
/// A peer appeared or changed its endpoints (NAT rebinding); the list is now at `version`.
struct peer_joined {
    std::uint32_t version = 0;
    peer_entry peer;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(peer_joined const&, peer_joined const&) = default;
};
struct peer_left {
    std::uint32_t version = 0;
    std::string id;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(peer_left const&, peer_left const&) = default;
};
struct deregister_ack {
    std::uint64_t mac = 0; ///< reply_mac_key (rendezvous_auth.hpp)
    friend bool operator==(deregister_ack const&, deregister_ack const&) = default;
};
/// A relayed chat; `from` is the sender the server verified, not a claim.
struct relayed_chat {
    std::string from;
    std::uint64_t message_id = 0;
    std::string text;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(relayed_chat const&, relayed_chat const&) = default;
};
struct relayed_ack {
    std::string from;
    std::uint64_t message_id = 0;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(relayed_ack const&, relayed_ack const&) = default;
};
/// The server could not relay to `to` (unknown or not reachable).
struct relay_failed {
    std::string to;
    std::uint64_t message_id = 0;
    std::uint64_t mac = 0; ///< server_mac_key (rendezvous_auth.hpp)
    friend bool operator==(relay_failed const&, relay_failed const&) = default;
};

// --- peer -> peer --------------------------------------------------------------------------
// `mac`: peer_mac_key (rendezvous_auth.hpp) of the pair key, which only the two peers (and the
// server) know, so nobody else can speak as `from`.

struct probe {
    std::string from;
    std::string to;
    std::uint64_t nonce = 0;
    std::uint64_t mac = 0;
    friend bool operator==(probe const&, probe const&) = default;
};
struct probe_reply {
    std::string from;
    std::string to;
    std::uint64_t nonce = 0; ///< the probe's nonce, echoed
    std::uint64_t mac = 0;
    friend bool operator==(probe_reply const&, probe_reply const&) = default;
};
struct chat {
    std::string from;
    std::string to;
    std::uint64_t message_id = 0;
    std::string text;
    std::uint64_t mac = 0;
    friend bool operator==(chat const&, chat const&) = default;
};
struct chat_ack {
    std::string from;
    std::string to;
    std::uint64_t message_id = 0;
    std::uint64_t mac = 0;
    friend bool operator==(chat_ack const&, chat_ack const&) = default;
};

/// Every message; the alternative's index + 1 is its type byte on the wire.
using message =
    std::variant<register_request, challenge, register_ack, refused, list_page, peer_joined,
                 peer_left, deregister_request, deregister_ack, resync_request, probe, probe_reply,
                 chat, chat_ack, relay_chat, relay_ack, relayed_chat, relayed_ack, relay_failed>;

using bytes = std::vector<std::uint8_t>;

/// Encodes `m`; fails (never throws) on a field out of range or a datagram over max_datagram.
boost::system::result<bytes, std::error_code> encode(message const& m);

/// Decodes one whole datagram.
boost::system::result<message, std::error_code> decode(std::span<std::uint8_t const> datagram);

/// The type byte of a datagram's header, or 0 when it has no valid header; lets a server count
/// or rate-limit by kind without decoding.
std::uint8_t peek_type(std::span<std::uint8_t const> datagram) noexcept;

/// A valid id: 1..max_id_length bytes, each 0x21..0x7e (printable, no spaces), so that
/// `<id> <ip>:<port>` lines and `@chat <id> <msg>` commands stay unambiguous.
bool valid_id(std::string_view id) noexcept;
/// A valid chat text: at most max_text_length bytes and no control characters (0x00..0x1f,
/// 0x7f); bytes >= 0x80 (UTF-8) are allowed.
bool valid_text(std::string_view text) noexcept;

} // namespace netlab::rendezvous

template <>
struct std::is_error_code_enum<netlab::rendezvous::errc> : std::true_type {};
