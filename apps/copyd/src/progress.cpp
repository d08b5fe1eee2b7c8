#include <netlab/common/copy_log.hpp>
#include <netlab/copyd/progress.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

namespace netlab::copyd {

std::string format_bytes(std::uint64_t bytes) {
    static constexpr std::array<char const*, 6> units{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024)
        return std::to_string(bytes) + " B";
    auto value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.1f %s", value, units[unit]);
    return buf.data();
}

std::string format_progress(progress_snapshot const& p) {
    // append() rather than operator+: GCC 12 warns falsely (-Wrestrict) on "lit" + string.
    std::string out{"'"};
    out.append(copy_log::escape(p.source)).append("' -> '");
    out.append(copy_log::escape(p.destination)).append("': ");
    out.append(format_bytes(p.done)).append(" / ").append(format_bytes(p.total));
    auto const fraction =
        p.total == 0 ? 1.0 : static_cast<double>(p.done) / static_cast<double>(p.total);
    out.append(" (").append(std::to_string(static_cast<unsigned>(std::min(fraction, 1.0) * 100)));
    out.append("%)");
    auto const secs = std::chrono::duration<double>(p.elapsed).count();
    if (secs > 0) {
        auto const rate = static_cast<std::uint64_t>(static_cast<double>(p.done) / secs);
        out.append(", ").append(format_bytes(rate)).append("/s");
    }
    out += '\n';
    return out;
}

std::string format_listing(std::vector<progress_snapshot> const& running, std::size_t waiting,
                           std::string_view prefix) {
    std::string out;
    for (auto const& p : running)
        out.append(prefix).append(format_progress(p));
    if (waiting > 0)
        out.append(prefix).append(std::to_string(waiting)).append(" more waiting to start\n");
    return out;
}

} // namespace netlab::copyd
