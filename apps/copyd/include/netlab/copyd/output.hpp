#pragma once

// Console and log output. Each message is one write(2), so lines from concurrent jobs never
// interleave inside a line (the log is O_APPEND: each line lands whole at the end).

#include <netlab/sys/unique_fd.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

namespace netlab::copyd {

/// Writes all of `text` to `fd` (one write unless the kernel splits it). Errors are ignored:
/// there is nowhere left to report them.
void write_fd(int fd, std::string_view text) noexcept;

/// `copyd: cannot copy 'a' to 'b': reason\n`, names escaped so the message stays one line.
std::string refusal_message(std::string_view source, std::string_view destination,
                            std::string_view reason);

/// The copy log file: seconds since `start`, TAB, text.
class log_file {
public:
    using clock = std::chrono::steady_clock;

    static boost::system::result<log_file, std::error_code> open(std::string const& path,
                                                                 clock::time_point start);
    void started(std::string_view source, std::string_view destination) const;
    void completed(std::string_view destination) const;
    void failed(std::string_view source, std::string_view destination,
                std::string_view reason) const;

private:
    log_file(sys::unique_fd fd, clock::time_point start)
        : fd_{std::move(fd)}
        , start_{start} {}
    void write(std::string_view text) const;

    sys::unique_fd fd_;
    clock::time_point start_;
};

} // namespace netlab::copyd
