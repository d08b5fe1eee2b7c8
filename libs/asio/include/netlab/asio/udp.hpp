#pragma once

#include <boost/asio/ip/udp.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace netlab::asio {

/// "[::]:10080", "127.0.0.1:10080": an endpoint as operators read it in messages.
std::string endpoint_text(boost::asio::ip::udp::endpoint const& ep);

/// Opens `s` and binds it to `address` and `port` (0: any free port). An empty address means
/// every interface: one dual-stack IPv6 socket (IPv4 peers appear IPv4-mapped), or plain IPv4
/// on a host without IPv6. Throws std::runtime_error "cannot listen on [::]:10080: Address
/// already in use" (no library source location: the message is for operators), or
/// std::invalid_argument when `address` is not an IP address.
void bind_udp(boost::asio::ip::udp::socket& s, std::string_view address, std::uint16_t port);

} // namespace netlab::asio
