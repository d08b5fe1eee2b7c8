#pragma once

// One accepted TCP connection: moves bytes for its http1_exchange on its own strand, with the
// phase deadlines of the configuration. What it may use of the server is connection_context,
// nothing more.

#include <netlab/webd/date_source.hpp>
#include <netlab/webd/http1_exchange.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace netlab::webd {

class access_log;
class connection;

struct connection_settings {
    std::chrono::steady_clock::duration header_timeout = std::chrono::seconds{15};
    std::chrono::steady_clock::duration keepalive_timeout = std::chrono::seconds{75};
    std::chrono::steady_clock::duration send_timeout = std::chrono::seconds{60};
    /// How long a closing connection keeps draining the peer's input (lingering close).
    std::chrono::steady_clock::duration linger_time = std::chrono::seconds{2};
    exchange_settings exchange;
};

/// What every connection of a server shares; immutable or thread-safe, and alive as long as
/// any connection holds it.
struct connection_context {
    connection_settings settings;
    file_opener& files;
    access_log& log;
    date_source const& dates;
    std::atomic<bool> const& draining; ///< the server is stopping: close after each response
    /// Called once, on the connection's strand, when it has closed its socket.
    std::function<void(connection*)> on_closed;
};

/// Starts serving an accepted socket on its strand; the returned handle lets the server
/// drain it (the connection keeps itself alive while it has work).
std::shared_ptr<connection> start_connection(boost::asio::ip::tcp::socket socket,
                                             std::shared_ptr<connection_context const> ctx);

/// Asks a connection to close once its current response is sent (posted to its strand).
void drain_connection(std::shared_ptr<connection> const& c);

} // namespace netlab::webd
