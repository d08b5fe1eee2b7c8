#include <netlab/copyd/stdin_reader.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netlab::copyd {
namespace net = boost::asio;

stdin_reader::stdin_reader(net::strand<net::any_io_executor> strand, int fd)
    : strand_{std::move(strand)}
    , fd_{fd}
    , descriptor_{strand_} {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || S_ISREG(st.st_mode))
        return; // regular file (or unusable): direct reads
    boost::system::error_code ec;
    // Own open file description: making it non-blocking leaves the shell's alone.
    std::string const self = "/proc/self/fd/" + std::to_string(fd_);
    sys::unique_fd own{::open(self.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)};
    if (own) {
        descriptor_.assign(own.get(), ec);
        if (!ec) {
            own.release();
            method_ = method::reopened;
        }
        return; // an epoll refusal (e.g. /dev/null) means direct reads work
    }
    // Sockets cannot be reopened: share the description and put its flags back at the end.
    sys::unique_fd dup{::fcntl(fd_, F_DUPFD_CLOEXEC, 3)};
    if (!dup)
        return;
    int const flags = ::fcntl(fd_, F_GETFL);
    descriptor_.assign(dup.get(), ec);
    if (!ec) {
        dup.release();
        saved_flags_ = flags;
        method_ = method::shared;
    }
}

stdin_reader::~stdin_reader() {
    boost::system::error_code ignored;
    descriptor_.close(ignored);
    if (saved_flags_ >= 0)
        ::fcntl(fd_, F_SETFL, saved_flags_);
}

void stdin_reader::start(data_handler on_data, eof_handler on_eof) {
    on_data_ = std::move(on_data);
    on_eof_ = std::move(on_eof);
    net::post(strand_, [this] { read_more(); });
}

void stdin_reader::read_more() {
    if (stopped_ || reading_)
        return;
    reading_ = true;
    if (method_ == method::direct)
        net::post(strand_, [this] { read_direct(); }); // posted: no recursion per piece
    else
        read_async();
}

void stdin_reader::stop() {
    net::post(strand_, [this] {
        stopped_ = true;
        boost::system::error_code ignored;
        descriptor_.close(ignored); // cancels a pending read
        if (saved_flags_ >= 0) {
            ::fcntl(fd_, F_SETFL, saved_flags_);
            saved_flags_ = -1;
        }
    });
}

void stdin_reader::deliver(std::size_t n) {
    on_data_(std::string_view{buffer_.data(), n});
}

void stdin_reader::read_direct() {
    if (stopped_)
        return;
    ssize_t n = 0;
    do {
        n = ::read(fd_, buffer_.data(), buffer_.size());
    } while (n < 0 && errno == EINTR);
    reading_ = false;
    if (n <= 0) {
        stopped_ = true;
        on_eof_(n < 0 ? std::error_code{errno, std::system_category()} : std::error_code{});
        return;
    }
    deliver(static_cast<std::size_t>(n));
}

void stdin_reader::read_async() {
    if (stopped_)
        return;
    descriptor_.async_read_some(
        net::buffer(buffer_),
        net::bind_executor(strand_, [this](boost::system::error_code ec, std::size_t n) {
            reading_ = false;
            if (stopped_)
                return;
            if (n > 0)
                deliver(n);
            if (ec && !stopped_) {
                stopped_ = true;
                on_eof_(ec == net::error::eof ? std::error_code{} : std::error_code{ec});
            }
        }));
}

} // namespace netlab::copyd
