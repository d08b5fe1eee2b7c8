#pragma once

// Request targets: from what the client sent to the decoded, normalised path that is
// mapped to a file, and back to a path for a Location header.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace netlab::http {

/// Why a request target was refused (each is a 400).
enum class target_errc {
    empty = 1,       ///< empty target
    not_origin_form, ///< neither "/path" nor "http(s)://authority/path"
    bad_percent,     ///< '%' not followed by two hex digits
    nul_byte,        ///< a NUL byte, raw or %00
    backslash,       ///< a backslash, raw or %5C
    above_root,      ///< ".." would leave the document root
    bad_authority,   ///< absolute-form with an empty or invalid host (or a userinfo)
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
