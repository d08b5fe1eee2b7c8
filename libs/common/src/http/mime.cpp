#include <netlab/common/ascii.hpp>
#include <netlab/common/http/mime.hpp>

#include <algorithm>
#include <array>

namespace netlab::http {
namespace {

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

} // namespace

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
    std::transform(ext_raw.begin(), ext_raw.end(), buf.begin(), ascii::lower);
    std::string_view const ext{buf.data(), ext_raw.size()};
    auto const it =
        std::lower_bound(mime_table.begin(), mime_table.end(), ext,
                         [](mime_entry const& e, std::string_view x) { return e.ext < x; });
    if (it != mime_table.end() && it->ext == ext)
        return it->type;
    return fallback;
}

} // namespace netlab::http
