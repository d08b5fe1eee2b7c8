#include <netlab/common/http/etag.hpp>

#include <algorithm>
#include <array>
#include <charconv>

namespace netlab::http {
namespace {

void append_hex(std::string& out, std::uint64_t v) {
    std::array<char, 20> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, 16);
    out.append(buf.data(), end);
}

std::string_view opaque(std::string_view tag) noexcept {
    if (tag.starts_with("W/"))
        tag.remove_prefix(2);
    return tag;
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// Calls `match` with each member of an entity-tag list ([W/]"...", or anything up to the
// next comma), until one matches. Commas may appear only between tags.
template <class Match>
bool any_member(std::string_view header, Match match) noexcept {
    while (!header.empty()) {
        while (!header.empty() &&
               (header.front() == ' ' || header.front() == '\t' || header.front() == ','))
            header.remove_prefix(1);
        if (header.empty())
            break;
        std::size_t end = header.starts_with("W/") ? 2 : 0;
        if (end < header.size() && header[end] == '"') {
            auto const close = header.find('"', end + 1);
            if (close == std::string_view::npos)
                return false;
            end = close + 1;
        } else {
            end = std::min(header.find(','), header.size());
        }
        if (match(header.substr(0, end)))
            return true;
        header.remove_prefix(end);
    }
    return false;
}

} // namespace

std::string make_etag(std::chrono::sys_seconds mtime, std::uint64_t size) {
    std::string out;
    out.reserve(24);
    out += '"';
    append_hex(out, static_cast<std::uint64_t>(
                        std::max<std::int64_t>(0, mtime.time_since_epoch().count())));
    out += '-';
    append_hex(out, size);
    out += '"';
    return out;
}

bool if_none_match_matches(std::string_view header, std::string_view etag) noexcept {
    auto const ours = opaque(etag);
    return any_member(
        header, [ours](std::string_view tag) { return tag.front() == '*' || opaque(tag) == ours; });
}

bool if_match_matches(std::string_view header, std::string_view etag) noexcept {
    // "*" alone means "any current representation" (as nginx, not inside a list); a weak
    // tag on either side never matches (strong comparison).
    if (trim_ows(header) == "*")
        return true;
    if (etag.starts_with("W/"))
        return false;
    return any_member(header, [etag](std::string_view tag) { return tag == etag; });
}

} // namespace netlab::http
