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
    auto const opaque = [](std::string_view t) {
        if (t.size() >= 2 && t[0] == 'W' && t[1] == '/')
            t.remove_prefix(2);
        return t;
    };
    auto const ours = opaque(etag);
    while (!header.empty()) {
        while (!header.empty() &&
               (header.front() == ' ' || header.front() == '\t' || header.front() == ','))
            header.remove_prefix(1);
        if (header.empty())
            break;
        if (header.front() == '*')
            return true;
        // One entity-tag: [W/]"..."; commas may appear only between tags.
        std::size_t end = 0;
        if (header.starts_with("W/"))
            end = 2;
        if (end < header.size() && header[end] == '"') {
            auto const close = header.find('"', end + 1);
            if (close == std::string_view::npos)
                return false;
            end = close + 1;
        } else {
            end = std::min(header.find(','), header.size());
        }
        if (opaque(header.substr(0, end)) == ours)
            return true;
        header.remove_prefix(end);
    }
    return false;
}

} // namespace netlab::http
