// How stdin is read for each kind of descriptor, and that the descriptor's flags (shared with
// the user's shell) are what they were before.
#include <netlab/copyd/stdin_reader.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

namespace net = boost::asio;
using netlab::copyd::stdin_reader;

/// Reads everything from `fd` through a stdin_reader; returns what arrived before EOF.
std::string read_all(int fd, stdin_reader::method& how) {
    net::io_context ioc;
    std::string got;
    bool eof = false;
    {
        stdin_reader reader{net::make_strand(ioc.get_executor()), fd};
        how = reader.how();
        reader.start(
            [&](std::string_view bytes) {
                got.append(bytes);
                reader.read_more();
            },
            [&](std::error_code ec) {
                EXPECT_FALSE(ec) << ec.message();
                eof = true;
            });
        ioc.run();
    }
    EXPECT_TRUE(eof);
    return got;
}

TEST(StdinReader, PipeIsReopenedAndKeepsItsFlags) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    int const before = ::fcntl(fds[0], F_GETFL);
    ASSERT_EQ(::write(fds[1], "a\nb\n", 4), 4);
    ::close(fds[1]);
    stdin_reader::method how{};
    EXPECT_EQ(read_all(fds[0], how), "a\nb\n");
    EXPECT_EQ(how, stdin_reader::method::reopened);
    EXPECT_EQ(::fcntl(fds[0], F_GETFL), before); // no O_NONBLOCK left behind
    ::close(fds[0]);
}

TEST(StdinReader, RegularFileIsReadDirectly) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    std::string const data(200'000, 'x'); // several reads
    ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
    std::fflush(f);
    std::rewind(f);
    stdin_reader::method how{};
    EXPECT_EQ(read_all(::fileno(f), how), data);
    EXPECT_EQ(how, stdin_reader::method::direct);
    std::fclose(f);
}

TEST(StdinReader, SocketSharesItsDescriptionAndGetsItsFlagsBack) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    int const before = ::fcntl(fds[0], F_GETFL);
    ASSERT_EQ(::write(fds[1], "x\n", 2), 2);
    ::shutdown(fds[1], SHUT_WR);
    stdin_reader::method how{};
    EXPECT_EQ(read_all(fds[0], how), "x\n");
    EXPECT_EQ(how, stdin_reader::method::shared);
    EXPECT_EQ(::fcntl(fds[0], F_GETFL), before);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST(StdinReader, DevNullEndsAtOnce) {
    int const fd = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    stdin_reader::method how{};
    EXPECT_EQ(read_all(fd, how), "");
    ::close(fd);
}

} // namespace
