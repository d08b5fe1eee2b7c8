#include <netlab/common/http.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <vector>

namespace netlab::http {
namespace {

constexpr char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

struct mime_entry {
    std::string_view ext;
    std::string_view type;
};

// Sorted by extension (lower case) for binary search; nginx's mime.types for the common ones.
constexpr std::array mime_table{
    mime_entry{"7z", "application/x-7z-compressed"},
    mime_entry{"aac", "audio/aac"},
    mime_entry{"avif", "image/avif"},
    mime_entry{"bin", "application/octet-stream"},
    mime_entry{"bmp", "image/bmp"},
    mime_entry{"css", "text/css"},
    mime_entry{"csv", "text/csv"},
    mime_entry{"gif", "image/gif"},
    mime_entry{"gz", "application/gzip"},
    mime_entry{"htm", "text/html"},
    mime_entry{"html", "text/html"},
    mime_entry{"ico", "image/x-icon"},
    mime_entry{"jpeg", "image/jpeg"},
    mime_entry{"jpg", "image/jpeg"},
    mime_entry{"js", "application/javascript"},
    mime_entry{"json", "application/json"},
    mime_entry{"m4a", "audio/x-m4a"},
    mime_entry{"map", "application/json"},
    mime_entry{"md", "text/markdown"},
    mime_entry{"mjs", "application/javascript"},
    mime_entry{"mp3", "audio/mpeg"},
    mime_entry{"mp4", "video/mp4"},
    mime_entry{"mpeg", "video/mpeg"},
    mime_entry{"ogg", "audio/ogg"},
    mime_entry{"otf", "font/otf"},
    mime_entry{"pdf", "application/pdf"},
    mime_entry{"png", "image/png"},
    mime_entry{"svg", "image/svg+xml"},
    mime_entry{"svgz", "image/svg+xml"},
    mime_entry{"tar", "application/x-tar"},
    mime_entry{"tif", "image/tiff"},
    mime_entry{"tiff", "image/tiff"},
    mime_entry{"ttf", "font/ttf"},
    mime_entry{"txt", "text/plain"},
    mime_entry{"wasm", "application/wasm"},
    mime_entry{"wav", "audio/wav"},
    mime_entry{"webm", "video/webm"},
    mime_entry{"webmanifest", "application/manifest+json"},
    mime_entry{"webp", "image/webp"},
    mime_entry{"woff", "font/woff"},
    mime_entry{"woff2", "font/woff2"},
    mime_entry{"xhtml", "application/xhtml+xml"},
    mime_entry{"xml", "text/xml"},
    mime_entry{"zip", "application/zip"},
};

constexpr bool table_sorted() {
    for (std::size_t i = 1; i < mime_table.size(); ++i)
        if (!(mime_table[i - 1].ext < mime_table[i].ext))
            return false;
    return true;
}
static_assert(table_sorted(), "mime_table must stay sorted for binary search");

constexpr std::array<std::string_view, 7> weekdays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A cursor over a date string; every step fails softly.
struct cursor {
    std::string_view s;
    bool ok = true;

