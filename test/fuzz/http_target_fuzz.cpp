// Any bytes as a request target, a Range header and a Host value: never crashes, a normalised
// path is safe (absolute, no "." or ".." segments, no NUL or backslash, idempotent), and an
// accepted Host holds only the bytes RFC 3986 allows in one.

#include <netlab/common/http.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace h = netlab::http;
    std::string_view const input{reinterpret_cast<char const*>(data), size};

    if (auto const t = h::normalize_target(input)) {
        auto const& p = t->path;
        if (p.empty() || p.front() != '/' || p.find("//") != std::string_view::npos ||
            p.find('\0') != std::string_view::npos || p.find('\\') != std::string_view::npos)
            std::abort();
        std::string_view rest{p};
        while (!rest.empty()) {
            rest.remove_prefix(1);
            auto const seg = rest.substr(0, rest.find('/'));
            if (seg == "." || seg == "..")
                std::abort();
            rest.remove_prefix(seg.size());
        }
        auto const again = h::normalize_target(h::encode_path(p));
        if (!again || again->path != p)
            std::abort();
    }
    for (std::uint64_t const n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}}) {
        auto const r = h::parse_range(input, n);
        if (r.kind == h::range_kind::satisfiable &&
            (r.range.first > r.range.last || r.range.last >= n))
            std::abort();
    }
    if (auto const a = h::parse_authority(input)) {
        for (char const ch : input) {
            auto const c = static_cast<unsigned char>(ch);
            if (c <= 0x20 || c >= 0x7f || ch == '/' || ch == '"' || ch == '@' || ch == '\\' ||
                ch == '?' || ch == '#')
                std::abort();
        }
        // The parts are the input: host, then ':' and the port when there is one.
        if (a->host.data() != input.data() || !input.substr(a->host.size()).ends_with(a->port) ||
            a->host.size() + a->port.size() + (a->host.size() < input.size() ? 1 : 0) !=
                input.size())
            std::abort();
    }
    (void)h::parse_http_date(input);
    (void)h::mime_type(input);
    (void)h::if_none_match_matches(input, "\"1-2\"");
    // A strong match is also a weak one.
    if (h::if_match_matches(input, "\"1-2\"") && !h::if_none_match_matches(input, "\"1-2\""))
        std::abort();
    return 0;
}
