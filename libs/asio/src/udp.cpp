#include <netlab/asio/udp.hpp>

#include <boost/asio/ip/v6_only.hpp>

#include <stdexcept>

namespace netlab::asio {
namespace {

using boost::asio::ip::udp;

boost::system::error_code try_bind(udp::socket& s, udp::endpoint const& ep, bool dual_stack) {
    boost::system::error_code ec;
    if (s.is_open())
        s.close(ec);
    s.open(ep.protocol(), ec);
    if (!ec && dual_stack)
        s.set_option(boost::asio::ip::v6_only{false}, ec);
    if (!ec)
        s.bind(ep, ec);
    return ec;
}

} // namespace

std::string endpoint_text(udp::endpoint const& ep) {
    auto const address = ep.address().to_string();
    auto const port = std::to_string(ep.port());
    return ep.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

void bind_udp(udp::socket& s, std::string_view address, std::uint16_t port) {
    udp::endpoint ep{udp::v6(), port};
    bool dual_stack = address.empty();
    if (!dual_stack) {
        boost::system::error_code ec;
        auto const ip = boost::asio::ip::make_address(address, ec);
        if (ec)
            throw std::invalid_argument{"not an IP address: " + std::string{address}};
        ep = {ip, port};
    }
    auto ec = try_bind(s, ep, dual_stack);
    // No IPv6 on this host: every interface is then IPv4's.
    if (dual_stack && (ec == boost::asio::error::address_family_not_supported ||
                       ec == boost::system::errc::address_not_available)) {
        ep = {udp::v4(), port};
        ec = try_bind(s, ep, false);
    }
    if (ec) {
        boost::system::error_code ignored;
        s.close(ignored);
        throw std::runtime_error{"cannot listen on " + endpoint_text(ep) + ": " + ec.message()};
    }
}

} // namespace netlab::asio
