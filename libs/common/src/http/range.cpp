#include "ascii.hpp"

#include <netlab/common/http/range.hpp>

#include <limits>
#include <optional>

namespace netlab::http {
namespace {

// Parses a decimal for Range; false on overflow (nginx answers 416 then).
bool range_number(std::string_view& s, std::uint64_t& out) {
    constexpr auto cutoff = std::numeric_limits<std::uint64_t>::max() / 10;
    out = 0;
    while (!s.empty() && ascii::is_digit(s.front())) {
        if (out >= cutoff)
            return false;
        out = out * 10 + static_cast<std::uint64_t>(s.front() - '0');
        s.remove_prefix(1);
    }
    return true;
}

void skip_spaces(std::string_view& s) {
    while (!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
}

} // namespace

range_decision parse_range(std::string_view header, std::uint64_t size) noexcept {
    // Follows nginx's ngx_http_range_parse() with max_ranges 1: a syntax error is 416, two
    // satisfiable ranges fall back to the whole file, none at all is 416.
    constexpr range_decision ignore{range_kind::ignore, {}};
    constexpr range_decision unsatisfiable{range_kind::unsatisfiable, {}};
    if (header.size() < 6 || !ascii::iequals(header.substr(0, 6), "bytes="))
        return ignore;
    std::string_view p = header.substr(6);
    std::optional<byte_range> found;
    for (;;) {
        std::uint64_t start = 0;
        std::uint64_t end = 0; // exclusive once computed
        bool suffix = false;
        bool open_end = false;
        skip_spaces(p);
        if (p.empty() || p.front() != '-') {
            if (p.empty() || !ascii::is_digit(p.front()))
                return unsatisfiable;
            if (!range_number(p, start))
                return unsatisfiable;
            skip_spaces(p);
            if (p.empty() || p.front() != '-')
                return unsatisfiable;
            p.remove_prefix(1);
            skip_spaces(p);
            if (p.empty() || p.front() == ',') {
                end = size;
                open_end = true;
            }
        } else {
            suffix = true;
            p.remove_prefix(1);
        }
        if (!open_end) {
            if (p.empty() || !ascii::is_digit(p.front()))
                return unsatisfiable;
            if (!range_number(p, end))
                return unsatisfiable;
            skip_spaces(p);
            if (!p.empty() && p.front() != ',')
                return unsatisfiable;
            if (suffix) {
                start = end < size ? size - end : 0;
                end = size; // the last byte, made exclusive
            } else {
                end = end >= size ? size : end + 1;
            }
        }
        if (start < end) {
            if (found)
                return ignore; // a second range: nginx with max_ranges 1 sends it all
            found = byte_range{start, end - 1};
        } else if (start == 0) {
            return ignore; // an empty representation: nothing to cut
        }
        if (p.empty())
            break;
        p.remove_prefix(1); // ','
    }
    if (!found)
        return unsatisfiable;
    return {range_kind::satisfiable, *found};
}

} // namespace netlab::http
