#include <netlab/asio/udp_endpoint.hpp>

#include <cstring>

#include <netinet/in.h>

namespace netlab::rendezvous {

namespace ip = boost::asio::ip;

// A dual-stack socket reports an IPv4 datagram's destination in both forms.
static_assert(CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo)) <= pktinfo_space);

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

std::error_code enable_pktinfo(int fd, ip::udp protocol) noexcept {
    int const on = 1;
    if (protocol == ip::udp::v6()) {
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) != 0)
            return {errno, std::system_category()};
        // IPv4 datagrams on a dual-stack socket: IPV6_PKTINFO carries them v4-mapped, but
        // IP_PKTINFO's ipi_spec_dst is the better source (a local address even when the
        // datagram went to a broadcast address). Best effort. The second control message
        // costs too little to measure here (see the commit message).
        (void)::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
        return {};
    }
    if (::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0)
        return {errno, std::system_category()};
    return {};
}

std::optional<local_address> destination_of(msghdr const& m) noexcept {
    if ((m.msg_flags & MSG_CTRUNC) != 0)
        return std::nullopt;
    std::optional<local_address> v4, v6;
    // CMSG_NXTHDR takes a non-const msghdr but does not modify it.
    auto& mm = const_cast<msghdr&>(m); // NOLINT(cppcoreguidelines-pro-type-const-cast)
    for (cmsghdr* c = CMSG_FIRSTHDR(&mm); c != nullptr; c = CMSG_NXTHDR(&mm, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
            in_pktinfo info{};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            local_address a;
            std::memcpy(a.address.data(), &info.ipi_spec_dst, 4);
            v4 = a;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
            in6_pktinfo info{};
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            local_address a;
            a.fam = endpoint::family::v6;
            std::memcpy(a.address.data(), &info.ipi6_addr, 16);
            if (IN6_IS_ADDR_V4MAPPED(&info.ipi6_addr)) {
                a.fam = endpoint::family::v4;
                std::memmove(a.address.data(), a.address.data() + 12, 4);
                std::memset(a.address.data() + 4, 0, 12);
            } else if (IN6_IS_ADDR_MULTICAST(&info.ipi6_addr)) {
                continue;
            } else if (IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr)) {
                a.scope = info.ipi6_ifindex;
            }
            v6 = a;
        }
    }
    if (v4)
        return v4;
    if (v6 && v6->fam == endpoint::family::v4 && v6->address[0] >= 224)
        return std::nullopt; // multicast or broadcast: only IP_PKTINFO knows a local address
    return v6;
}

void set_source(msghdr& m, std::span<std::byte, pktinfo_space> buffer, ip::udp protocol,
                local_address const& from) noexcept {
    std::memset(buffer.data(), 0, CMSG_SPACE(sizeof(in6_pktinfo))); // the larger of the two
    m.msg_control = buffer.data();
    auto* c = reinterpret_cast<cmsghdr*>(buffer.data()); // NOLINT: the cmsg(3) way
    if (protocol == ip::udp::v6()) {
        in6_pktinfo info{};
        if (from.fam == endpoint::family::v4) {
            // ::ffff:a.b.c.d
            info.ipi6_addr.s6_addr[10] = 0xff;
            info.ipi6_addr.s6_addr[11] = 0xff;
            std::memcpy(&info.ipi6_addr.s6_addr[12], from.address.data(), 4);
        } else {
            std::memcpy(&info.ipi6_addr, from.address.data(), 16);
            info.ipi6_ifindex = from.scope;
        }
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof info);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
        m.msg_controllen = CMSG_SPACE(sizeof info);
        return;
    }
    // ipi_ifindex 0: the routing table still chooses the interface, only the source is fixed.
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, from.address.data(), 4);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof info);
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
    m.msg_controllen = CMSG_SPACE(sizeof info);
}

} // namespace netlab::rendezvous
