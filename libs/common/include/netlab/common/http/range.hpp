#pragma once

// The Range header (RFC 9110 section 14), decided as nginx does with `max_ranges 1`.

#include <cstdint>
#include <string_view>

namespace netlab::http {

/// A satisfiable byte range [first, last] (inclusive).
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t length() const noexcept { return last - first + 1; }
    friend bool operator==(byte_range const&, byte_range const&) = default;
};

/// What to do with a Range header.
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

} // namespace netlab::http
