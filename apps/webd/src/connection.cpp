// One client connection: reading request heads, answering them, timeouts, graceful close.
#include <netlab/common/http.hpp>
#include <netlab/webd/error_log.hpp>
#include <netlab/webd/server_state.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <cerrno>
#include <optional>
#include <span>
#include <system_error>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace netlab::webd {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using net::awaitable;
using steady = std::chrono::steady_clock;
using strand_type = net::strand<net::io_context::executor_type>;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// Files up to this size go out in one writev with the head; larger ones by sendfile.
constexpr std::uint64_t small_file_limit = 32 * 1024;
/// sendfile(2) count per call, and how many calls before yielding to other connections.
constexpr std::size_t sendfile_chunk = 1024 * 1024;
constexpr int sendfile_calls_per_turn = 8;
/// How long a closing connection keeps draining the peer's input (lingering close).
constexpr auto linger_time = std::chrono::seconds{2};
/// The read buffer a request starts with (none while idle); it grows for large heads up to
/// the header limit.
constexpr std::size_t first_buffer = 1024;

bool would_block(int err) {
    return err == EAGAIN || err == EWOULDBLOCK;
}

void log_error(std::string_view what) {
    log_line(priority::error, what);
}

} // namespace

// A connection is idle (between requests) most of its life, so idling costs no coroutine
// frame, buffer or parser: a plain async_wait for readability on the connection's strand.
// When bytes arrive, the readiness handler answers what it can at once (complete requests
// with in-memory responses that the socket takes whole); anything that must wait (more
// bytes, a request body, sendfile, a full socket, a lingering close) continues in a
// coroutine, which returns to idling when the buffer is empty. A watchdog timer (a plain
// handler too) enforces the deadline of the current phase. Everything runs on the strand.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket socket, std::shared_ptr<server::state> st)
        : socket_{std::move(socket)}
        , timer_{socket_.get_executor()}
        , st_{std::move(st)}
        , reader_{st_->limits} {}

    /// On the connection's strand.
    void start() {
        boost::system::error_code ec;
        socket_.non_blocking(true, ec);
        socket_.set_option(tcp::no_delay(true), ec);
        auto const ep = socket_.remote_endpoint(ec);
        if (!ec && st_->log.enabled()) {
            auto addr = ep.address();
            if (addr.is_v6() && addr.to_v6().is_v4_mapped())
                addr = net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
            remote_ = addr.to_string();
        }
        deadline_ = steady::now() + st_->cfg.header_timeout;
        arm_watchdog();
        idle();
    }

    net::any_io_executor get_executor() { return socket_.get_executor(); }

    /// On this connection's strand: the server is stopping.
    void drain() {
        draining_ = true;
        if (phase_ == phase::idle) {
            boost::system::error_code ec;
            socket_.cancel(ec);
        }
    }

