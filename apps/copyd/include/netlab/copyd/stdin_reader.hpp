#pragma once

// Reads stdin without disturbing it. Asio's posix::stream_descriptor sets O_NONBLOCK on the
// descriptor, also for async_wait (Asio 1.81 reactive_descriptor_service::start_op), and
// O_NONBLOCK belongs to the open file description that the user's shell shares: the shell
// would be left with a non-blocking terminal. So a terminal or pipe is reopened through
// /proc/self/fd/0, giving copyd its own description to make non-blocking. epoll refuses
// regular files and /dev/null: those are read directly, in blocking steps on the strand.

#include <netlab/sys/unique_fd.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <functional>
#include <string_view>
#include <system_error>

namespace netlab::copyd {

class stdin_reader {
public:
    using data_handler = std::function<void(std::string_view)>;
    /// End of input: `ec` is empty at end of file, else the read error that ended it.
    using eof_handler = std::function<void(std::error_code ec)>;

    /// Handlers run on `strand`. After each `on_data` the reader waits for read_more(), so
    /// a fast input (a big jobs file) never piles up faster than it is acted on.
    stdin_reader(boost::asio::strand<boost::asio::any_io_executor> strand, int fd);
    stdin_reader(stdin_reader const&) = delete;
    stdin_reader& operator=(stdin_reader const&) = delete;
    ~stdin_reader();

    void start(data_handler on_data, eof_handler on_eof);
    /// Reads the next piece. Call on the strand; does nothing while a read is pending.
    void read_more();
    /// Reads no more. Thread-safe; handlers are not called afterwards.
    void stop();

    /// How stdin is read: for tests and diagnostics.
    enum class method { direct, reopened, shared };
    method how() const noexcept { return method_; }

private:
    void read_direct();
    void read_async();
    void deliver(std::size_t n);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    int fd_;
    boost::asio::posix::stream_descriptor descriptor_;
    method method_ = method::direct;
    int saved_flags_ = -1; ///< fd's flags to put back (method::shared only)
    bool stopped_ = false;
    bool reading_ = false;
    data_handler on_data_;
    eof_handler on_eof_;
    std::array<char, std::size_t{64} * 1024> buffer_{};
};

} // namespace netlab::copyd
