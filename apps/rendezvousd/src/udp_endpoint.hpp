#pragma once

// Conversions between Asio UDP endpoints and wire endpoints. IPv4-mapped IPv6 addresses (what a
// dual-stack socket reports for IPv4 peers) become plain IPv4, so a client has one identity
// whichever socket family saw it.

#include <netlab/common/rendezvous_wire.hpp>

#include <boost/asio/ip/udp.hpp>

namespace netlab::rendezvous {

endpoint to_wire(boost::asio::ip::udp::endpoint const& e);

/// For a socket of `protocol`: IPv4 endpoints become IPv4-mapped on an IPv6 socket.
boost::asio::ip::udp::endpoint to_asio(endpoint const& e, boost::asio::ip::udp protocol);

} // namespace netlab::rendezvous
