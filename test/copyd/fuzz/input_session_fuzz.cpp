// Feeds arbitrary bytes, split at a data-chosen point, to the input state machine and checks
// that splitting never changes the actions and that nothing crashes.
#include <netlab/copyd/input_session.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    std::size_t const cut = data[0] % size;
    std::string_view const input{reinterpret_cast<char const*>(data + 1), size - 1};
    netlab::copyd::input_session whole{true, 64};
    auto expected = whole.feed(input);
    auto tail = whole.end_of_input();
    expected.insert(expected.end(), tail.begin(), tail.end());

    netlab::copyd::input_session split{true, 64};
    auto got = split.feed(input.substr(0, std::min(cut, input.size())));
    auto more = split.feed(input.substr(std::min(cut, input.size())));
    got.insert(got.end(), more.begin(), more.end());
    tail = split.end_of_input();
    got.insert(got.end(), tail.begin(), tail.end());
    if (got != expected || !split.finished())
        std::abort();
    return 0;
}