private:
    enum class phase { idle, reading, writing };

    // ---- idle and timeouts (plain handlers) ----------------------------------------------

    void idle() {
        phase_ = phase::idle;
        begin_ = end_ = 0;
        std::vector<char>{}.swap(buffer_);
        std::vector<char>{}.swap(scratch_);
        if (draining_ || timed_out_)
            return close();
        socket_.async_wait(
            tcp::socket::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
    }

    void on_readable(boost::system::error_code ec) {
        if (ec || timed_out_ || closed_ || draining_)
            return close();
        phase_ = phase::reading;
        buffer_.resize(first_buffer);
        auto const n = socket_.read_some(net::buffer(buffer_), ec);
        if (ec == net::error::would_block)
            return idle(); // a spurious wake-up
        if (ec)
            return close(); // EOF or reset
        end_ = n;
        try {
            if (serve_at_once())
                return;
        } catch (std::exception const& x) {
            // Outside a coroutine nothing else would catch it, and one connection's failure
            // must never end the daemon.
            log_error(std::string{"connection failed: "} + x.what());
            return close();
        }
        // The completion runs on this strand. A failed coroutine must still close(): that
        // gives the slot under --max-connections back and lets a drain finish.
        net::co_spawn(socket_.get_executor(), serve(shared_from_this()),
                      [self = shared_from_this()](std::exception_ptr e) {
                          if (!e)
                              return;
                          try {
                              std::rethrow_exception(e);
                          } catch (std::exception const& x) {
                              log_error(std::string{"connection failed: "} + x.what());
                          } catch (...) {
                              log_error("connection failed");
                          }
                          self->close();
                      });
    }

    void arm_watchdog() {
        armed_ = deadline_;
        timer_.expires_at(armed_);
        timer_.async_wait(
            [self = shared_from_this()](boost::system::error_code) { self->on_watchdog(); });
    }

    void on_watchdog() {
        if (closed_)
            return;
        if (steady::now() < deadline_)
            return arm_watchdog(); // the deadline moved (or was cancelled to move earlier)
        timed_out_ = true;
        deadline_ = steady::time_point::max();
        boost::system::error_code ignored;
        socket_.cancel(ignored); // the pending read/write/wait ends with operation_aborted
    }

    /// Moving a deadline later costs nothing (the watchdog re-checks when it wakes); moving
    /// it earlier than the armed expiry wakes the watchdog to re-arm.
    void set_deadline(steady::time_point t) {
        deadline_ = t;
        if (t < armed_)
            timer_.cancel();
    }

    /// Waits until the socket is readable/writable; false on error or timeout.
    awaitable<bool> wait(tcp::socket::wait_type w) {
        if (timed_out_ || closed_)
            co_return false;
        auto [ec] = co_await socket_.async_wait(w, use_tuple);
        co_return !ec && !timed_out_;
    }

    std::string_view current_date() {
        auto const sec = now_second();
        if (!date_ || date_->second != sec) {
            auto shared = st_->date.load(std::memory_order_acquire);
            date_ = shared && shared->second == sec ? std::move(shared) : make_date(sec);
        }
        return {date_->http, sizeof date_->http};
    }

    /// Reads more bytes of a request that has begun; false when the connection ends.
    awaitable<bool> read_more() {
        if (timed_out_ || closed_)
            co_return false;
        auto const max_buffer = st_->limits.header + first_buffer;
        if (begin_ == end_) {
            begin_ = end_ = 0;
            if (buffer_.empty())
                buffer_.resize(first_buffer);
        } else if (end_ == buffer_.size()) {
            if (begin_ > 0) {
                std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                          buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
                end_ -= begin_;
                begin_ = 0;
            } else if (buffer_.size() < max_buffer) {
                buffer_.resize(std::min(buffer_.size() * 2, max_buffer));
            } else {
                co_return false; // cannot happen: the reader stops at the header limit first
            }
        }
        phase_ = phase::reading;
        auto [ec, n] = co_await socket_.async_read_some(
            net::buffer(buffer_.data() + end_, buffer_.size() - end_), use_tuple);
        if (ec || timed_out_)
            co_return false;
        end_ += n;
        co_return true;
    }

    /// Writes all of `bufs` without blocking a thread; false on error or send timeout.
    awaitable<bool> write_all(std::array<net::const_buffer, 2> bufs) {
        std::size_t first = 0;
        while (first < bufs.size()) {
            boost::system::error_code ec;
            auto n = socket_.write_some(
                std::span<net::const_buffer const>{bufs.data() + first, bufs.size() - first}, ec);
            sent_ += n;
            while (n > 0 && first < bufs.size()) {
                auto const take = std::min(n, bufs[first].size());
                bufs[first] += take;
                n -= take;
                if (bufs[first].size() == 0)
                    ++first;
            }
            while (first < bufs.size() && bufs[first].size() == 0)
                ++first;
            if (first == bufs.size())
                co_return true;
            if (ec && ec != net::error::would_block)
                co_return false;
            if (ec) {
                set_deadline(steady::now() + st_->cfg.send_timeout);
                if (!co_await wait(tcp::socket::wait_write))
                    co_return false;
            }
        }
        co_return true;
    }

    /// Sends `length` bytes of `file` from `offset` with sendfile(2), waiting for the socket's
    /// readiness on this strand; the send timeout restarts with every byte of progress.
    awaitable<bool> send_file(int file, std::uint64_t offset, std::uint64_t length) {
        auto off = static_cast<off_t>(offset);
        int calls = 0;
        while (length > 0) {
            auto const count =
                static_cast<std::size_t>(std::min<std::uint64_t>(length, sendfile_chunk));
            auto const n = ::sendfile(socket_.native_handle(), file, &off, count);
            if (n > 0) {
                length -= static_cast<std::uint64_t>(n);
                file_sent_ += static_cast<std::uint64_t>(n);
                // Progress restarts the send timeout even when the socket never fills (a fast
                // reader of a file that comes slowly off the disk).
                set_deadline(steady::now() + st_->cfg.send_timeout);
                if (++calls == sendfile_calls_per_turn && length > 0) {
                    calls = 0; // a fast reader must not starve the other connections
                    co_await net::post(socket_.get_executor(), net::use_awaitable);
                    if (timed_out_)
                        co_return false;
                }
                continue;
            }
            if (n == 0)
                co_return false; // the file shrank under us: the promised length cannot be met
            if (errno == EINTR)
                continue;
            if (!would_block(errno))
                co_return false;
            set_deadline(steady::now() + st_->cfg.send_timeout);
            if (!co_await wait(tcp::socket::wait_write))
                co_return false;
        }
        co_return true;
    }

    /// The head and in-memory body of `res` (a cached file or an error page).
    static std::array<net::const_buffer, 2> memory_buffers(response const& res) {
        if (res.cached)
            return {net::buffer(res.head), net::buffer(res.cached->data() + res.file_offset,
                                                       static_cast<std::size_t>(res.file_length))};
        return {net::buffer(res.head), net::buffer(res.body)};
    }

    /// Sends `res`; `written_` bytes of an in-memory response already went out.
    awaitable<bool> send_response(response& res) {
        phase_ = phase::writing;
        // From here the send timeout rules, not what was left of the header or keep-alive
        // timeout when the request came in.
        set_deadline(steady::now() + st_->cfg.send_timeout);
        sent_ = written_;
        file_sent_ = 0;
        if (res.cached || !res.file) {
            auto bufs = memory_buffers(res);
            auto skip = written_;
            for (auto& b : bufs) {
                auto const take = std::min(skip, b.size());
                b += take;
                skip -= take;
            }
            co_return co_await write_all(bufs);
        }
        if (res.file_length <= small_file_limit) {
            // Small file: read it and send head and body in one writev.
            scratch_.resize(static_cast<std::size_t>(res.file_length));
            std::size_t got = 0;
            while (got < scratch_.size()) {
                auto const n = ::pread(res.file.get(), scratch_.data() + got, scratch_.size() - got,
                                       static_cast<off_t>(res.file_offset + got));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    co_return false; // shrank or unreadable: cannot honour Content-Length
                got += static_cast<std::size_t>(n);
            }
            co_return co_await write_all({net::buffer(res.head), net::buffer(scratch_)});
        }
        // Large file: the head is corked (MSG_MORE) so it leaves with the first file bytes.
        std::string_view head = res.head;
        while (!head.empty()) {
            auto const n =
                ::send(socket_.native_handle(), head.data(), head.size(), MSG_MORE | MSG_NOSIGNAL);
            if (n >= 0) {
                head.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (errno == EINTR)
                continue;
            if (!would_block(errno))
                co_return false;
            set_deadline(steady::now() + st_->cfg.send_timeout);
            if (!co_await wait(tcp::socket::wait_write))
                co_return false;
        }
        co_return co_await send_file(res.file.get(), res.file_offset, res.file_length);
    }

    void log_exchange(request_head const* head, unsigned status, std::uint64_t bytes) {
        if (!st_->log.enabled())
            return;
        access_entry e;
        e.remote = remote_;
        e.time = http::sys_seconds{std::chrono::seconds{now_second()}};
        if (head != nullptr) {
            e.method = head->method;
            e.target = head->target;
            e.version = head->version;
            e.referer = head->referer;
            e.user_agent = head->user_agent;
        }
        e.status = status;
        e.bytes = bytes;
        st_->log.write(format_combined(e));
    }

    /// Sends a response that ends the connection, without waiting for a slow reader.
    void send_final_error(unsigned status) {
        auto const res = make_error_response(status, {current_date(), true}, false, st_->hopts);
        std::array<iovec, 2> iov{iovec{const_cast<char*>(res.head.data()), res.head.size()},
                                 iovec{const_cast<char*>(res.body.data()), res.body.size()}};
        msghdr msg{};
        msg.msg_iov = iov.data();
        msg.msg_iovlen = iov.size();
        auto const n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        auto const body_sent = n > static_cast<ssize_t>(res.head.size())
                                   ? static_cast<std::uint64_t>(n) - res.head.size()
                                   : 0;
        log_exchange(nullptr, status, body_sent);
    }

    /// Skips a request body of `length` bytes; false if the connection ended first.
    awaitable<bool> discard(std::uint64_t length) {
        while (length > 0) {
            auto const have = std::min<std::uint64_t>(length, end_ - begin_);
            begin_ += static_cast<std::size_t>(have);
            length -= have;
            if (length == 0)
                break;
            if (!co_await read_more())
                co_return false;
        }
        co_return true;
    }

    /// Serves every request the buffered bytes complete; returns to idle() when the buffer is
    /// empty and the connection stays open.
    static awaitable<void> serve(std::shared_ptr<connection> self) { co_await self->serve_some(); }

    /// The common case without a coroutine: every buffered request is complete, its response
    /// is in memory and the socket takes it at once. Returns true when the connection is idle
    /// again; false hands over to serve() (with any response already made in `res_`).
    bool serve_at_once() {
        for (;;) {
            skip_empty_lines();
            if (begin_ == end_)
                break;
            auto const out = reader_.feed({buffer_.data() + begin_, end_ - begin_});
            if (out.status == request_reader::state::need_more)
                return false; // serve() reads on (feeding the same bytes again is fine)
            if (out.status == request_reader::state::error) {
                pending_error_ = out.error_status;
                return false;
            }
            begin_ += out.consumed;
            res_.emplace(handle_request(reader_.head(), st_->files,
                                        {current_date(), draining_ || st_->draining.load()},
                                        st_->hopts));
            auto const& res = *res_;
            if (!res.keep_alive || res.discard_body > 0 || (res.file && !res.cached))
                return false;
            auto const bufs = memory_buffers(res);
            boost::system::error_code ec;
            written_ = socket_.write_some(bufs, ec);
            if (written_ < bufs[0].size() + bufs[1].size())
                return false; // serve() waits for the socket, or meets the error again
            finish_exchange(written_);
        }
        set_deadline(steady::now() + st_->cfg.keepalive_timeout);
        idle();
        return true;
    }

    /// Drops CR/LF bytes between requests (RFC 9112 2.2: some clients send a CRLF after a
    /// request). Only between messages: `reader_` holds no request then. Without this, a
    /// lone CRLF would start a "slow head" and earn a 408 on a connection that is idle.
    void skip_empty_lines() {
        while (begin_ != end_ && (buffer_[begin_] == '\r' || buffer_[begin_] == '\n'))
            ++begin_;
    }

    /// Logs the exchange in `res_` and forgets it and its request.
    void finish_exchange(std::uint64_t total_sent) {
        auto const& res = *res_;
        auto const body_bytes =
            res.file && !res.cached && res.file_length > small_file_limit
                ? file_sent_
                : (total_sent > res.head.size() ? total_sent - res.head.size() : 0);
        log_exchange(&reader_.head(), res.status, body_bytes);
        reader_.reset();
        res_.reset();
        written_ = 0;
    }

    awaitable<void> serve_some() {
        for (;;) {
            if (!res_) {
                // 1. A complete request head. When it needs more reads, the header timeout
                // runs from here: a head must arrive whole within it, however slowly it
                // trickles in. (Not armed when the head came in one piece.)
                request_reader::outcome out;
                if (pending_error_ != 0) {
                    out = {request_reader::state::error, 0, std::exchange(pending_error_, 0U)};
                } else {
                    bool head_deadline = false;
                    for (;;) {
                        out = reader_.feed({buffer_.data() + begin_, end_ - begin_});
                        if (out.status != request_reader::state::need_more)
                            break;
                        if (!std::exchange(head_deadline, true))
                            set_deadline(steady::now() + st_->cfg.header_timeout);
                        if (!co_await read_more()) {
                            if (timed_out_)
                                send_final_error(408);
                            co_return close();
                        }
                    }
                }
                if (out.status == request_reader::state::error) {
                    send_final_error(out.error_status);
                    co_return co_await linger_and_close();
                }
                // 2. The response, decided without I/O.
                begin_ += out.consumed;
                res_.emplace(handle_request(reader_.head(), st_->files,
                                            {current_date(), draining_ || st_->draining.load()},
                                            st_->hopts));
            }
            auto& res = *res_;
            if (written_ == 0 && res.keep_alive && res.discard_body > 0 &&
                !co_await discard(res.discard_body))
                co_return close();

            // 3. Send it; one write in flight, responses in request order.
            bool const sent = co_await send_response(res);
            bool const keep_alive = res.keep_alive;
            finish_exchange(sent_);
            if (!sent)
                co_return close();
            if (!keep_alive)
                co_return co_await linger_and_close();
            skip_empty_lines();
            if (begin_ == end_) {
                // Nothing pipelined: idle until the next request, under the keep-alive timeout.
                set_deadline(steady::now() + st_->cfg.keepalive_timeout);
                co_return idle();
            }
        }
    }

    /// Closes after a final response while the peer may still be sending (a body we refused,
    /// pipelined requests): closing with unread input would send a reset that can destroy
    /// our response in the peer's buffers, so shut down our side and read until the peer
    /// closes or 2 s pass, as nginx's lingering close does.
    awaitable<void> linger_and_close() {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        if (!ec && !timed_out_ && !closed_) {
            set_deadline(steady::now() + linger_time);
            std::array<char, 4096> sink{};
            for (;;) {
                auto [rec, n] = co_await socket_.async_read_some(net::buffer(sink), use_tuple);
                if (rec || timed_out_)
                    break;
            }
        }
        close();
    }

    void close() {
        if (closed_)
            return;
        closed_ = true;
        phase_ = phase::idle;
        boost::system::error_code ec;
        timer_.cancel();
        // Graceful close: a peer that pipelined more requests must still read our last reply,
        // so shut down our side first instead of resetting with unread input.
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        socket_.close(ec);
        st_->connection_closed(this);
    }

    tcp::socket socket_;
    net::steady_timer timer_;
    std::shared_ptr<server::state> st_;
    request_reader reader_;
    std::vector<char> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::vector<char> scratch_;
    std::string remote_;
    std::shared_ptr<date_text const> date_;
    steady::time_point deadline_ = steady::time_point::max();
    steady::time_point armed_ = steady::time_point::max();
    std::optional<response> res_; ///< the response being sent, when one is under way
    std::uint64_t written_ = 0;   ///< bytes of res_ that serve_at_once() already wrote
    unsigned pending_error_ = 0;  ///< a parse error serve_at_once() found, for serve()
    std::uint64_t sent_ = 0;
    std::uint64_t file_sent_ = 0;
    phase phase_ = phase::idle;
    bool timed_out_ = false;
    bool draining_ = false;
    bool closed_ = false;
};

std::shared_ptr<connection> start_connection(tcp::socket socket,
                                             std::shared_ptr<server::state> st) {
    auto c = std::make_shared<connection>(std::move(socket), std::move(st));
    net::dispatch(c->get_executor(), [c] { c->start(); });
    return c;
}

void drain_connection(std::shared_ptr<connection> const& c) {
    net::post(c->get_executor(), [c] { c->drain(); });
}

} // namespace netlab::webd
