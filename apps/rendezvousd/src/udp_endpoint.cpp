#include "udp_endpoint.hpp"

namespace netlab::rendezvous {

namespace ip = boost::asio::ip;

endpoint to_wire(ip::udp::endpoint const& e) {
    auto const a = e.address();
    if (a.is_v4())
        return endpoint::v4(a.to_v4().to_bytes(), e.port());
    auto const v6 = a.to_v6();
    if (v6.is_v4_mapped())
        return endpoint::v4(ip::make_address_v4(ip::v4_mapped, v6).to_bytes(), e.port());
    return endpoint::v6(v6.to_bytes(), e.port());
}

ip::udp::endpoint to_asio(endpoint const& e, ip::udp protocol) {
    if (e.fam == endpoint::family::v6)
        return {ip::address_v6{e.address}, e.port};
    ip::address_v4 const v4{{e.address[0], e.address[1], e.address[2], e.address[3]}};
    if (protocol == ip::udp::v6())
        return {ip::make_address_v6(ip::v4_mapped, v4), e.port};
    return {v4, e.port};
}

} // namespace netlab::rendezvous
