#pragma once

// Command line and config file (same options) for copyd.

#include <netlab/cli/outcome.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace netlab::copyd {

enum class prompt_mode { automatic, always, never };

/// Default bytes per copy_file_range call or read/write pair (see README: measured).
inline constexpr std::size_t default_chunk_size = std::size_t{1024} * 1024;
inline constexpr std::size_t max_chunk_size = std::size_t{64} * 1024 * 1024;

struct options {
    prompt_mode prompt = prompt_mode::automatic;
    std::string log_path = "log.txt";
    std::size_t chunk_size = default_chunk_size;
    unsigned threads = 0; ///< 0: one per core
    bool progress = false;
    std::chrono::milliseconds progress_interval{1000};
    std::vector<std::pair<std::string, std::string>> copies; ///< from the arguments
};

/// Parses argv (and --config FILE). Prints --help/--version to `out`, errors to `err`.
cli::outcome<options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                    std::ostream& err);

/// "10000", "64K", "1M", "1MiB" -> bytes; nothing for junk, 0 or above max_chunk_size.
boost::system::result<std::size_t, std::error_code> parse_size(std::string const& text);

} // namespace netlab::copyd
