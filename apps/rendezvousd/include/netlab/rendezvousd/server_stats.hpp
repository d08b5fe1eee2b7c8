#pragma once

// rendezvousd's counters and the stats line they are printed as (SIGUSR1, --stats-interval).

#include <cstddef>
#include <cstdint>
#include <string>

namespace netlab::rendezvousd {

struct server_stats {
    std::uint64_t received = 0;
    std::uint64_t malformed = 0;
    std::uint64_t rate_limited = 0;
    std::uint64_t unexpected = 0; ///< well-formed but not meant for a server (probes, chats)
    std::uint64_t challenges = 0;
    std::uint64_t registrations = 0;
    std::uint64_t refreshes = 0;
    std::uint64_t rebindings = 0;
    std::uint64_t refused = 0;
    std::uint64_t expired = 0;
    std::uint64_t deregistered = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t notices = 0; ///< join/leave notices sent
    std::uint64_t lists = 0;   ///< whole lists sent (on joining, resync, or when cheaper)
    std::uint64_t list_pages = 0;
    std::uint64_t relayed = 0;
    std::uint64_t relay_dropped = 0;
};

/// The registry's state at one moment, besides the counters.
struct registry_gauges {
    std::size_t clients = 0;
    std::uint32_t version = 0;
    std::size_t lagging = 0;
};

/// `stats clients=3 version=7 received=...`, one line.
std::string stats_line(server_stats const& s, registry_gauges const& g);

} // namespace netlab::rendezvousd
