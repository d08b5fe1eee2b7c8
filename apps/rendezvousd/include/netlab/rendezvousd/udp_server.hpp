#pragma once

// rendezvousd's I/O: one UDP socket, one expiry timer and one stats timer around a server_core,
// all on one strand. Receives in batches (readiness + non-blocking reads) and sends without
// waiting unless the socket buffer is full.

#include <netlab/asio/udp_endpoint.hpp>
#include <netlab/rendezvousd/options.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <sys/socket.h>
#include <sys/uio.h>

namespace netlab::rendezvousd {

class udp_server {
public:
    using line_sink = std::function<void(std::string_view)>;

    /// Binds at once (throws boost::system::system_error when the port is taken).
    /// `print` gets the seed's lines and the stats lines.
    udp_server(boost::asio::any_io_executor ex, daemon_options const& options, siphash_key key,
               line_sink print);

    void start();
    /// Closes the socket and cancels the timers; the io_context then runs out of work.
    void stop();
    /// Prints the stats line (SIGUSR1).
    void report_stats();

    std::uint16_t local_port() const;

private:
    void wait_readable();
    void drain(time_point now);
    void apply();
    void flush_sends();
    void arm_expiry();
    void arm_stats();
    /// The tag of the address a datagram arrived on (0: unknown, or the table is full).
    local_tag intern(msghdr const& m);
    /// Points `m` at `buffer` holding the source address for `tag`, if it has one.
    void set_source(msghdr& m, std::span<std::byte, rendezvous::pktinfo_space> buffer,
                    local_tag tag) const;

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp protocol_; ///< cached: no getsockname(2) per datagram sent
    boost::asio::steady_timer expiry_timer_;
    boost::asio::steady_timer stats_timer_;
    std::optional<time_point> armed_at_;
    std::chrono::seconds stats_interval_;
    server_core core_;
    actions actions_;
    std::deque<outgoing> backlog_; ///< waiting for socket buffer space
    bool writing_ = false;
    bool stopped_ = false;
    line_sink print_;
    /// The host's addresses datagrams arrived on; a tag is an index + 1. A host has few, and
    /// their number bounds the table: beyond max_locals, replies leave from the kernel's choice.
    std::vector<rendezvous::local_address> locals_;
    local_tag last_local_ = 0; ///< the previous datagram's: usually the same
    static constexpr std::size_t max_locals = 64;

    static constexpr std::size_t batch = 64;
    // recvmmsg/sendmmsg scratch space, allocated once (about 160 KiB).
    using control_buffer = std::array<std::byte, rendezvous::pktinfo_space>;
    struct rx_batch {
        std::array<std::array<std::uint8_t, 2048>, batch> buffers; ///< > max_datagram
        std::array<sockaddr_storage, batch> names;
        alignas(cmsghdr) std::array<control_buffer, batch> control;
        std::array<iovec, batch> iov;
        std::array<mmsghdr, batch> msgs;
    };
    struct tx_batch {
        std::array<boost::asio::ip::udp::endpoint, batch> names;
        alignas(cmsghdr) std::array<control_buffer, batch> control;
        std::array<iovec, batch> iov;
        std::array<mmsghdr, batch> msgs;
    };
    std::unique_ptr<rx_batch> rx_;
    std::unique_ptr<tx_batch> tx_;
};

} // namespace netlab::rendezvousd
