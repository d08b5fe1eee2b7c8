#pragma once

// Non-blocking sends of a response's bytes on a socket: a head and an in-memory body in one
// sendmsg (corked with MSG_MORE when file bytes follow), a file range with sendfile(2), and a
// small file read with pread(2). Each call makes one attempt and says how it went; waiting
// for the socket is the caller's. EINTR/EAGAIN handling is here, once.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace netlab::webd {

struct send_result {
    enum class status : std::uint8_t { progress, would_block, failed };
    std::size_t bytes = 0;
    status state = status::progress;

    bool failed() const noexcept { return state == status::failed; }
    bool would_block() const noexcept { return state == status::would_block; }
};

class response_writer {
public:
    /// sendfile(2) count per call. With TCP_NOTSENT_LOWAT (connection.cpp), 256 KiB beat
    /// 128 KiB (more calls) and 512 KiB-2 MiB (one call held the thread ~0.8 ms per MiB while
    /// the other connections waited).
    static constexpr std::size_t sendfile_chunk = 256 * 1024;

    /// `socket` is a connected, non-blocking stream socket the writer does not own.
    explicit response_writer(int socket) noexcept
        : socket_{socket} {}

    /// Sends what it can of `data[0]` then `data[1]`; `more` corks the last segment.
    send_result write(std::array<std::string_view, 2> data, bool more = false) const noexcept;

    /// Sends up to sendfile_chunk bytes of `length` from `offset` of `file`. A file that
    /// ends before `length` (it shrank) is a failure: the promised length cannot be met.
    send_result send_file(int file, std::uint64_t offset, std::uint64_t length) const noexcept;

    /// Reads exactly `into.size()` bytes of `file` from `offset`; false if it is shorter or
    /// unreadable.
    static bool read_file(int file, std::uint64_t offset, std::span<char> into) noexcept;

private:
    int socket_;
};

} // namespace netlab::webd
