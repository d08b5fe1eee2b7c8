#pragma once

// A token bucket on an injected clock: `rate` tokens per second, at most `burst` saved up (and
// always room for one, so a rate below 1/burst per second still admits).

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
        refill(rate, burst, now);
        if (tokens_ < 1)
            return false;
        tokens_ -= 1;
        return true;
    }
    /// Adds what `rate` earned since the last refill; full on first use.
    void refill(double rate, double burst, time_point now) noexcept {
        burst = std::max(burst, 1.0);
        if (last_ == time_point{}) {
            tokens_ = burst;
        } else {
            std::chrono::duration<double> const dt = now - last_;
            tokens_ = std::min(burst, tokens_ + std::max(0.0, dt.count()) * rate);
        }
        last_ = now;
    }
    /// Spends `n` tokens even if it has fewer: the debt is paid from the next refills.
    void spend(double n) noexcept { tokens_ -= n; }
    double tokens() const noexcept { return tokens_; }
    time_point last_use() const noexcept { return last_; }
    /// When it holds a token again at `rate` (> 0): the last refill, if it holds one already.
    /// Rounded up: a moment a hair early would find it a hair short.
    time_point next_token(double rate) const noexcept {
        if (tokens_ >= 1)
            return last_;
        return last_ + std::chrono::ceil<time_point::duration>(
                           std::chrono::duration<double>{(1 - tokens_) / rate});
    }

private:
    double tokens_ = 0;
    time_point last_{};
};

} // namespace netlab::rendezvousd
