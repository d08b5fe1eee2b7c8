#pragma once

// Pure HTTP helpers for webd: MIME types, HTTP dates, ETags, the Range header and request
// targets. No sockets, no clocks, no files: every function is total over its input.

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace netlab::http {

// ---- MIME ---------------------------------------------------------------------------------

/// The Content-Type for a path, from its extension (case-insensitive);
/// `application/octet-stream` when unknown.
std::string_view mime_type(std::string_view path) noexcept;

// ---- Dates (RFC 9110 section 5.6.7) --------------------------------------------------------

using sys_seconds = std::chrono::sys_seconds;

/// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (always 29 characters).
std::string format_http_date(sys_seconds t);

/// Writes the 29 characters of format_http_date into `out`.
void format_http_date(sys_seconds t, char (&out)[29]) noexcept;

/// Parses IMF-fixdate, and the obsolete RFC 850 and asctime forms as recipients must.
std::optional<sys_seconds> parse_http_date(std::string_view text) noexcept;

// ---- Entity tags ----------------------------------------------------------------------------

/// nginx's ETag shape: `"<hex mtime seconds>-<hex size>"`, e.g. "\"5f5e1000-400\"".
std::string make_etag(sys_seconds mtime, std::uint64_t size);

/// If-None-Match: true when the header matches `etag` by weak comparison (or is `*`).
bool if_none_match_matches(std::string_view header, std::string_view etag) noexcept;

// ---- Range (RFC 9110 section 14) ------------------------------------------------------------

/// A satisfiable byte range [first, last] (inclusive).
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t length() const noexcept { return last - first + 1; }
    friend bool operator==(byte_range const&, byte_range const&) = default;
};

/// What to do with a Range header, decided as nginx does with `max_ranges 1`.
enum class range_kind {
    ignore,        ///< serve the whole representation (200): no/foreign unit, several ranges
    satisfiable,   ///< serve `range` (206)
    unsatisfiable, ///< 416 with `Content-Range: bytes */size`
};

struct range_decision {
    range_kind kind = range_kind::ignore;
    byte_range range{};
    friend bool operator==(range_decision const&, range_decision const&) = default;
};

/// Interprets a Range header value for a representation of `size` bytes.
range_decision parse_range(std::string_view header, std::uint64_t size) noexcept;

// ---- Request targets --------------------------------------------------------------------------

/// Why a request target was refused (each is a 400).
enum class target_errc {
    empty = 1,       ///< empty target
    not_origin_form, ///< neither "/path" nor "http(s)://authority/path"
    bad_percent,     ///< '%' not followed by two hex digits
    nul_byte,        ///< a NUL byte, raw or %00
    backslash,       ///< a backslash, raw or %5C
    above_root,      ///< ".." would leave the document root
};

std::error_category const& target_category() noexcept;
std::error_code make_error_code(target_errc e) noexcept;

/// A decoded, normalised request path.
struct target_path {
    /// Starts with '/', no empty, "." or ".." segments; ends with '/' when the request
    /// named a directory (a trailing slash, or a final "." or ".." segment).
    std::string path;
    /// The query after '?', without the '?', undecoded ("" when absent).
    std::string query;
    friend bool operator==(target_path const&, target_path const&) = default;
};

/// Splits the query off, percent-decodes once (so "%252e" stays the three bytes "%2e"),
/// merges slashes, resolves "." and "..", and rejects NUL, backslash and any climb above "/".
boost::system::result<target_path, std::error_code> normalize_target(std::string_view target);

/// Percent-encodes a decoded path for a Location header (keeps '/' and unreserved bytes).
std::string encode_path(std::string_view path);

} // namespace netlab::http

template <>
struct std::is_error_code_enum<netlab::http::target_errc> : std::true_type {};
