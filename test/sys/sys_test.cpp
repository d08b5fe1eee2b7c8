#include <netlab/sys/journal.hpp>
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
#include <sys/stat.h>
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

namespace journal = netlab::sys::journal;

// A scratch file standing in for the journal's stream: $JOURNAL_STREAM is its dev:ino.
class JournalStream : public ::testing::Test {
protected:
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("netlab-journal-" + std::to_string(::getpid()));
    unique_fd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    unique_fd other{::open("/dev/null", O_WRONLY | O_CLOEXEC)};
    std::string stream;

    void SetUp() override {
        ASSERT_TRUE(fd);
        struct stat st {};
        ASSERT_EQ(::fstat(fd.get(), &st), 0);
        stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    }
    void TearDown() override { std::filesystem::remove(path); }
    std::string contents() const {
        std::string s(4096, '\0');
        auto const n = ::pread(fd.get(), s.data(), s.size(), 0);
        s.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return s;
    }
};

TEST_F(JournalStream, OnlyTheStreamItNames) {
    EXPECT_TRUE(journal::is_journal(fd.get(), stream.c_str()));
    // Inherited by a process whose stdout was redirected elsewhere: not the journal.
    EXPECT_FALSE(journal::is_journal(other.get(), stream.c_str()));
    EXPECT_FALSE(journal::is_journal(fd.get(), nullptr));
    EXPECT_FALSE(journal::is_journal(-1, stream.c_str()));
}

TEST_F(JournalStream, MalformedValuesMeanNo) {
    auto const colon = stream.find(':');
    auto const dev = stream.substr(0, colon);
    auto const ino = stream.substr(colon + 1);
    for (std::string const& bad :
         {std::string{}, std::string{":"}, dev, dev + ":", ":" + ino, dev + ":" + ino + "x",
          dev + ":" + ino + ":1", "x" + dev + ":" + ino, dev + ":-" + ino, dev + " :" + ino,
          dev + ":" + ino + "0", dev + "1:" + ino}) {
        EXPECT_FALSE(journal::is_journal(fd.get(), bad.c_str())) << bad;
    }
}

TEST_F(JournalStream, PrefixesOnlyTheJournal) {
    journal::line_writer const to_journal{fd.get(), true};
    to_journal.write(journal::priority::info, "alice 127.0.0.1:5000");
    to_journal.write(journal::priority::error, "rendezvousd: boom");
    EXPECT_EQ(contents(), "<6>alice 127.0.0.1:5000\n<3>rendezvousd: boom\n");
    ASSERT_EQ(::ftruncate(fd.get(), 0), 0);
    ASSERT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    journal::line_writer const plain{fd.get(), false};
    plain.write(journal::priority::warning, "stats clients=0");
    std::string const long_line(3000, 'x'); // past the stack buffer
    plain.write(journal::priority::info, long_line);
    EXPECT_EQ(contents(), "stats clients=0\n" + long_line + "\n");
}

TEST_F(JournalStream, DecidesFromTheEnvironment) {
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    EXPECT_TRUE(journal::line_writer{fd.get()}.journal());
    EXPECT_FALSE(journal::line_writer{other.get()}.journal());
    ::unsetenv("JOURNAL_STREAM");
    EXPECT_FALSE(journal::line_writer{fd.get()}.journal());
}

TEST_F(JournalStream, WritesEachLineOfAText) {
    journal::line_writer const to_journal{fd.get(), true};
    to_journal.write_lines(journal::priority::error, "prog: bad\nTry 'prog --help'.\n");
    to_journal.write_lines(journal::priority::info, "no newline");
    to_journal.write_lines(journal::priority::info, "");
    to_journal.write_lines(journal::priority::warning, "\n\nx");
    EXPECT_EQ(contents(), "<3>prog: bad\n<3>Try 'prog --help'.\n<6>no newline\n<4>\n<4>\n<4>x\n");
}

TEST_F(JournalStream, LoggerNamesTheProgramAndPrefixesOnlyTheJournal) {
    journal::logger const to_journal{"webd", journal::line_writer{fd.get(), true}};
    to_journal.error("cannot bind");
    to_journal.warning("slow");
    to_journal.info("serving . on [::]:10080");
    to_journal.write(journal::priority::debug, "x");
    to_journal.lines().write(journal::priority::error, "webd: already named");
    EXPECT_EQ(contents(), "<3>webd: cannot bind\n<4>webd: slow\n<6>webd: serving . on [::]:10080\n"
                          "<7>webd: x\n<3>webd: already named\n");
    ASSERT_EQ(::ftruncate(fd.get(), 0), 0);
    ASSERT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    journal::logger const plain{"rendezvousd", journal::line_writer{fd.get(), false}};
    plain.info("listening on UDP port 10080");
    std::string const long_message(3000, 'y'); // the prefix and a long line, still one line
    plain.error(long_message);
    EXPECT_EQ(contents(),
              "rendezvousd: listening on UDP port 10080\nrendezvousd: " + long_message + "\n");
}

// The real decision, on stderr: the prefix only when $JOURNAL_STREAM names what fd 2 is.
TEST_F(JournalStream, LoggerDecidesForStderrFromTheEnvironment) {
    int const saved = ::dup(STDERR_FILENO);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(::dup2(fd.get(), STDERR_FILENO), STDERR_FILENO);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    journal::logger const under_systemd{"copyd"};
    ::unsetenv("JOURNAL_STREAM");
    journal::logger const elsewhere{"copyd"};
    under_systemd.warning("cannot start threads");
    elsewhere.warning("cannot start threads");
    ::setenv("JOURNAL_STREAM", (stream + "1").c_str(), 1); // inherited, names another file
    journal::logger{"copyd"}.error("x");
    ::unsetenv("JOURNAL_STREAM");
    ::dup2(saved, STDERR_FILENO);
    ::close(saved);
    EXPECT_EQ(contents(),
              "<4>copyd: cannot start threads\ncopyd: cannot start threads\ncopyd: x\n");
}

} // namespace
