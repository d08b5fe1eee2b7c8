#pragma once

// Who may speak in the rendezvous protocol: the keys the macs of its datagrams are computed
// under (PROTOCOL.md, "Macs"), and signing and verifying encoded datagrams. A mac is always
// the datagram's last field: SipHash-2-4 of every byte before it. Pure code: no sockets, no
// clocks.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace netlab::rendezvous {

inline constexpr std::size_t mac_size = 8;

// The server signs what could otherwise be forged from its address by anyone who can spoof
// a source address (list, notices, relayed messages) with the recipient's registration secret,
// which only the server and that client know.
inline siphash_key server_mac_key(std::uint64_t secret) noexcept {
    return {secret, 1};
}

// Direct replies (challenge, register_ack, refused, deregister_ack) are signed with what the
// request carried and an off-path attacker has not seen: its secret and, for register, its
// cookie (0 for the other requests). Until it is issued a secret a client puts a random nonce
// in the secret field, so even the first challenge is signed with a key only it knows.
inline siphash_key reply_mac_key(std::uint64_t secret, std::uint64_t cookie) noexcept {
    return {secret, cookie ^ 2};
}

// Peers sign what they send each other with the pair key the server handed both of them.
inline siphash_key peer_mac_key(std::uint64_t pair_key) noexcept {
    return {pair_key, 0};
}

/// True for the message types that end in a mac (everything but the client's requests).
bool is_signed(message const& m) noexcept;

/// The bytes `m`'s mac covers: its encoding minus the trailing mac. Fails like encode().
boost::system::result<bytes, std::error_code> mac_input(message const& m);

/// Fills in the mac of an encoded datagram of a signed type: its last mac_size bytes become
/// the mac of the bytes before them under `key`. Leaves a datagram too short to hold a header
/// and a mac alone.
void sign(std::span<std::uint8_t> datagram, siphash_key const& key) noexcept;

/// True when the last mac_size bytes of `datagram` are the mac of the bytes before them under
/// `key` (false for a datagram too short to hold a header and a mac).
bool verify(std::span<std::uint8_t const> datagram, siphash_key const& key) noexcept;

/// encode(m) with the mac under `key` in place of m's own. Fails like encode(), and with
/// errc::bad_field for a type that carries no mac.
boost::system::result<bytes, std::error_code> encode_signed(message const& m,
                                                            siphash_key const& key);

} // namespace netlab::rendezvous
