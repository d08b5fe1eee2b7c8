#include <netlab/peerchat/display.hpp>

#include <algorithm>
#include <array>
#include <cstdint>

namespace netlab::peerchat {
namespace {

/// The length of the valid UTF-8 sequence at the start of `s` and its code point, or 0.
std::size_t utf8_sequence(std::string_view s, char32_t& cp) noexcept {
    auto const b = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
    auto const lead = b(0);
    std::size_t n = 0;
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        n = 2;
        cp = lead & 0x1fU;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        n = 3;
        cp = lead & 0x0fU;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        n = 4;
        cp = lead & 0x07U;
    } else {
        return 0; // a continuation byte, an overlong lead (C0, C1) or beyond U+10FFFF
    }
    if (s.size() < n)
        return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xc0U) != 0x80)
            return 0;
        cp = (cp << 6U) | (b(i) & 0x3fU);
    }
    bool const overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    bool const surrogate = cp >= 0xd800 && cp <= 0xdfff;
    return overlong || surrogate || cp > 0x10ffff ? 0 : n;
}

bool is_control(char32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

void append_escaped(std::string& out, std::uint8_t byte) {
    constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                       '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    out += "\\x";
    out += hex[byte >> 4U];
    out += hex[byte & 0x0fU];
}

/// printable() of `text`, stopping after `max_chars` code points; sets `cut` if it did.
std::string render(std::string_view text, std::size_t max_chars, bool& cut) {
    std::string out;
    out.reserve(text.size());
    std::size_t chars = 0;
    cut = false;
    while (!text.empty()) {
        if (chars == max_chars) {
            cut = true;
            break;
        }
        char32_t cp = 0;
        auto const n = utf8_sequence(text, cp);
        if (n == 0 || is_control(cp)) {
            // Every byte of it, so that a C1 in UTF-8 (C2 9B) shows as both its bytes.
            for (std::size_t i = 0; i < std::max<std::size_t>(n, 1); ++i)
                append_escaped(out, static_cast<std::uint8_t>(text[i]));
            text.remove_prefix(std::max<std::size_t>(n, 1));
        } else {
            out.append(text.substr(0, n));
            text.remove_prefix(n);
        }
        ++chars;
    }
    return out;
}

} // namespace

std::string printable(std::string_view text) {
    bool cut = false;
    return render(text, std::string_view::npos, cut);
}

std::string printable_excerpt(std::string_view text, std::size_t max_chars) {
    bool cut = false;
    auto out = render(text, max_chars, cut);
    if (cut)
        out += "...";
    return out;
}

} // namespace netlab::peerchat
