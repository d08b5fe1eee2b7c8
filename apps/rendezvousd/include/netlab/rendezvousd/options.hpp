#pragma once

// rendezvousd's command line and config file (the same options in both).

#include <netlab/rendezvousd/server_core.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <system_error>

namespace netlab::rendezvousd {

struct daemon_options {
    std::uint16_t port = 10080;
    server_options server;
    std::chrono::seconds stats_interval{60};
};

/// Parses argv (and --config FILE). --help and --version print to `out` and yield
/// `std::errc::interrupted` (exit 0); usage errors print to `err` and yield
/// `std::errc::invalid_argument` (exit 2).
boost::system::result<daemon_options, std::error_code>
parse_options(int argc, char const* const* argv, std::ostream& out, std::ostream& err);

} // namespace netlab::rendezvousd
