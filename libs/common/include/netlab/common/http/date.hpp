#pragma once

// HTTP dates (RFC 9110 section 5.6.7): Date, Last-Modified, If-Modified-Since.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace netlab::http {

using sys_seconds = std::chrono::sys_seconds;

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (always 29 characters).
std::string format_http_date(sys_seconds t);

/// Writes the 29 characters of format_http_date into `out`.
void format_http_date(sys_seconds t, char (&out)[29]) noexcept;

/// Parses IMF-fixdate, and the obsolete RFC 850 and asctime forms as recipients must.
std::optional<sys_seconds> parse_http_date(std::string_view text) noexcept;

} // namespace netlab::http
