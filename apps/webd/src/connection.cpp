// The plain TCP transport of an http1_exchange: readiness, reads, writes, deadlines.
#include <netlab/webd/access_log.hpp>
#include <netlab/webd/connection.hpp>
#include <netlab/webd/error_log.hpp>
#include <netlab/webd/response_writer.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

#include <netinet/tcp.h>

namespace netlab::webd {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using net::awaitable;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// sendfile(2) calls before yielding to the other connections on the same threads: one, so
/// that every connection's sendfile gets the same turn (and the same share of the kernel's
/// time), as lighttpd and nginx do.
constexpr int sendfile_calls_per_turn = 1;

/// Unsent bytes the kernel may hold for a socket before it reports it unwritable. Without a
/// limit, a socket's send buffer (tcp_wmem, up to 4 MiB) takes megabytes of unsent file at
/// once, and the first connection's burst delays the others; with it, a sendfile waits until
/// the unsent part drains below 32 KiB, and the connections interleave in small steps.
/// Bytes in flight are not limited, so a long fat path still fills its window. Measured with
/// 4 and 16 connections on one thread (10 MiB files): 256 KiB gave 2.1-2.3 GB/s, 64 KiB
/// 2.3-2.7, 32 KiB 3.0-3.9 (lighttpd 2.1-2.5 in the same runs).
using notsent_lowat = net::detail::socket_option::integer<IPPROTO_TCP, TCP_NOTSENT_LOWAT>;
constexpr int notsent_lowat_bytes = 32 * 1024;

/// How long an idle connection keeps its read buffer and reads straight into it (warm)
/// before giving the buffers back and waiting for readability instead (cold).
constexpr auto warm_time = std::chrono::milliseconds{250};
/// Responses a connection must have had before it idles warm: a client that fetches one
/// file, like most of a burst of new clients, never holds buffers while idle. (10,000
/// connections of one request each, all warm at once, left the heap 17 MiB larger.)
constexpr std::uint32_t warm_after = 2;

std::string remote_address(tcp::socket const& s) {
    boost::system::error_code ec;
    auto const ep = s.remote_endpoint(ec);
    if (ec)
        return {};
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
    return addr.to_string();
}

} // namespace

// A connection is idle (between requests) most of its life, so idling costs no coroutine
// frame, buffer or parser. After its second and later responses it idles warm for a moment
// (warm_time): an async_read_some into the
// exchange's kept read buffer, which costs no system call (Asio queues it after a short
// read) and brings the next request with a single recv. Once it has been idle for
// warm_time, the watchdog cools it: the read is cancelled, the buffers are given back and a
// plain async_wait for readability takes over (which costs an epoll_ctl each time, so a busy
// connection avoids it). When bytes arrive, step() answers what it can at once (complete
// requests whose responses the socket takes whole); anything that must wait (more bytes, a
// request body, sendfile, a full socket, a lingering close) continues in a coroutine, which
// returns to idling when the exchange asks to wait. The watchdog timer (a plain handler
// too) also enforces the deadline of the current phase. Everything runs on the strand.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket socket, std::shared_ptr<connection_context const> ctx)
        : socket_{std::move(socket)}
        , timer_{socket_.get_executor()}
        , ctx_{std::move(ctx)}
        , writer_{socket_.native_handle()}
        , exchange_{ctx_->settings.exchange, ctx_->files, log_function()} {}

    /// On the connection's strand.
    void start() {
        boost::system::error_code ec;
        socket_.non_blocking(true, ec);
        socket_.set_option(tcp::no_delay(true), ec);
        socket_.set_option(notsent_lowat{notsent_lowat_bytes}, ec);
        if (ctx_->log.enabled())
            remote_ = remote_address(socket_);
        deadline_ = steady::now() + ctx_->settings.header_timeout;
        arm_watchdog();
        step();
    }

    net::any_io_executor get_executor() { return socket_.get_executor(); }

    /// On this connection's strand: the server is stopping.
    void drain() {
        draining_ = true;
        if (waiting_) {
            boost::system::error_code ec;
            socket_.cancel(ec);
        }
    }

