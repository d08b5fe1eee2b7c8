#pragma once

// Entity tags: the ETag webd sends and If-None-Match's comparison (RFC 9110 section 8.8.3).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace netlab::http {

/// nginx's ETag shape: `"<hex mtime seconds>-<hex size>"`, e.g. "\"5f5e1000-400\"".
std::string make_etag(std::chrono::sys_seconds mtime, std::uint64_t size);

/// If-None-Match: true when the header matches `etag` by weak comparison (or is `*`).
bool if_none_match_matches(std::string_view header, std::string_view etag) noexcept;

} // namespace netlab::http
