#pragma once

// webd's error and status lines on stderr, one per event: "webd: <message>", priority-prefixed
// when stderr is the journal. A thin wrapper over libs/sys's journal logger, kept so that the
// server and connections log with one call and no logger to pass around.

#include <netlab/sys/journal.hpp>

#include <string_view>

namespace netlab::webd {

using priority = sys::journal::priority;

/// Writes "webd: <message>\n" with one write(2).
void log_line(priority p, std::string_view message) noexcept;

} // namespace netlab::webd
