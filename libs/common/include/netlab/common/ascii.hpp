#pragma once

// ASCII character tests for the text formats (libs/common, webd's reader): locale-free
// (std::tolower and friends read the global locale) and constexpr.

#include <string_view>

namespace netlab::ascii {

constexpr char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Case-insensitive equality, ASCII letters only.
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

/// 0..15 for a hex digit of either case, -1 for anything else.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace netlab::ascii
