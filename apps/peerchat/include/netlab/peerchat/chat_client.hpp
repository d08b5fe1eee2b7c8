#pragma once

// peerchat's I/O around client_core: the UDP socket, standard input, one timer and the
// signals, all on one strand. Standard input is read with readiness waits and plain read(2),
// so O_NONBLOCK is never set on a terminal shared with the shell; pipes, FIFOs and regular
// files work too.

#include <netlab/peerchat/client_core.hpp>
#include <netlab/peerchat/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace netlab::peerchat {

class chat_client {
public:
    using line_sink = std::function<void(std::string_view)>;

    /// Binds the socket (dual-stack where the host has IPv6) and resolves the server at once
    /// (throws on failure).
    chat_client(boost::asio::any_io_executor ex, program_options const& options, int input_fd,
                line_sink print, line_sink print_error);

    void start();
    /// The process exit status once the io_context ran out of work.
    int exit_status() const noexcept { return exit_status_; }

private:
    void read_input();
    void on_input(std::size_t n);
    void on_line(std::string_view line);
    void on_end_of_input();
    void receive();
    void apply(actions& out);
    void finish(int status);

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    program_options options_;
    boost::asio::ip::udp::socket socket_;
    std::vector<rendezvous::endpoint> servers_; ///< the server's usable addresses, in order
    bool ipv6_ = false;                         ///< the socket is dual-stack
    boost::asio::posix::stream_descriptor input_;
    bool input_pollable_ = true;
    int input_fd_ = 0;
    boost::asio::steady_timer timer_;
    boost::asio::signal_set signals_;
    std::optional<client_core> core_;
    std::string pending_input_;
    std::array<char, 4096> input_buffer_{};
    std::array<std::uint8_t, 2048> datagram_{};
    boost::asio::ip::udp::endpoint from_;
    bool finished_ = false;
    bool input_closed_ = false;
    int exit_status_ = 0;
    int signals_seen_ = 0;
    line_sink print_;
    line_sink print_error_;
};

} // namespace netlab::peerchat
