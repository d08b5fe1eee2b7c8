#include <netlab/common/ascii.hpp>
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

// Bytes [first, end) of the representation; empty when first >= end.
struct half_open {
    std::uint64_t first = 0;
    std::uint64_t end = 0;
};

// One range-spec ("500-999", "500-", "-500") clipped to `size` bytes; nothing on a syntax
// error or an overflow. Leaves `p` at the ',' after it, or empty.
std::optional<half_open> range_spec(std::string_view& p, std::uint64_t size) {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    skip_spaces(p);
    bool const suffix = !p.empty() && p.front() == '-';
    if (suffix) {
        p.remove_prefix(1);
    } else {
        if (p.empty() || !ascii::is_digit(p.front()) || !range_number(p, first))
            return std::nullopt;
        skip_spaces(p);
        if (p.empty() || p.front() != '-')
            return std::nullopt;
        p.remove_prefix(1);
        skip_spaces(p);
        if (p.empty() || p.front() == ',')
            return half_open{first, size}; // "500-": to the end
    }
    if (p.empty() || !ascii::is_digit(p.front()) || !range_number(p, last))
        return std::nullopt;
    skip_spaces(p);
    if (!p.empty() && p.front() != ',')
        return std::nullopt;
    if (suffix) // "-500": the last 500 bytes
        return half_open{last < size ? size - last : 0, size};
    return half_open{first, last >= size ? size : last + 1};
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
        auto const r = range_spec(p, size);
        if (!r)
            return unsatisfiable;
        if (r->first < r->end) {
            if (found)
                return ignore; // a second range: nginx with max_ranges 1 sends it all
            found = byte_range{r->first, r->end - 1};
        } else if (r->first == 0) {
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
