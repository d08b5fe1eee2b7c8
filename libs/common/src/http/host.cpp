#include <netlab/common/ascii.hpp>
#include <netlab/common/http/host.hpp>

namespace netlab::http {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

bool is_unreserved_or_sub_delim(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           std::string_view{"-._~!$&'()*+,;="}.find(c) != npos;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ). An IPv4 address is one too.
bool is_reg_name(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            if (i + 2 >= s.size() || ascii::hex_value(s[i + 1]) < 0 ||
                ascii::hex_value(s[i + 2]) < 0)
                return false;
            i += 2;
        } else if (!is_unreserved_or_sub_delim(s[i])) {
            return false;
        }
    }
    return true;
}

// dec-octet "." dec-octet "." dec-octet "." dec-octet, without leading zeros.
bool is_ipv4(std::string_view s) noexcept {
    for (int part = 0; part < 4; ++part) {
        auto const dot = s.find('.');
        auto const octet = s.substr(0, dot);
        if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0'))
            return false;
        int value = 0;
        for (char const c : octet) {
            if (!is_digit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        if (value > 255 || (part < 3) == (dot == npos))
            return false;
        s.remove_prefix(dot == npos ? s.size() : dot + 1);
    }
    return true;
}

bool is_h16(std::string_view s) noexcept {
    if (s.empty() || s.size() > 4)
        return false;
    for (char const c : s)
        if (ascii::hex_value(c) < 0)
            return false;
    return true;
}

// RFC 3986 IPv6address: eight 16-bit pieces, or fewer around one "::" (at most seven, as
// "::" stands for at least one), the last two possibly written as an IPv4 address.
bool is_ipv6(std::string_view s) noexcept {
    int pieces = 0;
    bool gap = s.starts_with("::");
    if (gap) {
        s.remove_prefix(2);
        if (s.empty())
            return true;
    }
    while (true) {
        auto const colon = s.find(':');
        auto const piece = s.substr(0, colon);
        if (colon == npos) {
            if (piece.find('.') != npos ? !is_ipv4(piece) : !is_h16(piece))
                return false;
            pieces += piece.find('.') != npos ? 2 : 1;
            break;
        }
        if (!is_h16(piece))
            return false;
        ++pieces;
        s.remove_prefix(colon + 1);
        if (s.starts_with(':')) {
            if (gap)
                return false;
            gap = true;
            s.remove_prefix(1);
            if (s.empty())
                break;
        } else if (s.empty()) {
            return false; // a single trailing ':'
        }
    }
    return gap ? pieces <= 7 : pieces == 8;
}

// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
bool is_ipvfuture(std::string_view s) noexcept {
    if (s.size() < 4 || (s[0] != 'v' && s[0] != 'V'))
        return false;
    auto const dot = s.find('.');
    if (dot == npos || dot < 2 || dot + 1 == s.size())
        return false;
    for (std::size_t i = 1; i < dot; ++i)
        if (ascii::hex_value(s[i]) < 0)
            return false;
    for (char const c : s.substr(dot + 1))
        if (c != ':' && !is_unreserved_or_sub_delim(c))
            return false;
    return true;
}

} // namespace

std::optional<authority> parse_authority(std::string_view text) noexcept {
    authority out;
    std::string_view rest;
    if (text.starts_with('[')) {
        auto const close = text.find(']');
        if (close == npos)
            return std::nullopt;
        auto const literal = text.substr(1, close - 1);
        if (!is_ipv6(literal) && !is_ipvfuture(literal))
            return std::nullopt;
        out.host = text.substr(0, close + 1);
        rest = text.substr(close + 1);
    } else {
        auto const colon = text.find(':');
        out.host = text.substr(0, colon);
        if (!is_reg_name(out.host))
            return std::nullopt;
        rest = colon == npos ? std::string_view{} : text.substr(colon);
    }
    if (rest.empty())
        return out;
    if (rest.front() != ':')
        return std::nullopt;
    out.port = rest.substr(1);
    for (char const c : out.port)
        if (!is_digit(c))
            return std::nullopt;
    return out;
}

} // namespace netlab::http
