#include "enum_category.hpp"

#include <netlab/common/ascii.hpp>
#include <netlab/common/http/host.hpp>
#include <netlab/common/http/target.hpp>

#include <vector>

namespace netlab::http {
namespace {

char const* describe(target_errc e) noexcept {
    switch (e) {
    case target_errc::empty:
        return "empty request target";
    case target_errc::not_origin_form:
        return "request target is not a path";
    case target_errc::bad_percent:
        return "malformed percent-encoding";
    case target_errc::nul_byte:
        return "NUL byte in request target";
    case target_errc::backslash:
        return "backslash in request target";
    case target_errc::above_root:
        return "request target climbs above the root";
    case target_errc::bad_authority:
        return "invalid authority in request target";
    }
    return "unknown target error";
}

// The path and query of an origin-form target ("/p?q"), or of an absolute-form one
// (RFC 9112 3.2.2: "http://host/p?q"; the authority is checked, not used). An http(s) URI
// with an empty host is invalid (RFC 9110 4.2.1), one with a userinfo an error (4.2.4).
boost::system::result<std::string_view, std::error_code> origin_part(std::string_view target) {
    if (target.empty())
        return make_error_code(target_errc::empty);
    if (target.front() == '/')
        return target;
    std::size_t scheme = 0;
    if (target.size() >= 7 && ascii::iequals(target.substr(0, 7), "http://"))
        scheme = 7;
    else if (target.size() >= 8 && ascii::iequals(target.substr(0, 8), "https://"))
        scheme = 8;
    else
        return make_error_code(target_errc::not_origin_form);
    auto const slash = target.find_first_of("/?#", scheme);
    auto const authority = parse_authority(target.substr(scheme, slash - scheme));
    if (!authority || authority->host.empty())
        return make_error_code(target_errc::bad_authority);
    if (slash == std::string_view::npos || target[slash] != '/')
        return std::string_view{}; // "http://host" or "http://host?q" means "/"
    return target.substr(slash);
}

// A path that is already normal (no escapes, backslashes, NULs, empty or dot-led segments)
// is its own result: the common case, without decoding.
bool already_normal(std::string_view raw_path) noexcept {
    if (raw_path.empty())
        return false;
    for (std::size_t i = 0; i < raw_path.size(); ++i) {
        char const c = raw_path[i];
        if (c == '%' || c == '\\' || c == '\0' ||
            (c == '/' && i + 1 < raw_path.size() &&
             (raw_path[i + 1] == '/' || raw_path[i + 1] == '.')))
            return false;
    }
    return true;
}

// Decodes %XX once, refusing what no file name may hold.
boost::system::result<std::string, std::error_code> percent_decode(std::string_view raw_path) {
    std::string decoded;
    decoded.reserve(raw_path.size());
    for (std::size_t i = 0; i < raw_path.size(); ++i) {
        char c = raw_path[i];
        if (c == '%') {
            if (i + 2 >= raw_path.size())
                return make_error_code(target_errc::bad_percent);
            auto const hi = ascii::hex_value(raw_path[i + 1]);
            auto const lo = ascii::hex_value(raw_path[i + 2]);
            if (hi < 0 || lo < 0)
                return make_error_code(target_errc::bad_percent);
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return make_error_code(target_errc::nul_byte);
        if (c == '\\')
            return make_error_code(target_errc::backslash);
        decoded += c;
    }
    return decoded;
}

// Resolves segments on the decoded bytes, what the file system will see: empty and "."
// segments go, ".." takes one back (never above "/").
boost::system::result<std::string, std::error_code> resolve_segments(std::string_view decoded) {
    std::vector<std::string_view> segments;
    bool directory = decoded.empty() || decoded.back() == '/';
    std::string_view rest = decoded;
    while (!rest.empty()) {
        auto const slash = rest.find('/');
        auto const seg = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        bool const last = rest.empty();
        if (seg.empty())
            continue;
        if (seg == "." || seg == "..") {
            if (seg == "..") {
                if (segments.empty())
                    return make_error_code(target_errc::above_root);
                segments.pop_back();
            }
            directory = directory || last;
            continue;
        }
        segments.push_back(seg);
    }
    // Built with reserve + append: GCC 12 warns falsely (-Wrestrict) on `string += view` here.
    std::string path;
    path.reserve(decoded.size() + 2);
    path.push_back('/');
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i != 0)
            path.push_back('/');
        path.append(segments[i].data(), segments[i].size());
    }
    if (directory && !segments.empty())
        path.push_back('/');
    return path;
}

} // namespace

std::error_category const& target_category() noexcept {
    static detail::enum_category<target_errc> const instance{"netlab.http.target", describe};
    return instance;
}

std::error_code make_error_code(target_errc e) noexcept {
    return {static_cast<int>(e), target_category()};
}

boost::system::result<target_path, std::error_code> normalize_target(std::string_view target) {
    auto const origin = origin_part(target);
    if (!origin)
        return origin.error();
    target_path out;
    auto const query_at = origin->find('?');
    auto raw_path = origin->substr(0, query_at);
    if (query_at != std::string_view::npos)
        out.query = std::string{origin->substr(query_at + 1)};
    if (auto const hash = raw_path.find('#'); hash != std::string_view::npos)
        raw_path = raw_path.substr(0, hash);
    if (auto const hash = out.query.find('#'); hash != std::string::npos)
        out.query.resize(hash);

    if (already_normal(raw_path)) {
        out.path.assign(raw_path.data(), raw_path.size());
        return out;
    }
    auto const decoded = percent_decode(raw_path);
    if (!decoded)
        return decoded.error();
    auto path = resolve_segments(*decoded);
    if (!path)
        return path.error();
    out.path = std::move(*path);
    return out;
}

std::string encode_path(std::string_view path) {
    static constexpr std::string_view hex = "0123456789ABCDEF";
    std::string out;
    out.reserve(path.size());
    for (char const ch : path) {
        auto const c = static_cast<unsigned char>(ch);
        bool const keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') ||
                          std::string_view{"-._~!$&'()*+,;=:@/"}.find(ch) != std::string_view::npos;
        if (keep) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4U];
            out += hex[c & 0xfU];
        }
    }
    return out;
}

} // namespace netlab::http
