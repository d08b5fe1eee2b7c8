#pragma once

// The listener: listening sockets (its own or systemd's), the accept loop with its connection
// cap, the shared Date clock and the graceful drain. Each accepted socket becomes a
// connection (connection.cpp) on its own strand, which moves the bytes; the protocol
// decisions are request_reader's and handle_request's.

#include <netlab/webd/config.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netlab::webd {

class file_opener;
class access_log;

class server {
public:
    /// `files` and `log` must outlive the io_context's run().
    server(boost::asio::io_context& ioc, config const& cfg, file_opener& files, access_log& log);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Adopts `inherited` listening sockets (systemd socket activation) or, when empty, opens
    /// --bind/--port. Throws std::system_error with a clear message on failure.
    void listen(std::vector<int> const& inherited);

    /// "[::]:10080" style, one per listener, comma separated.
    std::string describe_listeners() const;
    /// The port of the first listener (what --port 0 picked).
    std::uint16_t local_port() const;

    /// Starts accepting.
    void start();

    /// Graceful stop, callable from any thread: stop accepting, close idle connections, let
    /// responses in flight finish within --shutdown-timeout, then stop the io_context.
    void stop();

    struct state; ///< what connections share; defined in server.cpp

private:
    std::shared_ptr<state> state_;
};

} // namespace netlab::webd
