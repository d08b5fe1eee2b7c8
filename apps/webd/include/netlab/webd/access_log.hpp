#pragma once

// The access log: one Combined Log Format line per response, written with a single write(2)
// on an O_APPEND descriptor, so lines from several threads never interleave. reopen() (on
// SIGHUP) swaps the file under the same descriptor number with dup3, so writers need no lock.

#include <netlab/sys/unique_fd.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace netlab::webd {

/// One logged exchange.
struct access_entry {
    std::string_view remote;       ///< client address
    std::chrono::sys_seconds time; ///< when the response was sent
    std::string_view method;       ///< empty when the request line did not parse
    std::string_view target;
    unsigned version = 11;
    unsigned status = 0;
    std::uint64_t bytes = 0; ///< body bytes sent
    std::string_view referer;
    std::string_view user_agent;
};

/// `127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 2326 "-" "curl/7.88.1"\n`
/// Quotes, backslashes and control bytes inside fields are escaped as \xHH (as nginx does).
std::string format_combined(access_entry const& e);

class access_log {
public:
    /// `spec` is a path, "-" (stdout) or "off". Throws std::system_error if it cannot open.
    explicit access_log(std::string spec);

    bool enabled() const noexcept { return fd_ >= 0; }
    void write(std::string_view line) const noexcept;
    /// Reopens the file (after logrotate moved it); false (and the old file kept) on failure.
    bool reopen() noexcept;

private:
    std::string path_;
    sys::unique_fd owned_;
    int fd_ = -1;
};

} // namespace netlab::webd
