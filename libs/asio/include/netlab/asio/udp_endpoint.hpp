#pragma once

// Conversions between Asio UDP endpoints and wire endpoints. IPv4-mapped IPv6 addresses (what a
// dual-stack socket reports for IPv4 peers) become plain IPv4, so a client has one identity
// whichever socket family saw it.
//
// Also the destination address of a received datagram (IP_PKTINFO / IPV6_PKTINFO) and the
// control message that sends a reply from that same address: on a host with several addresses
// the routing table may otherwise pick another source, which NATs and clients drop.

#include <netlab/common/rendezvous_wire.hpp>

#include <boost/asio/ip/udp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>

#include <sys/socket.h>

namespace netlab::rendezvous {

endpoint to_wire(boost::asio::ip::udp::endpoint const& e);

/// For a socket of `protocol`: IPv4 endpoints become IPv4-mapped on an IPv6 socket.
boost::asio::ip::udp::endpoint to_asio(endpoint const& e, boost::asio::ip::udp protocol);

/// One of the host's addresses, as a datagram's destination.
struct local_address {
    endpoint::family fam = endpoint::family::v4;
    std::array<std::uint8_t, 16> address{}; ///< IPv4: the first 4 bytes
    /// Interface index, kept only for IPv6 link-local addresses (ambiguous without it).
    std::uint32_t scope = 0;
    bool operator==(local_address const&) const = default;
};

/// Asks the kernel for each datagram's destination address on a UDP socket of `protocol`
/// (on a dual-stack IPv6 socket both IPV6_RECVPKTINFO and IP_PKTINFO).
std::error_code enable_pktinfo(int fd, boost::asio::ip::udp protocol) noexcept;

/// Room for the control messages enable_pktinfo asks for (both kinds on a dual-stack socket).
inline constexpr std::size_t pktinfo_space = 128;

/// The destination address of a datagram received with recvmsg(2) after enable_pktinfo;
/// nullopt when the control data is missing or truncated, or the destination was a multicast
/// group (not a valid source).
std::optional<local_address> destination_of(msghdr const& m) noexcept;

/// Writes into `buffer` (pktinfo_space bytes, cmsghdr-aligned) the control message that makes
/// sendmsg(2) on a socket of `protocol` send from `from`, and points `m` at it. An IPv4
/// address on an IPv6 socket goes out as IPV6_PKTINFO with a v4-mapped address (Linux routes
/// that through the IPv4 path).
void set_source(msghdr& m, std::span<std::byte, pktinfo_space> buffer,
                boost::asio::ip::udp protocol, local_address const& from) noexcept;

} // namespace netlab::rendezvous
