#include <netlab/peerchat/endpoints.hpp>
#include <netlab/peerchat/local_addresses.hpp>

#include <array>
#include <cstring>
#include <memory>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace netlab::peerchat {

namespace rv = netlab::rendezvous;

std::vector<rv::endpoint> local_addresses(std::uint16_t port, bool ipv6, bool keep_loopback) {
    std::vector<rv::endpoint> all;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return all;
    std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> const owner{list, &::freeifaddrs};
    for (auto const* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || (i->ifa_flags & IFF_UP) == 0 ||
            ((i->ifa_flags & IFF_LOOPBACK) != 0 && !keep_loopback))
            continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            sockaddr_in sin{};
            std::memcpy(&sin, i->ifa_addr, sizeof sin);
            std::array<std::uint8_t, 4> a{};
            std::memcpy(a.data(), &sin.sin_addr, 4);
            all.push_back(rv::endpoint::v4(a, port));
        } else if (ipv6 && i->ifa_addr->sa_family == AF_INET6) {
            sockaddr_in6 sin6{};
            std::memcpy(&sin6, i->ifa_addr, sizeof sin6);
            std::array<std::uint8_t, 16> a{};
            std::memcpy(a.data(), &sin6.sin6_addr, 16);
            all.push_back(rv::endpoint::v6(a, port));
        }
    }
    return choose_private_endpoints(all, keep_loopback);
}

} // namespace netlab::peerchat