    void skip(char c) {
        if (ok && !s.empty() && s.front() == c)
            s.remove_prefix(1);
        else
            ok = false;
    }
    void skip_spaces() {
        while (!s.empty() && s.front() == ' ')
            s.remove_prefix(1);
    }
    // Exactly `n` digits (or 1..n when `at_most`).
    int number(std::size_t n, bool at_most = false) {
        int v = 0;
        std::size_t taken = 0;
        while (ok && taken < n && !s.empty() && is_digit(s.front())) {
            v = v * 10 + (s.front() - '0');
            s.remove_prefix(1);
            ++taken;
        }
        if (taken == 0 || (!at_most && taken != n))
            ok = false;
        return v;
    }
    int month() {
        if (!ok || s.size() < 3) {
            ok = false;
            return 0;
        }
        for (std::size_t i = 0; i < months.size(); ++i)
            if (iequals(s.substr(0, 3), months[i])) {
                s.remove_prefix(3);
                return static_cast<int>(i) + 1;
            }
        ok = false;
        return 0;
    }
    void word(std::string_view w) {
        if (ok && s.size() >= w.size() && iequals(s.substr(0, w.size()), w))
            s.remove_prefix(w.size());
        else
            ok = false;
    }
    void day_name() {
        std::size_t n = 0;
        while (n < s.size() && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z')))
            ++n;
        if (n < 3)
            ok = false;
        s.remove_prefix(n);
    }
    struct hms {
        int h, m, s;
    };
    // "HH:MM:SS"
    hms time_of_day() {
        int const h = number(2);
        skip(':');
        int const m = number(2);
        skip(':');
        return {h, m, number(2)};
    }
    // Only spaces left, and every step so far succeeded.
    bool at_end() {
        skip_spaces();
        return ok && s.empty();
    }
    // " GMT" closing the date.
    bool gmt_at_end() {
        skip(' ');
        word("GMT");
        return at_end();
    }
};

std::optional<sys_seconds> make_time(int year, int month, int day, int h, int m, int sec) {
    namespace c = std::chrono;
    c::year_month_day const ymd{c::year{year}, c::month{static_cast<unsigned>(month)},
                                c::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || h > 23 || m > 59 || sec > 60)
        return std::nullopt;
    return sys_seconds{c::sys_days{ymd}} + c::hours{h} + c::minutes{m} +
           c::seconds{std::min(sec, 59)};
}

void append_hex(std::string& out, std::uint64_t v) {
    std::array<char, 20> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, 16);
    out.append(buf.data(), end);
}

// Parses a decimal for Range; false on overflow (nginx answers 416 then).
bool range_number(std::string_view& s, std::uint64_t& out) {
    constexpr auto cutoff = std::numeric_limits<std::uint64_t>::max() / 10;
    out = 0;
    while (!s.empty() && is_digit(s.front())) {
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

class target_category_impl final : public std::error_category {
public:
    char const* name() const noexcept override { return "netlab.http.target"; }
    std::string message(int ev) const override {
        switch (static_cast<target_errc>(ev)) {
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
        }
        return "unknown target error";
    }
};

} // namespace

// ---- MIME ----------------------------------------------------------------------------------

std::string_view mime_type(std::string_view path) noexcept {
    constexpr std::string_view fallback = "application/octet-stream";
    auto const slash = path.rfind('/');
    auto const name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    auto const dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == name.size())
        return fallback;
    auto const ext_raw = name.substr(dot + 1);
    std::array<char, 16> buf{};
    if (ext_raw.size() > buf.size())
        return fallback;
    std::transform(ext_raw.begin(), ext_raw.end(), buf.begin(), lower);
    std::string_view const ext{buf.data(), ext_raw.size()};
    auto const it =
        std::lower_bound(mime_table.begin(), mime_table.end(), ext,
                         [](mime_entry const& e, std::string_view x) { return e.ext < x; });
    if (it != mime_table.end() && it->ext == ext)
        return it->type;
    return fallback;
}

// ---- Dates ---------------------------------------------------------------------------------

void format_http_date(sys_seconds t, char (&out)[29]) noexcept {
    namespace c = std::chrono;
    auto const days = c::floor<c::days>(t);
    c::year_month_day const ymd{days};
    c::hh_mm_ss const hms{t - days};
    auto const wd = c::weekday{days}.c_encoding();
    auto const put2 = [&](std::size_t at, unsigned v) {
        out[at] = static_cast<char>('0' + v / 10);
        out[at + 1] = static_cast<char>('0' + v % 10);
    };
    auto const put3 = [&](std::size_t at, std::string_view s) {
        out[at] = s[0];
        out[at + 1] = s[1];
        out[at + 2] = s[2];
    };
    // Years outside 0000..9999 cannot be written in 4 digits; clamp (never seen from files).
    auto const year = static_cast<unsigned>(std::clamp(static_cast<int>(ymd.year()), 0, 9999));
    put3(0, weekdays[wd]);
    out[3] = ',';
    out[4] = ' ';
    put2(5, static_cast<unsigned>(ymd.day()));
    out[7] = ' ';
    put3(8, months[static_cast<unsigned>(ymd.month()) - 1]);
    out[11] = ' ';
    put2(12, year / 100);
    put2(14, year % 100);
    out[16] = ' ';
    put2(17, static_cast<unsigned>(hms.hours().count()));
    out[19] = ':';
    put2(20, static_cast<unsigned>(hms.minutes().count()));
    out[22] = ':';
    put2(23, static_cast<unsigned>(hms.seconds().count()));
    put3(25, " GM");
    out[28] = 'T';
}

std::string format_http_date(sys_seconds t) {
    char buf[29];
    format_http_date(t, buf);
    return {buf, sizeof buf};
}

std::optional<sys_seconds> parse_http_date(std::string_view text) noexcept {
    cursor c{text};
    c.skip_spaces();
    c.day_name();
    if (!c.ok)
        return std::nullopt;
    if (!c.s.empty() && c.s.front() == ',') {
        c.skip(',');
        c.skip(' ');
        auto const day = c.number(2);
        if (!c.s.empty() && c.s.front() == '-') {
            // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
            c.skip('-');
            auto const mon = c.month();
            c.skip('-');
            auto year = c.number(2);
            year += year < 70 ? 2000 : 1900;
            c.skip(' ');
            auto const [h, m, s] = c.time_of_day();
            if (!c.gmt_at_end())
                return std::nullopt;
            return make_time(year, mon, day, h, m, s);
        }
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        c.skip(' ');
        auto const mon = c.month();
        c.skip(' ');
        auto const year = c.number(4);
        c.skip(' ');
        auto const [h, m, s] = c.time_of_day();
        if (!c.gmt_at_end())
            return std::nullopt;
        return make_time(year, mon, day, h, m, s);
    }
    // asctime: "Sun Nov  6 08:49:37 1994"
    c.skip(' ');
    auto const mon = c.month();
    c.skip(' ');
    c.skip_spaces();
    auto const day = c.number(2, true);
    c.skip(' ');
    auto const [h, m, s] = c.time_of_day();
    c.skip(' ');
    auto const year = c.number(4);
    if (!c.at_end())
        return std::nullopt;
    return make_time(year, mon, day, h, m, s);
}

// ---- Entity tags ---------------------------------------------------------------------------

std::string make_etag(sys_seconds mtime, std::uint64_t size) {
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

// ---- Range ---------------------------------------------------------------------------------

range_decision parse_range(std::string_view header, std::uint64_t size) noexcept {
    // Follows nginx's ngx_http_range_parse() with max_ranges 1: a syntax error is 416, two
    // satisfiable ranges fall back to the whole file, none at all is 416.
    constexpr range_decision ignore{range_kind::ignore, {}};
    constexpr range_decision unsatisfiable{range_kind::unsatisfiable, {}};
    if (header.size() < 6 || !iequals(header.substr(0, 6), "bytes="))
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
            if (p.empty() || !is_digit(p.front()))
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
            if (p.empty() || !is_digit(p.front()))
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

// ---- Targets -------------------------------------------------------------------------------

std::error_category const& target_category() noexcept {
    static target_category_impl const instance;
    return instance;
}

std::error_code make_error_code(target_errc e) noexcept {
    return {static_cast<int>(e), target_category()};
}

boost::system::result<target_path, std::error_code> normalize_target(std::string_view target) {
    if (target.empty())
        return make_error_code(target_errc::empty);
    if (target.front() != '/') {
        // absolute-form (RFC 9112 3.2.2): "http://host/path"; the authority is not used.
        std::size_t scheme = 0;
        if (target.size() >= 7 && iequals(target.substr(0, 7), "http://"))
            scheme = 7;
        else if (target.size() >= 8 && iequals(target.substr(0, 8), "https://"))
            scheme = 8;
        else
            return make_error_code(target_errc::not_origin_form);
        auto const slash = target.find_first_of("/?#", scheme);
        if (slash == std::string_view::npos || target[slash] != '/')
            target = target.substr(0, 0); // "http://host" or "http://host?q" means "/"
        else
            target.remove_prefix(slash);
    }
    target_path out;
    auto const query_at = target.find('?');
    auto raw_path = target.substr(0, query_at);
    if (query_at != std::string_view::npos)
        out.query = std::string{target.substr(query_at + 1)};
    if (auto const hash = raw_path.find('#'); hash != std::string_view::npos)
        raw_path = raw_path.substr(0, hash);
    auto const hash_in_query = out.query.find('#');
    if (hash_in_query != std::string::npos)
        out.query.resize(hash_in_query);

    // Fast path: a path that is already normal (no escapes, backslashes, NULs, empty or
    // dot-led segments) is its own result.
    bool simple = !raw_path.empty();
    for (std::size_t i = 0; simple && i < raw_path.size(); ++i) {
        char const c = raw_path[i];
        if (c == '%' || c == '\\' || c == '\0' ||
            (c == '/' && i + 1 < raw_path.size() &&
             (raw_path[i + 1] == '/' || raw_path[i + 1] == '.')))
            simple = false;
    }
    if (simple) {
        out.path.assign(raw_path.data(), raw_path.size());
        return out;
    }

    // Decode once.
    std::string decoded;
    decoded.reserve(raw_path.size());
    for (std::size_t i = 0; i < raw_path.size(); ++i) {
        char c = raw_path[i];
        if (c == '%') {
            if (i + 2 >= raw_path.size())
                return make_error_code(target_errc::bad_percent);
            auto const hi = hex_value(raw_path[i + 1]);
            auto const lo = hex_value(raw_path[i + 2]);
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

    // Resolve segments on the decoded bytes: what the file system will see.
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
        if (seg == ".") {
            directory = directory || last;
            continue;
        }
        if (seg == "..") {
            if (segments.empty())
                return make_error_code(target_errc::above_root);
            segments.pop_back();
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
    out.path = std::move(path);
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
