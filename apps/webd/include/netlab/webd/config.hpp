#pragma once

// webd's options: the command line and `--config FILE` accept the same names; the command
// line wins over the file.

#include <netlab/cli/outcome.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace netlab::webd {

struct config {
    std::string root = ".";
    std::uint16_t port = 10080;
    std::string bind; ///< empty: every interface, IPv6 dual-stack (IPv4 if no IPv6)
    unsigned threads = 1;
    std::string access_log = "-";
    std::size_t max_connections = 20000;
    std::chrono::seconds header_timeout{15};
    std::chrono::seconds keepalive_timeout{75};
    std::chrono::seconds send_timeout{60};
    std::chrono::seconds shutdown_timeout{10};
    std::uint64_t max_body = 64 * 1024;
    std::size_t file_cache = 16 * 1024 * 1024; ///< bytes of small files kept in memory
    bool follow_outside_symlinks = false;
};

/// Parses argv (and --config FILE). --help and --version print to `out`; usage errors print
/// to `err`.
cli::outcome<config> parse_config(int argc, char const* const* argv, std::ostream& out,
                                  std::ostream& err);

} // namespace netlab::webd
