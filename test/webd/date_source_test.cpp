#include <netlab/common/http.hpp>
#include <netlab/webd/date_source.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace netlab::webd {
namespace {

std::string formatted(std::int64_t second) {
    char text[29]{};
    http::format_http_date(http::sys_seconds{std::chrono::seconds{second}}, text);
    return {text, sizeof text};
}

TEST(DateSource, ReaderGivesTheCurrentSecond) {
    date_source source;
    date_source::reader reader;
    auto const before = now_second();
    std::string const got{reader.now(source)};
    auto const after = now_second();
    EXPECT_TRUE(got == formatted(before) || got == formatted(after)) << got;
}

// The clock loop publishes on one thread while connections read on others. Under the TSan
// preset this fails if publishing and reading are not synchronised (std::atomic<shared_ptr>
// in libstdc++ 12 was not).
TEST(DateSource, TickAndReadOnTwoThreads) {
    date_source source;
    std::atomic<bool> done{false};
    std::thread ticker{[&] {
        for (int i = 0; i < 20'000; ++i) {
            source.tick();
        }
        done = true;
    }};
    int reads = 0;
    while (!done || reads < 1'000) {
        date_source::reader fresh; // a new reader always reads the shared value
        auto const text = fresh.now(source);
        ASSERT_EQ(text.size(), 29U);
        ASSERT_EQ(text.substr(25), " GMT") << text;
        ++reads;
    }
    ticker.join();
}

} // namespace
} // namespace netlab::webd
