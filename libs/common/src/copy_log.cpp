#include "enum_category.hpp"

#include <netlab/common/ascii.hpp>
#include <netlab/common/copy_log.hpp>

#include <array>
#include <charconv>
#include <limits>

namespace netlab::copy_log {
namespace {

char const* describe(errc e) noexcept {
    switch (e) {
    case errc::missing_tab:
        return "no tab after the timestamp";
    case errc::bad_timestamp:
        return "malformed timestamp";
    case errc::bad_escape:
        return "malformed escape sequence";
    case errc::control_character:
        return "unescaped control character";
    }
    return "unknown copy_log error";
}

constexpr bool is_control(unsigned char c) noexcept {
    return c < 0x20 || c == 0x7f;
}

void append_number(std::string& out, std::int64_t value) {
    std::array<char, 24> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), end);
}

} // namespace

std::error_category const& category() noexcept {
    static detail::enum_category<errc> const instance{"netlab.copy_log", describe};
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

std::string escape(std::string_view raw) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size());
    for (char const ch : raw) {
        auto const c = static_cast<unsigned char>(ch);
        switch (ch) {
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (is_control(c)) {
                out += "\\x";
                out += digits[c >> 4U];
                out += digits[c & 0xfU];
            } else {
                out += ch;
            }
        }
    }
    return out;
}

boost::system::result<std::string, std::error_code> unescape(std::string_view escaped) {
    std::string out;
    out.reserve(escaped.size());
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        char const ch = escaped[i];
        if (is_control(static_cast<unsigned char>(ch)))
            return make_error_code(errc::control_character);
        if (ch != '\\') {
            out += ch;
            continue;
        }
        if (++i == escaped.size())
            return make_error_code(errc::bad_escape);
        switch (escaped[i]) {
        case '\\':
            out += '\\';
            break;
        case 'n':
            out += '\n';
            break;
        case 't':
            out += '\t';
            break;
        case 'r':
            out += '\r';
            break;
        case 'x': {
            if (escaped.size() - i < 3)
                return make_error_code(errc::bad_escape);
            int const hi = ascii::hex_value(escaped[i + 1]);
            int const lo = ascii::hex_value(escaped[i + 2]);
            if (hi < 0 || lo < 0)
                return make_error_code(errc::bad_escape);
            out += static_cast<char>((hi << 4) | lo);
            i += 2;
            break;
        }
        default:
            return make_error_code(errc::bad_escape);
        }
    }
    return out;
}

std::string format_line(std::chrono::nanoseconds since_start, std::string_view text) {
    using namespace std::chrono;
    auto const ns = std::max(since_start, nanoseconds::zero()).count();
    // Round half up: 0.005 s prints as 0.01, like Python's '%.2f' on the seed's floats.
    std::int64_t const centis = ns / 10'000'000 + (ns % 10'000'000 >= 5'000'000 ? 1 : 0);

    std::string out;
    out.reserve(text.size() + 16);
    append_number(out, centis / 100);
    out += '.';
    auto const frac = centis % 100;
    out += static_cast<char>('0' + frac / 10);
    out += static_cast<char>('0' + frac % 10);
    out += '\t';
    out += escape(text);
    out += '\n';
    return out;
}

boost::system::result<line, std::error_code> parse_line(std::string_view input) {
    if (!input.empty() && input.back() == '\n')
        input.remove_suffix(1);
    auto const tab = input.find('\t');
    if (tab == std::string_view::npos)
        return make_error_code(errc::missing_tab);

    // Timestamp: one or more digits, '.', exactly two digits.
    std::string_view const stamp = input.substr(0, tab);
    auto const dot = stamp.find('.');
    if (dot == 0 || dot == std::string_view::npos || stamp.size() - dot != 3)
        return make_error_code(errc::bad_timestamp);
    std::int64_t whole = 0;
    auto const* const first = stamp.data();
    auto const* const dot_ptr = stamp.data() + dot;
    auto const [end, ec] = std::from_chars(first, dot_ptr, whole);
    if (ec != std::errc{} || end != dot_ptr || *first == '-' || *first == '+')
        return make_error_code(errc::bad_timestamp);
    int const d1 = ascii::hex_value(stamp[dot + 1]);
    int const d2 = ascii::hex_value(stamp[dot + 2]);
    if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9)
        return make_error_code(errc::bad_timestamp);
    // Bounded so the value converts to nanoseconds without overflow (about 292 years).
    constexpr std::int64_t max_whole = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
    if (whole > max_whole)
        return make_error_code(errc::bad_timestamp);

    auto text = unescape(input.substr(tab + 1));
    if (!text)
        return text.error();
    std::int64_t const fraction = d1 * 10 + d2;
    return line{centiseconds{whole * 100 + fraction}, std::move(*text)};
}

std::string started_text(std::string_view src, std::string_view dst) {
    std::string out{"Start copying "};
    out.append(src).append(" to ").append(dst);
    return out;
}

std::string completed_text(std::string_view dst) {
    std::string out{dst};
    out += " is copied completely";
    return out;
}

std::string failed_text(std::string_view src, std::string_view dst, std::string_view reason) {
    std::string out{"Failed copying "};
    out.append(src).append(" to ").append(dst).append(": ").append(reason);
    return out;
}

} // namespace netlab::copy_log
