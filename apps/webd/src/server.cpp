// The listener side: sockets (own or systemd's), the accept loop, the Date clock, the drain.
#include <netlab/webd/access_log.hpp>
#include <netlab/webd/connection.hpp>
#include <netlab/webd/error_log.hpp>
#include <netlab/webd/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cerrno>
#include <system_error>
#include <unordered_map>

#include <sys/socket.h>

namespace netlab::webd {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using net::awaitable;
using steady = std::chrono::steady_clock;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

connection_settings settings_from(config const& cfg) {
    connection_settings s;
    s.header_timeout = cfg.header_timeout;
    s.keepalive_timeout = cfg.keepalive_timeout;
    s.send_timeout = cfg.send_timeout;
    s.exchange.limits.body = cfg.max_body;
    s.exchange.handler.max_body = cfg.max_body;
    return s;
}

} // namespace

/// The listener's state. Connections see only `context` (through an aliasing pointer that
/// keeps this alive); the rest is touched on `strand`, or atomic.
struct server::state : std::enable_shared_from_this<server::state> {
    state(net::io_context& io, config const& c, file_opener& files, access_log& log)
        : ioc{io}
        , cfg{c}
        , strand{net::make_strand(io)}
        , date_timer{strand}
        , drain_timer{strand}
        , context{settings_from(c), files, log, dates, draining, [this](connection* closed) {
                      connection_closed(closed);
                  }} {}

    net::io_context& ioc;
    config const cfg;
    net::strand<net::io_context::executor_type> strand; // acceptors, registry, timers below
    std::vector<tcp::acceptor> acceptors;
    net::steady_timer date_timer;
    net::steady_timer drain_timer;
    date_source dates;
    std::atomic<bool> draining{false};
    std::atomic<bool> finished{false};
    std::atomic<std::size_t> open_connections{0};
    connection_context const context;
    std::unordered_map<connection*, std::weak_ptr<connection>> registry; // on strand only
    steady::time_point last_accept_error{};

    awaitable<void> accept_loop(std::size_t index);
    awaitable<void> date_loop();
    void connection_closed(connection* c);
    void finish();
};

awaitable<void> server::state::accept_loop(std::size_t index) {
    auto self = shared_from_this();
    auto& acceptor = acceptors[index];
    net::steady_timer backoff{strand};
    for (;;) {
        auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(ioc), use_tuple);
        if (ec == net::error::operation_aborted || !acceptor.is_open())
            co_return;
        if (ec) {
            // EMFILE, ENOBUFS...: back off instead of spinning or dying; log once a second.
            auto const now = steady::now();
            if (now - last_accept_error > std::chrono::seconds{1}) {
                last_accept_error = now;
                log_line(priority::error, "accept: " + ec.message());
            }
            backoff.expires_after(std::chrono::milliseconds{100});
            co_await backoff.async_wait(use_tuple);
            continue;
        }
        if (open_connections.load() >= cfg.max_connections) {
            boost::system::error_code ignored;
            socket.close(ignored); // over the cap: refuse at once rather than queue
            continue;
        }
        ++open_connections;
        auto c = start_connection(std::move(socket),
                                  std::shared_ptr<connection_context const>{self, &context});
        registry.emplace(c.get(), c);
    }
}

awaitable<void> server::state::date_loop() {
    auto self = shared_from_this();
    for (;;) {
        // Wake just after each second boundary and publish the new Date value.
        auto const now = std::chrono::system_clock::now();
        auto const next =
            std::chrono::ceil<std::chrono::seconds>(now + std::chrono::milliseconds{1});
        date_timer.expires_after(next - now);
        auto [ec] = co_await date_timer.async_wait(use_tuple);
        if (ec || draining.load())
            co_return;
        dates.tick();
    }
}

void server::state::connection_closed(connection* c) {
    net::post(strand, [self = shared_from_this(), c] {
        self->registry.erase(c);
        if (--self->open_connections == 0 && self->draining.load())
            self->finish();
    });
}

