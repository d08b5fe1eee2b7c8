#pragma once

// A token bucket on an injected clock: `rate` tokens per second, at most `burst` saved up.

#include <algorithm>
#include <chrono>

namespace netlab::rendezvousd {

class token_bucket {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Takes one token if there is one. A rate of 0 means unlimited.
    bool take(double rate, double burst, time_point now) noexcept {
        if (rate <= 0)
            return true;
        burst = std::max(burst, 1.0); // a rate below 0.5/s is valid: one token must fit
        if (last_ == time_point{}) {
            tokens_ = burst;
        } else {
            std::chrono::duration<double> const dt = now - last_;
            tokens_ = std::min(burst, tokens_ + std::max(0.0, dt.count()) * rate);
        }
        last_ = now;
        if (tokens_ < 1)
            return false;
        tokens_ -= 1;
        return true;
    }
    time_point last_use() const noexcept { return last_; }

private:
    double tokens_ = 0;
    time_point last_{};
};

} // namespace netlab::rendezvousd
