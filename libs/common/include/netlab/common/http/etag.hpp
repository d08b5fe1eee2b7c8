#pragma once

// Entity tags: the ETag webd sends, and the comparisons of If-None-Match and If-Match
// (RFC 9110 sections 8.8.3, 13.1.1, 13.1.2).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace netlab::http {

/// nginx's ETag shape: `"<hex mtime seconds>-<hex size>"`, e.g. "\"5f5e1000-400\"".
std::string make_etag(std::chrono::sys_seconds mtime, std::uint64_t size);

/// If-None-Match: true when the header matches `etag` by weak comparison (or is `*`).
bool if_none_match_matches(std::string_view header, std::string_view etag) noexcept;

/// If-Match: true when the header is `*`, or lists `etag` by strong comparison (a weak tag,
/// on either side, never matches).
bool if_match_matches(std::string_view header, std::string_view etag) noexcept;

} // namespace netlab::http
