// Any bytes as a request target and as a Range header: never crashes, and a normalised path
// is safe (absolute, no "." or ".." segments, no NUL or backslash, idempotent).

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
    (void)h::parse_http_date(input);
    (void)h::mime_type(input);
    (void)h::if_none_match_matches(input, "\"1-2\"");
    return 0;
}
