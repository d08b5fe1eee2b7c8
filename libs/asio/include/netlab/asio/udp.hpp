#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>

namespace netlab::asio {

/// Opens `s` and binds it to `port` (0: any free port) on all interfaces: one dual-stack IPv6
/// socket (IPv4 peers appear IPv4-mapped) where the host has IPv6, else plain IPv4. Throws
/// boost::system::system_error when neither works (the port is taken, say).
void bind_dual_stack(boost::asio::ip::udp::socket& s, std::uint16_t port);

} // namespace netlab::asio
