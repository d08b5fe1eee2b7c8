#include "sd_notify.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

#include <cstdlib>
#include <string>

namespace netlab {

std::error_code sd_notify(std::string_view state) {
    char const* const path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || *path == '\0')
        return {};
    std::string name{path};
    if (name[0] == '@')
        name[0] = '\0'; // abstract socket namespace
    namespace local = boost::asio::local;
    boost::asio::io_context ioc;
    local::datagram_protocol::socket socket{ioc};
    boost::system::error_code ec;
    socket.open(local::datagram_protocol{}, ec);
    if (!ec)
        socket.send_to(boost::asio::buffer(state.data(), state.size()),
                       local::datagram_protocol::endpoint{name}, 0, ec);
    return ec;
}

} // namespace netlab
