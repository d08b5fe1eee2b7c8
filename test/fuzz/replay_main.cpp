// Replays fuzz inputs without libFuzzer: every file named on the command line, or every file
// in a directory named there, goes through LLVMFuzzerTestOneInput once. Lets GCC presets keep
// the fuzz targets compiling and their corpora (including past crashes) passing.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

namespace {

int replay(std::filesystem::path const& file) {
    std::ifstream in{file, std::ios::binary};
    if (!in) {
        std::cerr << "replay: cannot read " << file << '\n';
        return 1;
    }
    std::vector<char> const bytes{std::istreambuf_iterator<char>{in}, {}};
    // A copy in a buffer of exactly the input's size, so ASan sees reads past the end.
    std::vector<std::uint8_t> const exact(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(exact.data(), exact.size());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    int failures = 0;
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path const arg{argv[i]};
        if (std::filesystem::is_directory(arg)) {
            for (auto const& entry : std::filesystem::directory_iterator{arg}) {
                if (entry.is_regular_file()) {
                    failures += replay(entry.path());
                    ++count;
                }
            }
        } else {
            failures += replay(arg);
            ++count;
        }
    }
    if (count == 0) {
        std::cerr << "replay: no inputs\n";
        return 1;
    }
    std::cout << "replayed " << count << " inputs\n";
    return failures == 0 ? 0 : 1;
}
