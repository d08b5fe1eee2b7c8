#include <netlab/copyd/progress.hpp>

#include <gtest/gtest.h>

namespace {

using namespace netlab::copyd;
using namespace std::chrono_literals;

TEST(Progress, FormatsBytesInBinaryUnits) {
    EXPECT_EQ(format_bytes(0), "0 B");
    EXPECT_EQ(format_bytes(1023), "1023 B");
    EXPECT_EQ(format_bytes(1024), "1.0 KiB");
    EXPECT_EQ(format_bytes(1536), "1.5 KiB");
    EXPECT_EQ(format_bytes(10 * 1024 * 1024), "10.0 MiB");
    EXPECT_EQ(format_bytes(5ULL << 30), "5.0 GiB");
}

TEST(Progress, ShowsDoneTotalPercentAndRate) {
    progress_snapshot const p{"big.iso", "backup/big.iso", 512ULL << 20, 1ULL << 30, 2s};
    EXPECT_EQ(format_progress(p),
              "'big.iso' -> 'backup/big.iso': 512.0 MiB / 1.0 GiB (50%), 256.0 MiB/s\n");
}

TEST(Progress, EmptyFilesAreComplete) {
    EXPECT_EQ(format_progress({"a", "b", 0, 0, 0s}), "'a' -> 'b': 0 B / 0 B (100%)\n");
}

TEST(Progress, NamesCannotBreakTheLine) {
    EXPECT_EQ(format_progress({"a\nb", "c", 0, 0, 0s}), "'a\\nb' -> 'c': 0 B / 0 B (100%)\n");
}

TEST(Progress, ListingPrefixesEveryLineAndCountsTheWaiting) {
    std::vector<progress_snapshot> const list{{"a", "b", 0, 0, 0s}, {"c", "d", 0, 0, 0s}};
    EXPECT_EQ(format_listing(list, 3, "copyd: "),
              "copyd: 'a' -> 'b': 0 B / 0 B (100%)\ncopyd: 'c' -> 'd': 0 B / 0 B (100%)\n"
              "copyd: 3 more waiting to start\n");
    EXPECT_EQ(format_listing({}, 0), "");
}

} // namespace