void server::state::finish() {
    if (finished.exchange(true))
        return;
    drain_timer.cancel();
    ioc.stop();
}

server::server(net::io_context& ioc, config const& cfg, file_opener& files, access_log& log)
    : state_{std::make_shared<state>(ioc, cfg, files, log)} {}

server::~server() = default;

void server::listen(std::vector<int> const& inherited) {
    auto& st = *state_;
    for (int const fd : inherited) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
            throw std::system_error{errno, std::generic_category(), "inherited socket"};
        tcp::acceptor acc{st.strand};
        acc.assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd);
        st.acceptors.push_back(std::move(acc));
    }
    if (!inherited.empty())
        return;

    auto open_one = [&](tcp::endpoint const& ep, bool dual_stack) {
        tcp::acceptor acc{st.strand};
        acc.open(ep.protocol());
        acc.set_option(tcp::acceptor::reuse_address(true));
        if (ep.protocol() == tcp::v6())
            acc.set_option(net::ip::v6_only(!dual_stack));
        acc.bind(ep);
        acc.listen(net::socket_base::max_listen_connections);
        st.acceptors.push_back(std::move(acc));
    };
    try {
        if (st.cfg.bind.empty()) {
            try {
                open_one({tcp::v6(), st.cfg.port}, true);
            } catch (boost::system::system_error const& e) {
                // No IPv6 on this host: IPv4 only.
                if (e.code() != net::error::address_family_not_supported)
                    throw;
                open_one({tcp::v4(), st.cfg.port}, false);
            }
        } else {
            boost::system::error_code ec;
            auto const addr = net::ip::make_address(st.cfg.bind, ec);
            if (ec)
                throw std::system_error{std::make_error_code(std::errc::invalid_argument),
                                        "--bind " + st.cfg.bind + " is not an IP address"};
            open_one({addr, st.cfg.port}, false);
        }
    } catch (boost::system::system_error const& e) {
        throw std::system_error{std::error_code{e.code().value(), std::generic_category()},
                                "cannot listen on port " + std::to_string(st.cfg.port)};
    }
}

std::string server::describe_listeners() const {
    std::string out;
    for (auto const& acc : state_->acceptors) {
        boost::system::error_code ec;
        auto const ep = acc.local_endpoint(ec);
        if (!out.empty())
            out += ", ";
        auto const addr = ep.address().to_string();
        bool const v6 = ep.address().is_v6();
        out.append(v6 ? "[" : "").append(addr).append(v6 ? "]:" : ":");
        out.append(std::to_string(ep.port()));
    }
    return out;
}

std::uint16_t server::local_port() const {
    boost::system::error_code ec;
    return state_->acceptors.empty() ? 0 : state_->acceptors.front().local_endpoint(ec).port();
}

void server::start() {
    auto const on_done = [](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (std::exception const& x) {
            log_line(priority::error, std::string{"accept loop failed: "} + x.what());
        }
    };
    for (std::size_t i = 0; i < state_->acceptors.size(); ++i)
        net::co_spawn(state_->strand, state_->accept_loop(i), on_done);
    net::co_spawn(state_->strand, state_->date_loop(), on_done);
}

void server::stop() {
    net::post(state_->strand, [st = state_] {
        if (st->draining.exchange(true))
            return;
        boost::system::error_code ec;
        for (auto& acc : st->acceptors)
            acc.close(ec);
        st->date_timer.cancel();
        for (auto const& [ptr, weak] : st->registry)
            if (auto c = weak.lock())
                drain_connection(c);
        if (st->open_connections.load() == 0) {
            st->finish();
            return;
        }
        st->drain_timer.expires_after(st->cfg.shutdown_timeout);
        st->drain_timer.async_wait([st](boost::system::error_code e) {
            if (!e)
                st->finish(); // the deadline: whatever is still sending is cut
        });
    });
}

} // namespace netlab::webd
