#pragma once

// The copy log line: `<seconds since program start, 2 decimals>\t<text>\n`, as the seed's
// log.txt has it, e.g. "3.65\tb.mp4 is copied completely". Pure code: no I/O, no clock.
//
// File names may hold any byte but NUL and '/'-separators, so the text is escaped to keep
// one event on one line: backslash, control characters and DEL become `\\`, `\n`, `\t`, `\r`
// or `\xHH`. Ordinary names come out exactly as the seed wrote them.

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <ratio>
#include <string>
#include <string_view>
#include <system_error>

namespace netlab::copy_log {

using centiseconds = std::chrono::duration<std::int64_t, std::centi>;

/// Why a line did not parse.
enum class errc {
    missing_tab = 1,   ///< no TAB between timestamp and text
    bad_timestamp,     ///< not `<digits>.<2 digits>` or out of range
    bad_escape,        ///< a backslash not followed by a known escape
    control_character, ///< a raw control character inside the text
};

std::error_category const& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// One parsed line.
struct line {
    centiseconds elapsed{};
    std::string text;

    friend bool operator==(line const&, line const&) = default;
};

/// Formats one complete line, newline included, ready for a single write(2).
/// `since_start` is rounded to the nearest centisecond; negative values count as 0.
std::string format_line(std::chrono::nanoseconds since_start, std::string_view text);

/// Parses one line as written by format_line (a trailing '\n' is optional).
boost::system::result<line, std::error_code> parse_line(std::string_view input);

/// Escapes `raw` for a log line; unescape(escape(x)) == x for every byte string.
std::string escape(std::string_view raw);
boost::system::result<std::string, std::error_code> unescape(std::string_view escaped);

/// The texts of the seed's events, and the failure event it never had.
std::string started_text(std::string_view src, std::string_view dst);
std::string completed_text(std::string_view dst);
std::string failed_text(std::string_view src, std::string_view dst, std::string_view reason);

} // namespace netlab::copy_log

template <>
struct std::is_error_code_enum<netlab::copy_log::errc> : std::true_type {};
