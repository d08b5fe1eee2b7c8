#include <netlab/peerchat/endpoints.hpp>

#include <algorithm>

namespace netlab::peerchat {

namespace rv = netlab::rendezvous;
using family = rv::endpoint::family;

bool is_loopback(rv::endpoint const& e) noexcept {
    auto const& a = e.address;
    if (e.fam == family::v4)
        return a[0] == 127;
    return std::all_of(a.begin(), a.end() - 1, [](auto b) { return b == 0; }) && a[15] == 1;
}

bool is_unusable(rv::endpoint const& e) noexcept {
    auto const& a = e.address;
    if (e.fam == family::v4)
        return a[0] == 0 || (a[0] == 169 && a[1] == 254) || (a[0] >= 224);
    bool const unspecified = std::all_of(a.begin(), a.end(), [](auto b) { return b == 0; });
    bool const link_local = a[0] == 0xfe && (a[1] & 0xc0U) == 0x80;
    return unspecified || link_local || a[0] == 0xff;
}

std::vector<rv::endpoint> choose_private_endpoints(std::vector<rv::endpoint> const& addresses,
                                                   bool keep_loopback) {
    std::vector<rv::endpoint> v4, v6;
    for (auto const& raw : addresses) {
        auto const e = raw.unmapped();
        if (is_unusable(e) || (is_loopback(e) && !keep_loopback))
            continue;
        auto& list = e.fam == family::v4 ? v4 : v6;
        if (std::find(list.begin(), list.end(), e) == list.end())
            list.push_back(e);
    }
    for (auto* list : {&v4, &v6})
        std::stable_partition(list->begin(), list->end(), is_loopback);
    std::vector<rv::endpoint> out;
    for (std::size_t i = 0; out.size() < rv::max_private_endpoints; ++i) {
        if (i >= v4.size() && i >= v6.size())
            break;
        for (auto const* list : {&v4, &v6})
            if (i < list->size() && out.size() < rv::max_private_endpoints)
                out.push_back((*list)[i]);
    }
    return out;
}

std::vector<rv::endpoint> usable_servers(std::vector<rv::endpoint> const& resolved, bool ipv6) {
    std::vector<rv::endpoint> out;
    for (auto const& raw : resolved) {
        auto const e = raw.unmapped();
        if ((e.fam == family::v6 && !ipv6) || std::find(out.begin(), out.end(), e) != out.end())
            continue;
        out.push_back(e);
    }
    return out;
}

} // namespace netlab::peerchat
