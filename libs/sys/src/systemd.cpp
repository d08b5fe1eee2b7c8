#include <netlab/sys/systemd.hpp>
#include <netlab/sys/unique_fd.hpp>

#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace netlab::sys::systemd {
namespace {

bool parse_int(char const* s, long& out) {
    if (s == nullptr)
        return false;
    auto const end = s + std::strlen(s);
    auto const [p, ec] = std::from_chars(s, end, out);
    return ec == std::errc{} && p == end;
}

} // namespace

bool notify(std::string_view state) noexcept {
    char const* path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || path[0] == '\0')
        return false;
    std::string_view const name{path};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name.size() >= sizeof addr.sun_path || (name[0] != '/' && name[0] != '@'))
        return false;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
        addr.sun_path[0] = '\0'; // abstract namespace
    auto const len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    unique_fd fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (!fd)
        return false;
    auto const n = ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                            reinterpret_cast<sockaddr const*>(&addr), len);
    return n == static_cast<ssize_t>(state.size());
}

std::vector<int> listen_fds() {
    std::vector<int> fds;
    long pid = 0;
    long count = 0;
    if (!parse_int(std::getenv("LISTEN_PID"), pid) || pid != ::getpid() ||
        !parse_int(std::getenv("LISTEN_FDS"), count) || count <= 0)
        return fds;
    constexpr int first = 3; // SD_LISTEN_FDS_START
    for (long i = 0; i < count; ++i) {
        int const fd = first + static_cast<int>(i);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds.push_back(fd);
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return fds;
}

} // namespace netlab::sys::systemd
