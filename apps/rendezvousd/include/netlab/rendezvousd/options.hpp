#pragma once

// rendezvousd's command line and config file (the same options in both).

#include <netlab/cli/outcome.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace netlab::rendezvousd {

struct daemon_options {
    std::string bind; ///< an IP address to listen on; empty: every interface (IPv6 and IPv4)
    std::uint16_t port = 10080;
    server_options server;
    std::chrono::seconds stats_interval{60};
};

/// Parses argv (and --config FILE). --help and --version print to `out`; usage errors print
/// to `err`.
cli::outcome<daemon_options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                           std::ostream& err);

} // namespace netlab::rendezvousd
