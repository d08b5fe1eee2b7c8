#pragma once

// The Date header value, formatted once a second and shared immutable between threads. The
// server's clock loop publishes each new second; a connection keeps the value it last read
// and touches the shared one only when the second changed.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

namespace netlab::webd {

/// The current second of the system clock.
std::int64_t now_second();

class date_source {
public:
    struct text {
        std::int64_t second = 0;
        char http[29]{}; ///< IMF-fixdate
    };

    date_source();

    /// Publishes the current second (the server calls it just after each second boundary).
    void tick();

    /// One reader per connection (not shared between threads).
    class reader {
    public:
        /// The IMF-fixdate of the current second.
        std::string_view now(date_source const& source);

    private:
        std::shared_ptr<text const> cached_;
    };

private:
    std::shared_ptr<text const> current() const;

    // Not std::atomic<std::shared_ptr>: libstdc++ 12 unlocks its load() with a relaxed store, so
    // the pointer read races with the next store (TSan reports it). A reader takes this lock
    // once a second at most.
    mutable std::mutex mutex_;
    std::shared_ptr<text const> current_;
};

} // namespace netlab::webd
