#pragma once

// This host's own addresses (getifaddrs): a peerchat client's private endpoints.

#include <netlab/common/rendezvous_wire.hpp>

#include <vector>

namespace netlab::peerchat {

/// This host's addresses worth offering peers, with `port` (see choose_private_endpoints):
/// IPv6 ones only when `ipv6` (the socket is dual-stack), loopback ones only when
/// `keep_loopback` (the server is on this host).
std::vector<rendezvous::endpoint> local_addresses(std::uint16_t port, bool ipv6,
                                                  bool keep_loopback);

} // namespace netlab::peerchat
