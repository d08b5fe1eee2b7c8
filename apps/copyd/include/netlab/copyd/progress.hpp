#pragma once

// Progress lines for running copies, pure formatting:
//   'big.iso' -> 'backup/big.iso': 512.0 MiB / 1.0 GiB (50%), 850.3 MiB/s

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::copyd {

struct progress_snapshot {
    std::string source;
    std::string destination;
    std::uint64_t done = 0;
    std::uint64_t total = 0;
    std::chrono::nanoseconds elapsed{};
};

/// "0 B", "999 B", "1.0 KiB", "10.0 MiB", ... (binary units, one decimal).
std::string format_bytes(std::uint64_t bytes);

/// One line, newline included.
std::string format_progress(progress_snapshot const& p);

/// One line per running copy, then "N more waiting to start" if any wait; each line begins
/// with `prefix` ("copyd: " on stderr).
std::string format_listing(std::vector<progress_snapshot> const& running, std::size_t waiting,
                           std::string_view prefix = {});

} // namespace netlab::copyd
