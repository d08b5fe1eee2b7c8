#pragma once

// Which of this host's addresses to offer peers as private endpoints, and which resolved server
// addresses to try: pure functions over wire endpoints (getifaddrs is in local_addresses).

#include <netlab/common/rendezvous_wire.hpp>

#include <vector>

namespace netlab::peerchat {

/// 127.0.0.0/8 or ::1.
bool is_loopback(rendezvous::endpoint const& e) noexcept;
/// Useless to a peer: unspecified, multicast, or link-local (169.254.0.0/16; fe80::/10 would
/// also need a scope id, which the wire format does not carry).
bool is_unusable(rendezvous::endpoint const& e) noexcept;

/// Up to max_private_endpoints of `addresses` (this host's, in interface order) worth offering
/// to peers: IPv4-mapped ones unmapped, duplicates and unusable ones dropped, loopback ones kept
/// (first) only when `keep_loopback` (the server, hence every peer, is on this host). The
/// families alternate, IPv4 first, so that both are offered when both exist.
std::vector<rendezvous::endpoint>
choose_private_endpoints(std::vector<rendezvous::endpoint> const& addresses, bool keep_loopback);

/// The resolved server addresses worth trying, in the resolver's order (getaddrinfo sorts them
/// by RFC 6724): unmapped, deduplicated, without IPv6 ones when the socket is IPv4 only.
std::vector<rendezvous::endpoint> usable_servers(std::vector<rendezvous::endpoint> const& resolved,
                                                 bool ipv6);

} // namespace netlab::peerchat
