// Any bytes: parse_line never crashes, and whatever it accepts formats back to an equal line;
// escape/unescape round-trips any byte string.

#include <netlab/common/copy_log.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace cl = netlab::copy_log;
    std::string_view const input{reinterpret_cast<char const*>(data), size};

    auto const unescaped = cl::unescape(cl::escape(input));
    if (!unescaped || *unescaped != input)
        std::abort();

    if (auto const parsed = cl::parse_line(input)) {
        auto const again = cl::parse_line(cl::format_line(parsed->elapsed, parsed->text));
        if (!again || *again != *parsed)
            std::abort();
    }
    return 0;
}
