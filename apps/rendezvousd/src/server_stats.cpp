#include <netlab/rendezvousd/server_stats.hpp>

namespace netlab::rendezvousd {

std::string stats_line(server_stats const& s, registry_gauges const& g) {
    std::string line = "stats clients=" + std::to_string(g.clients);
    auto const add = [&](char const* name, std::uint64_t v) {
        line += ' ';
        line += name;
        line += '=';
        line += std::to_string(v);
    };
    add("version", g.version);
    add("received", s.received);
    add("malformed", s.malformed);
    add("rate_limited", s.rate_limited);
    add("unexpected", s.unexpected);
    add("challenges", s.challenges);
    add("registrations", s.registrations);
    add("refreshes", s.refreshes);
    add("rebindings", s.rebindings);
    add("refused", s.refused);
    add("expired", s.expired);
    add("deregistered", s.deregistered);
    add("resyncs", s.resyncs);
    add("lagging", g.lagging);
    add("notices", s.notices);
    add("lists", s.lists);
    add("list_pages", s.list_pages);
    add("relayed", s.relayed);
    add("relay_dropped", s.relay_dropped);
    return line;
}

} // namespace netlab::rendezvousd
