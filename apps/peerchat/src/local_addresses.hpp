#pragma once

// This host's own addresses (getifaddrs): a peerchat client's private endpoints.

#include <netlab/common/rendezvous_wire.hpp>

#include <vector>

namespace netlab::peerchat {

/// Up to max_private_endpoints non-loopback, non-link-local addresses of `family`, with `port`.
std::vector<rendezvous::endpoint> local_addresses(rendezvous::endpoint::family family,
                                                  std::uint16_t port);

} // namespace netlab::peerchat
