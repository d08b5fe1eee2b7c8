// Any bytes: decode never crashes or reads out of bounds, and whatever it accepts encodes
// back to exactly the same bytes (the format has one encoding per message).

#include <netlab/common/rendezvous_wire.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace rv = netlab::rendezvous;
    std::span<std::uint8_t const> const input{data, size};
    auto const decoded = rv::decode(input);
    if (rv::peek_type(input) == 0 && decoded)
        std::abort();
    if (!decoded)
        return 0;
    auto const again = rv::encode(*decoded);
    if (!again || !std::equal(again->begin(), again->end(), input.begin(), input.end()))
        std::abort();
    return 0;
}
