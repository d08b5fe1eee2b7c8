#pragma once

// The Host field and the authority of an absolute-form target (RFC 9112 3.2, RFC 3986
// 3.2.2-3.2.3): what a server must check before it trusts either.

#include <optional>
#include <string_view>

namespace netlab::http {

/// The parts of a valid `host [":" port]`, as views into the parsed text.
struct authority {
    std::string_view host; ///< a reg-name (may be empty), an IPv4 address or "[IP-literal]"
    std::string_view port; ///< digits only; empty when absent (or after a bare ':')
};

/// Parses `host [":" port]`: host is an RFC 3986 reg-name (unreserved, sub-delims and
/// %XX), an IPv4 address, or an IPv6 / IPvFuture literal in brackets. Anything else
/// (whitespace, quotes, '/', '@' of a userinfo, control bytes, a non-digit port) is nullopt.
std::optional<authority> parse_authority(std::string_view text) noexcept;

} // namespace netlab::http
