#pragma once

// What the listener and every connection share (internal to webd's core library): the
// configuration, the document root, the access log, the cached Date value, counters and the
// registry used for a graceful drain. Immutable after start, atomic, or touched only on
// `strand`.

#include <netlab/webd/access_log.hpp>
#include <netlab/webd/config.hpp>
#include <netlab/webd/request_handler.hpp>
#include <netlab/webd/request_reader.hpp>
#include <netlab/webd/server.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace netlab::webd {

/// The Date header value of one second, shared immutable between threads.
struct date_text {
    std::int64_t second = 0;
    char http[29]{};
};

std::shared_ptr<date_text const> make_date(std::int64_t second);
/// The current second of the system clock.
std::int64_t now_second();

class connection;

/// Shared by the listener and all connections; see the top of this file for the rules.
struct server::state : std::enable_shared_from_this<server::state> {
    state(boost::asio::io_context& io, config const& c, file_opener& f, access_log& l)
        : ioc{io}
        , cfg{c}
        , files{f}
        , log{l}
        , strand{boost::asio::make_strand(io)}
        , date_timer{strand}
        , drain_timer{strand} {
        hopts.max_body = cfg.max_body;
        limits.body = cfg.max_body;
        date.store(make_date(now_second()));
    }

    boost::asio::io_context& ioc;
    config const cfg;
    file_opener& files;
    access_log& log;
    handler_options hopts;
    reader_limits limits;
    boost::asio::strand<boost::asio::io_context::executor_type>
        strand; // acceptors, registry, timers below
    std::vector<boost::asio::ip::tcp::acceptor> acceptors;
    boost::asio::steady_timer date_timer;
    boost::asio::steady_timer drain_timer;
    std::atomic<std::shared_ptr<date_text const>> date;
    std::atomic<std::size_t> open_connections{0};
    std::atomic<bool> draining{false};
    std::atomic<bool> finished{false};
    std::unordered_map<connection*, std::weak_ptr<connection>> registry; // on strand only
    std::chrono::steady_clock::time_point last_accept_error{};

    boost::asio::awaitable<void> accept_loop(std::size_t index);
    boost::asio::awaitable<void> date_loop();
    void connection_closed(connection* c);
    void finish();
};

/// Starts serving an accepted socket on its strand; the returned handle lets the server
/// drain it (the connection keeps itself alive while it has work).
std::shared_ptr<connection> start_connection(boost::asio::ip::tcp::socket socket,
                                             std::shared_ptr<server::state> st);

/// Asks a connection to close once its current response is sent (posted to its strand).
void drain_connection(std::shared_ptr<connection> const& c);

} // namespace netlab::webd
