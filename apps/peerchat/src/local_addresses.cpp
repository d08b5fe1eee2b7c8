#include "local_addresses.hpp"

#include <array>
#include <cstring>
#include <memory>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace netlab::peerchat {

namespace rv = netlab::rendezvous;

std::vector<rv::endpoint> local_addresses(rv::endpoint::family family, std::uint16_t port) {
    std::vector<rv::endpoint> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return out;
    std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> const owner{list, &::freeifaddrs};
    for (auto const* i = list; i != nullptr && out.size() < rv::max_private_endpoints;
         i = i->ifa_next) {
        if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0 ||
            (i->ifa_flags & IFF_LOOPBACK) != 0)
            continue;
        if (family == rv::endpoint::family::v4 && i->ifa_addr->sa_family == AF_INET) {
            sockaddr_in sin{};
            std::memcpy(&sin, i->ifa_addr, sizeof sin);
            std::array<std::uint8_t, 4> a{};
            std::memcpy(a.data(), &sin.sin_addr, 4);
            if (a[0] == 169 && a[1] == 254)
                continue; // link-local: useless to a peer
            out.push_back(rv::endpoint::v4(a, port));
        } else if (family == rv::endpoint::family::v6 && i->ifa_addr->sa_family == AF_INET6) {
            sockaddr_in6 sin6{};
            std::memcpy(&sin6, i->ifa_addr, sizeof sin6);
            std::array<std::uint8_t, 16> a{};
            std::memcpy(a.data(), &sin6.sin6_addr, 16);
            if (a[0] == 0xfe && (a[1] & 0xc0U) == 0x80)
                continue; // link-local needs a scope id, which the wire does not carry
            out.push_back(rv::endpoint::v6(a, port));
        }
    }
    return out;
}

} // namespace netlab::peerchat