private:
    http1_exchange::log_fn log_function() {
        if (!ctx_->log.enabled())
            return {};
        return [this](access_entry& e) {
            e.remote = remote_;
            e.time = std::chrono::sys_seconds{std::chrono::seconds{now_second()}};
            ctx_->log.write(format_combined(e));
        };
    }

    /// The exchange's next action, with the deadline it starts.
    action next() {
        auto const a = exchange_.next(
            {dates_.now(ctx_->dates), draining_ || ctx_->draining.load(std::memory_order_relaxed)});
        if (a.restart != deadline::keep)
            deadline_ = steady::now() + duration(a.restart);
        return a;
    }

    steady::duration duration(deadline d) const noexcept {
        auto const& s = ctx_->settings;
        switch (d) {
        case deadline::header:
            return s.header_timeout;
        case deadline::keepalive:
            return s.keepalive_timeout;
        case deadline::send:
            return s.send_timeout;
        case deadline::linger:
            return s.linger_time;
        case deadline::keep:
            break;
        }
        return steady::duration::zero();
    }

    // ---- the fast path and idling (plain handlers) ----------------------------------------

    /// Does at once what needs no waiting; hands the rest to the coroutine.
    void step() {
        try {
            if (step_at_once())
                return;
        } catch (std::exception const& x) {
            // Outside a coroutine nothing else would catch it, and one connection's failure
            // must never end the daemon.
            log_line(priority::error, std::string{"connection failed: "} + x.what());
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
                              log_line(priority::error,
                                       std::string{"connection failed: "} + x.what());
                          } catch (...) {
                              log_line(priority::error, "connection failed");
                          }
                          self->close();
                      });
    }

    /// True when the connection is idle again or closed; false: the coroutine goes on.
    bool step_at_once() {
        for (;;) {
            auto const a = next();
            switch (a.what) {
            case io::wait:
                wait_readable();
                return true;
            case io::close:
                close();
                return true;
            case io::write: {
                if (a.more)
                    return false; // a file follows: the coroutine sends both
                auto const r = writer_.write(a.data);
                exchange_.on_sent(r.bytes);
                if (r.failed())
                    exchange_.on_failed();
                else if (r.would_block())
                    return false;
                continue;
            }
            default:
                return false;
            }
        }
    }

    void wait_readable() {
        waiting_ = true;
        if (exchange_.responses() < warm_after) {
            exchange_.release_idle_buffers();
            return wait_cold();
        }
        warm_ = true;
        cool_at_ = steady::now() + warm_time;
        // The watchdog must wake by about cool_at_; moving it earlier costs a timer update,
        // so only when it sleeps much longer (once per warm spell of a busy connection).
        if (deadline_ < armed_ || armed_ > cool_at_ + warm_time)
            timer_.cancel();
        auto const space = exchange_.read_space();
        socket_.async_read_some(
            net::buffer(space.data(), space.size()),
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                self->on_warm(ec, n);
            });
    }

    void wait_cold() {
        arm();
        socket_.async_wait(
            tcp::socket::wait_read,
            [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
    }

    void on_warm(boost::system::error_code ec, std::size_t n) {
        warm_ = false;
        bool const cooled = std::exchange(cooling_, false) && ec == net::error::operation_aborted;
        if (closed_)
            return;
        if (cooled && !timed_out_ && !draining_) {
            exchange_.release_idle_buffers();
            return wait_cold(); // still waiting_
        }
        waiting_ = false;
        if (draining_ && ec == net::error::operation_aborted && !timed_out_) {
            // Nothing arrived: with nothing buffered, a draining exchange closes.
        } else {
            report_read(ec, n);
        }
        step();
    }

    void on_readable(boost::system::error_code ec) {
        waiting_ = false;
        if (closed_)
            return;
        if (timed_out_) {
            exchange_.on_timeout();
        } else if (draining_) {
            // Nothing is reported: with nothing buffered, a draining exchange closes.
        } else if (!ec) {
            auto const space = exchange_.read_space();
            auto const n = socket_.read_some(net::buffer(space.data(), space.size()), ec);
            if (ec != net::error::would_block) // else a spurious wake-up: wait again
                report_read(ec, n);
        } else {
            exchange_.on_failed();
        }
        step();
    }

    void report_read(boost::system::error_code ec, std::size_t n) {
        if (timed_out_)
            exchange_.on_timeout();
        else if (ec == net::error::eof)
            exchange_.on_read(0);
        else if (ec)
            exchange_.on_failed();
        else
            exchange_.on_read(n);
    }

    // ---- deadlines ------------------------------------------------------------------------

    void arm_watchdog() {
        armed_ = warm_ && !cooling_ ? std::min(deadline_, cool_at_) : deadline_;
        timer_.expires_at(armed_);
        timer_.async_wait(
            [self = shared_from_this()](boost::system::error_code) { self->on_watchdog(); });
    }

    void on_watchdog() {
        if (closed_)
            return;
        auto const now = steady::now();
        boost::system::error_code ignored;
        if (now >= deadline_) {
            timed_out_ = true;
            deadline_ = steady::time_point::max();
            socket_.cancel(ignored); // the pending read/write/wait ends with operation_aborted
            return;
        }
        if (warm_ && !cooling_ && now >= cool_at_) {
            cooling_ = true;
            socket_.cancel(ignored); // on_warm() gives the buffers back and waits cold
        }
        arm_watchdog(); // the deadline moved (or was cancelled to move earlier)
    }

    /// Before each wait: a deadline later than the armed expiry costs nothing (the watchdog
    /// re-checks when it wakes); an earlier one wakes the watchdog to re-arm. Deadlines move
    /// freely in between, so a request answered at once touches no timer.
    void arm() {
        if (deadline_ < armed_)
            timer_.cancel();
    }

    // ---- the coroutine --------------------------------------------------------------------

    static awaitable<void> serve(std::shared_ptr<connection> self) { co_await self->run(); }

    awaitable<void> run() {
        int calls = 0;
        for (;;) {
            auto const a = next();
            switch (a.what) {
            case io::wait:
                co_return wait_readable();
            case io::close:
                co_return close();
            case io::linger:
                co_return co_await linger_and_close();
            case io::read: {
                arm();
                auto const space = exchange_.read_space();
                auto [ec, n] = co_await socket_.async_read_some(
                    net::buffer(space.data(), space.size()), use_tuple);
                report_read(ec, n);
                break;
            }
            case io::read_file:
                if (response_writer::read_file(a.fd, a.offset, exchange_.file_buffer()))
                    exchange_.on_file_read();
                else
                    exchange_.on_failed();
                break;
            case io::write_final:
                exchange_.on_sent(writer_.write(a.data).bytes);
                break;
            case io::write:
            case io::send_file: {
                bool const file = a.what == io::send_file;
                auto const r = file ? writer_.send_file(a.fd, a.offset, a.length)
                                    : writer_.write(a.data, a.more);
                if (r.bytes > 0) {
                    exchange_.on_sent(r.bytes);
                    // Progress restarts the send timeout even when the socket never fills (a
                    // fast reader of a file that comes slowly off the disk).
                    deadline_ = steady::now() + ctx_->settings.send_timeout;
                }
                if (r.failed()) {
                    exchange_.on_failed();
                } else if (r.would_block()) {
                    co_await wait_writable();
                } else if (file && r.bytes < a.length && ++calls == sendfile_calls_per_turn) {
                    calls = 0; // a fast reader must not starve the other connections
                    co_await net::post(socket_.get_executor(), net::use_awaitable);
                    if (timed_out_)
                        exchange_.on_timeout();
                }
                break;
            }
            }
        }
    }

    awaitable<void> wait_writable() {
        deadline_ = steady::now() + ctx_->settings.send_timeout;
        arm();
        auto [ec] = co_await socket_.async_wait(tcp::socket::wait_write, use_tuple);
        if (timed_out_)
            exchange_.on_timeout();
        else if (ec)
            exchange_.on_failed();
    }

    /// Closes after a final response while the peer may still be sending (a body we refused,
    /// pipelined requests): closing with unread input would send a reset that can destroy
    /// our response in the peer's buffers, so shut down our side and read until the peer
    /// closes or the linger time passes, as nginx's lingering close does.
    awaitable<void> linger_and_close() {
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        if (!ec && !timed_out_ && !closed_) {
            arm();
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
        boost::system::error_code ec;
        timer_.cancel();
        // Graceful close: a peer that pipelined more requests must still read our last reply,
        // so shut down our side first instead of resetting with unread input.
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        socket_.close(ec);
        ctx_->on_closed(this);
    }

    tcp::socket socket_;
    net::steady_timer timer_;
    std::shared_ptr<connection_context const> ctx_;
    response_writer writer_;
    http1_exchange exchange_;
    date_source::reader dates_;
    std::string remote_;
    steady::time_point deadline_ = steady::time_point::max();
    steady::time_point armed_ = steady::time_point::max();
    steady::time_point cool_at_{}; ///< when a warm idle connection turns cold
    bool waiting_ = false;         ///< in wait_readable(): idle, safe to cancel for a drain
    bool warm_ = false;            ///< idle with a read into the kept buffer pending
    bool cooling_ = false;         ///< that read was cancelled to turn cold
    bool timed_out_ = false;
    bool draining_ = false;
    bool closed_ = false;
};

std::shared_ptr<connection> start_connection(tcp::socket socket,
                                             std::shared_ptr<connection_context const> ctx) {
    auto c = std::make_shared<connection>(std::move(socket), std::move(ctx));
    net::dispatch(c->get_executor(), [c] { c->start(); });
    return c;
}

void drain_connection(std::shared_ptr<connection> const& c) {
    net::post(c->get_executor(), [c] { c->drain(); });
}

} // namespace netlab::webd
