#include <netlab/common/ascii.hpp>
#include <netlab/common/http/date.hpp>

#include <algorithm>
#include <array>

namespace netlab::http {
namespace {

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
        while (ok && taken < n && !s.empty() && ascii::is_digit(s.front())) {
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
            if (ascii::iequals(s.substr(0, 3), months[i])) {
                s.remove_prefix(3);
                return static_cast<int>(i) + 1;
            }
        ok = false;
        return 0;
    }
    void word(std::string_view w) {
        if (ok && s.size() >= w.size() && ascii::iequals(s.substr(0, w.size()), w))
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

// " HH:MM:SS GMT", the end that RFC 850 and IMF-fixdate share.
std::optional<sys_seconds> time_then_gmt(cursor& c, int year, int month, int day) {
    c.skip(' ');
    auto const [h, m, s] = c.time_of_day();
    if (!c.gmt_at_end())
        return std::nullopt;
    return make_time(year, month, day, h, m, s);
}

// After "Sunday, 06": "-Nov-94 08:49:37 GMT" (RFC 850).
std::optional<sys_seconds> rfc850_rest(cursor& c, int day) {
    c.skip('-');
    auto const month = c.month();
    c.skip('-');
    auto year = c.number(2);
    year += year < 70 ? 2000 : 1900;
    return time_then_gmt(c, year, month, day);
}

// After "Sun, 06": " Nov 1994 08:49:37 GMT" (IMF-fixdate).
std::optional<sys_seconds> imf_fixdate_rest(cursor& c, int day) {
    c.skip(' ');
    auto const month = c.month();
    c.skip(' ');
    auto const year = c.number(4);
    return time_then_gmt(c, year, month, day);
}

// After "Sun": " Nov  6 08:49:37 1994" (asctime).
std::optional<sys_seconds> asctime_rest(cursor& c) {
    c.skip(' ');
    auto const month = c.month();
    c.skip(' ');
    c.skip_spaces();
    auto const day = c.number(2, true);
    c.skip(' ');
    auto const [h, m, s] = c.time_of_day();
    c.skip(' ');
    auto const year = c.number(4);
    if (!c.at_end())
        return std::nullopt;
    return make_time(year, month, day, h, m, s);
}

} // namespace

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
    if (c.s.empty() || c.s.front() != ',')
        return asctime_rest(c);
    c.skip(',');
    c.skip(' ');
    auto const day = c.number(2);
    if (!c.s.empty() && c.s.front() == '-')
        return rfc850_rest(c, day);
    return imf_fixdate_rest(c, day);
}

} // namespace netlab::http
