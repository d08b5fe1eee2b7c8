#pragma once

// The two systemd protocols the daemons speak without libsystemd: readiness notification
// (sd_notify's datagram to $NOTIFY_SOCKET) and socket activation ($LISTEN_FDS).

#include <string_view>
#include <vector>

namespace netlab::sys::systemd {

/// Sends `state` (e.g. "READY=1") to $NOTIFY_SOCKET. False when unset or on failure.
bool notify(std::string_view state) noexcept;

/// The listening sockets passed by systemd (fds 3, 4, ...) when $LISTEN_PID is this process;
/// marks them close-on-exec and unsets the variables so children do not inherit them.
std::vector<int> listen_fds();

} // namespace netlab::sys::systemd
