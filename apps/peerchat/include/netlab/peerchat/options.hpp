#pragma once

// peerchat's command line (and --config FILE with the same options).

#include <netlab/cli/outcome.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <system_error>

namespace netlab::peerchat {

struct program_options {
    std::optional<std::string> id; ///< none: the first input line is the id
    std::string server_host = "127.0.0.1";
    std::uint16_t server_port = 10080;
    std::uint16_t port = 10081;
    std::chrono::milliseconds refresh{10'000};
};

/// Splits `HOST[:PORT]` (a name or an IPv4 address), `[IPV6]`, `[IPV6]:PORT` or a bare IPV6
/// address (without a port: `::1:80` is an address). Brackets hold only an IPv6 literal.
boost::system::result<std::pair<std::string, std::uint16_t>, std::error_code>
split_host_port(std::string const& s, std::uint16_t default_port);

/// Parses argv (and --config FILE). --help and --version print to `out`; usage errors print
/// to `err`.
cli::outcome<program_options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                            std::ostream& err);

} // namespace netlab::peerchat
