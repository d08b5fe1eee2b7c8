#pragma once

// systemd's readiness protocol without libsystemd: one datagram to $NOTIFY_SOCKET.

#include <string_view>
#include <system_error>

namespace netlab {

/// Sends `state` (e.g. "READY=1") when $NOTIFY_SOCKET is set; does nothing otherwise.
std::error_code sd_notify(std::string_view state);

} // namespace netlab
