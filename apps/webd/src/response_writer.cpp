#include <netlab/webd/response_writer.hpp>

#include <cerrno>

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace netlab::webd {
namespace {

/// Runs `call` (a system call returning a count or -1) until it is not interrupted.
template <class Call>
send_result attempt(Call call) noexcept {
    for (;;) {
        auto const n = call();
        if (n > 0)
            return {static_cast<std::size_t>(n), send_result::status::progress};
        if (n == 0)
            return {0, send_result::status::failed};
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {0, send_result::status::would_block};
        return {0, send_result::status::failed};
    }
}

} // namespace

send_result response_writer::write(std::array<std::string_view, 2> data, bool more) const noexcept {
    std::array<iovec, 2> iov{};
    std::size_t count = 0;
    for (auto const part : data)
        if (!part.empty())
            iov[count++] = {const_cast<char*>(part.data()), part.size()};
    if (count == 0)
        return {};
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    int const flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
    return attempt([&] { return ::sendmsg(socket_, &msg, flags); });
}

send_result response_writer::send_file(int file, std::uint64_t offset,
                                       std::uint64_t length) const noexcept {
    auto off = static_cast<off_t>(offset);
    auto const count = static_cast<std::size_t>(std::min<std::uint64_t>(length, sendfile_chunk));
    return attempt([&] { return ::sendfile(socket_, file, &off, count); });
}

bool response_writer::read_file(int file, std::uint64_t offset, std::span<char> into) noexcept {
    std::size_t got = 0;
    while (got < into.size()) {
        auto const n =
            ::pread(file, into.data() + got, into.size() - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false; // shrank or unreadable: cannot honour Content-Length
        got += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace netlab::webd
