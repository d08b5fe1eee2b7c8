#pragma once

// What peerchat prints of text that came from the network. A peer's message may hold any
// byte but C0 controls and DEL (the wire refuses those); a terminal would still obey C1
// controls (U+0080-U+009F, e.g. CSI, raw or UTF-8 encoded) and misrender invalid UTF-8.

#include <cstddef>
#include <string>
#include <string_view>

namespace netlab::peerchat {

/// `text` with valid UTF-8 kept as it is, and each control character (C0, DEL, C1) and each
/// byte of an invalid UTF-8 sequence written as \xNN.
std::string printable(std::string_view text);

/// The first `max_chars` code points of printable(text), with "..." when it was longer.
std::string printable_excerpt(std::string_view text, std::size_t max_chars);

} // namespace netlab::peerchat
