#include <netlab/sys/systemd.hpp>
#include <netlab/sys/unique_fd.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

using netlab::sys::unique_fd;
namespace systemd = netlab::sys::systemd;

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

TEST(UniqueFd, ClosesOnDestructionAndMoves) {
    int raw = -1;
    {
        unique_fd a{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
        ASSERT_TRUE(a);
        raw = a.get();
        unique_fd b{std::move(a)};
        EXPECT_FALSE(a); // NOLINT(bugprone-use-after-move): moved-from state is specified
        EXPECT_EQ(b.get(), raw);
        EXPECT_TRUE(is_open(raw));
    }
    EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
    unique_fd a{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    int const raw = a.release();
    EXPECT_FALSE(a);
    EXPECT_TRUE(is_open(raw));
    ::close(raw);
}

// A listener standing in for systemd's notification socket.
class NotifySocket : public ::testing::Test {
protected:
    void bind_at(std::string const& name, bool abstract) {
        fd_ = unique_fd{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
        ASSERT_TRUE(fd_);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path + (abstract ? 1 : 0), name.data(), name.size());
        auto const len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                                (abstract ? 1 : 0));
        ASSERT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr const*>(&addr), len), 0)
            << std::strerror(errno);
        ::setenv("NOTIFY_SOCKET", ((abstract ? "@" : "") + name).c_str(), 1);
    }
    std::string receive() {
        std::array<char, 256> buf{};
        auto const n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
        return n < 0 ? std::string{"<nothing>"} : std::string(buf.data(), static_cast<size_t>(n));
    }
    void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }

    unique_fd fd_;
};

TEST_F(NotifySocket, SendsTheStateToAPathSocket) {
    auto const path =
        std::filesystem::temp_directory_path() / ("netlab-notify-" + std::to_string(::getpid()));
    std::filesystem::remove(path);
    bind_at(path.string(), false);
    EXPECT_TRUE(systemd::notify("READY=1"));
    EXPECT_EQ(receive(), "READY=1");
    std::filesystem::remove(path);
}

TEST_F(NotifySocket, SendsTheStateToAnAbstractSocket) {
    bind_at("netlab-notify-abstract-" + std::to_string(::getpid()), true);
    EXPECT_TRUE(systemd::notify("STOPPING=1"));
    EXPECT_EQ(receive(), "STOPPING=1");
}

TEST(Notify, WithoutNotifySocketDoesNothing) {
    ::unsetenv("NOTIFY_SOCKET");
    EXPECT_FALSE(systemd::notify("READY=1"));
    ::setenv("NOTIFY_SOCKET", "relative/path", 1);
    EXPECT_FALSE(systemd::notify("READY=1"));
    ::unsetenv("NOTIFY_SOCKET");
}

TEST(ListenFds, OnlyForThisProcessAndThenUnset) {
    ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    EXPECT_TRUE(systemd::listen_fds().empty());

    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    EXPECT_EQ(systemd::listen_fds(), (std::vector<int>{3, 4}));
    EXPECT_EQ(std::getenv("LISTEN_PID"), nullptr);
    EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);
    EXPECT_TRUE(systemd::listen_fds().empty());
}

TEST(ListenFds, MalformedVariablesMeanNone) {
    ::setenv("LISTEN_PID", (std::to_string(::getpid()) + "x").c_str(), 1);
    ::setenv("LISTEN_FDS", "2", 1);
    EXPECT_TRUE(systemd::listen_fds().empty());
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "-1", 1);
    EXPECT_TRUE(systemd::listen_fds().empty());
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
}

} // namespace
