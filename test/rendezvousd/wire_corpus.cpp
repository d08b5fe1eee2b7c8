// rendezvous-corpus DIR: writes the seed corpus of the rendezvous codec's fuzz target, one file
// `sample-N` per message of wire_samples.hpp, into DIR. A tool, not a test. To regenerate the
// corpus after changing the samples or the format:
//
//   cmake --build --preset release --target rendezvous-corpus
//   build/release/bin/rendezvous-corpus test/rendezvousd/fuzz/corpus/rendezvous_wire

#include "wire_samples.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "Usage: rendezvous-corpus DIR\n");
        return 2;
    }
    std::filesystem::path const dir{argv[1]};
    std::size_t i = 0;
    for (auto const& m : netlab::test::samples()) {
        auto const bytes = netlab::rendezvous::encode(m);
        auto const path = dir / ("sample-" + std::to_string(i++));
        std::ofstream out{path, std::ios::binary};
        if (bytes)
            out.write(reinterpret_cast<char const*>(bytes->data()),
                      static_cast<std::streamsize>(bytes->size()));
        if (!bytes || !out) {
            std::fprintf(stderr, "rendezvous-corpus: cannot write %s\n", path.c_str());
            return 1;
        }
    }
    std::printf("%zu samples written to %s\n", i, dir.c_str());
    return 0;
}
