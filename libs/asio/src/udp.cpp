#include <netlab/asio/udp.hpp>

#include <boost/asio/ip/v6_only.hpp>

namespace netlab::asio {

void bind_dual_stack(boost::asio::ip::udp::socket& s, std::uint16_t port) {
    using boost::asio::ip::udp;
    boost::system::error_code ec;
    s.open(udp::v6(), ec);
    if (!ec)
        s.set_option(boost::asio::ip::v6_only{false}, ec);
    if (!ec)
        s.bind({udp::v6(), port}, ec);
    if (ec) {
        if (s.is_open())
            s.close();
        s.open(udp::v4());
        s.bind({udp::v4(), port});
    }
}

} // namespace netlab::asio
