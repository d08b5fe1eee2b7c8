#pragma once

// Content-Type from a file name, as nginx's mime.types has it for the common extensions.

#include <string_view>

namespace netlab::http {

/// The Content-Type for a path, from its extension (case-insensitive);
/// `application/octet-stream` when unknown.
std::string_view mime_type(std::string_view path) noexcept;

} // namespace netlab::http
