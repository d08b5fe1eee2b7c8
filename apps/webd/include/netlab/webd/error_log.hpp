#pragma once

// Error and status lines on stderr, one per event. When stderr is the journal
// ($JOURNAL_STREAM names stderr), a "<N>" prefix gives each line its syslog priority.

#include <string_view>

namespace netlab::webd {

enum class priority { error = 3, warning = 4, info = 6, debug = 7 };

/// Writes "webd: <message>\n" with one write(2).
void log_line(priority p, std::string_view message) noexcept;

} // namespace netlab::webd
