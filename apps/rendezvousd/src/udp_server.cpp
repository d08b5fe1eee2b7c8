#include <netlab/asio/udp.hpp>
#include <netlab/asio/udp_endpoint.hpp>
#include <netlab/rendezvousd/udp_server.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>

namespace netlab::rendezvousd {

namespace net = boost::asio;
using net::ip::udp;

namespace {

constexpr std::size_t max_batch = 256; // datagrams per readiness wake-up
// Datagrams queued for a full socket buffer: replies, and at most one slice of notices, as the
// core holds notices while anything waits here (a whole list of 100,000 clients is ~3,500).
constexpr std::size_t max_backlog = 1 << 16;

udp::socket open_socket(net::any_io_executor const& ex, std::string_view address,
                        std::uint16_t port) {
    udp::socket s{ex};
    netlab::asio::bind_udp(s, address, port);
    s.non_blocking(true);
    boost::system::error_code ec;
    // Room for a join fan-out or a burst of registrations between two wake-ups.
    s.set_option(net::socket_base::receive_buffer_size{4 << 20}, ec);
    s.set_option(net::socket_base::send_buffer_size{4 << 20}, ec);
    // Without it a multi-homed host may answer from another address than the client used.
    if (auto const pec =
            rendezvous::enable_pktinfo(s.native_handle(), s.local_endpoint().protocol()))
        throw boost::system::system_error{pec, "IP_PKTINFO"};
    return s;
}

} // namespace

udp_server::udp_server(net::any_io_executor ex, daemon_options const& options, siphash_key key,
                       line_sink print)
    : strand_{net::make_strand(ex)}
    , socket_{open_socket(strand_, options.bind, options.port)}
    , protocol_{socket_.local_endpoint().protocol()}
    , expiry_timer_{strand_}
    , stats_timer_{strand_}
    , stats_interval_{options.stats_interval}
    , core_{options.server, key}
    , print_{std::move(print)}
    , rx_{std::make_unique<rx_batch>()}
    , tx_{std::make_unique<tx_batch>()} {}

std::uint16_t udp_server::local_port() const {
    return socket_.local_endpoint().port();
}

void udp_server::start() {
    net::dispatch(strand_, [this] {
        wait_readable();
        arm_stats();
    });
}

void udp_server::stop() {
    net::dispatch(strand_, [this] {
        stopped_ = true;
        boost::system::error_code ec;
        socket_.close(ec);
        expiry_timer_.cancel();
        stats_timer_.cancel();
        backlog_.clear();
    });
}

void udp_server::report_stats() {
    net::dispatch(strand_, [this] { print_(core_.stats_line()); });
}

void udp_server::wait_readable() {
    socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
        if (ec || stopped_)
            return;
        drain(clock::now());
        wait_readable();
    });
}

void udp_server::drain(time_point now) {
    // recvmmsg/sendmmsg: one system call per batch instead of one per datagram, the largest
    // cost of a small request/response server.
    int const fd = socket_.native_handle();
    actions_.clear();
    // The fan-out goes once per batch, after the requests: notices never starve replies.
    core_.hold_notices(true);
    for (std::size_t round = 0; round < max_batch / batch; ++round) {
        for (std::size_t i = 0; i < batch; ++i) {
            rx_->iov[i] = {rx_->buffers[i].data(), rx_->buffers[i].size()};
            rx_->msgs[i] = {};
            rx_->msgs[i].msg_hdr.msg_name = &rx_->names[i];
            rx_->msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            rx_->msgs[i].msg_hdr.msg_iov = &rx_->iov[i];
            rx_->msgs[i].msg_hdr.msg_iovlen = 1;
            rx_->msgs[i].msg_hdr.msg_control = rx_->control[i].data();
            rx_->msgs[i].msg_hdr.msg_controllen = rx_->control[i].size();
        }
        int const n = ::recvmmsg(fd, rx_->msgs.data(), batch, MSG_DONTWAIT, nullptr);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            continue; // e.g. ICMP port unreachable reported on a UDP socket: not fatal
        }
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            udp::endpoint from;
            auto const len = rx_->msgs[i].msg_hdr.msg_namelen;
            if (len > from.capacity())
                continue;
            std::memcpy(from.data(), &rx_->names[i], len);
            from.resize(len);
            // A datagram larger than the buffer arrives truncated to 2048 bytes (> 1200): it
            // is still rejected as too large.
            core_.on_datagram(rendezvous::to_wire(from),
                              std::span{rx_->buffers[i].data(), rx_->msgs[i].msg_len}, now,
                              actions_, intern(rx_->msgs[i].msg_hdr));
            // A join fans out to every client: send before the batch grows large.
            if (actions_.sends.size() >= 16 * batch) {
                apply();
                actions_.clear();
            }
        }
        if (static_cast<std::size_t>(n) < batch)
            break;
    }
    apply();
    actions_.clear();
    core_.hold_notices(!backlog_.empty()); // the socket buffer is full: they wait for room
    core_.pump(now, actions_);
    apply();
    arm_expiry();
}

void udp_server::apply() {
    for (auto const& line : actions_.lines)
        print_(line);
    auto& sends = actions_.sends;
    std::size_t next = 0;
    int const fd = socket_.native_handle();
    while (next < sends.size() && backlog_.empty()) {
        std::size_t const count = std::min(batch, sends.size() - next);
        for (std::size_t i = 0; i < count; ++i) {
            auto& o = sends[next + i];
            tx_->names[i] = rendezvous::to_asio(o.to, protocol_);
            tx_->iov[i] = {o.data.data(), o.data.size()};
            tx_->msgs[i] = {};
            tx_->msgs[i].msg_hdr.msg_name = tx_->names[i].data();
            tx_->msgs[i].msg_hdr.msg_namelen = static_cast<socklen_t>(tx_->names[i].size());
            tx_->msgs[i].msg_hdr.msg_iov = &tx_->iov[i];
            tx_->msgs[i].msg_hdr.msg_iovlen = 1;
            set_source(tx_->msgs[i].msg_hdr, tx_->control[i], o.from);
        }
        int const sent = ::sendmmsg(fd, tx_->msgs.data(), static_cast<unsigned>(count), 0);
        if (sent > 0) {
            next += static_cast<std::size_t>(sent);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break; // the socket buffer is full: the rest waits in the backlog
        } else {
            ++next; // this datagram cannot be sent (unreachable, ...): UDP is best effort
        }
    }
    for (; next < sends.size() && backlog_.size() < max_backlog; ++next)
        backlog_.push_back(std::move(sends[next]));
    if (!backlog_.empty()) {
        core_.hold_notices(true);
        flush_sends();
    }
}

void udp_server::flush_sends() {
    if (writing_)
        return;
    writing_ = true;
    socket_.async_wait(udp::socket::wait_write, [this](boost::system::error_code ec) {
        writing_ = false;
        if (ec || stopped_)
            return;
        int const fd = socket_.native_handle();
        while (!backlog_.empty()) {
            auto& o = backlog_.front();
            auto name = rendezvous::to_asio(o.to, protocol_);
            iovec iov{o.data.data(), o.data.size()};
            msghdr m{};
            m.msg_name = name.data();
            m.msg_namelen = static_cast<socklen_t>(name.size());
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            set_source(m, tx_->control[0], o.from);
            if (::sendmsg(fd, &m, 0) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            backlog_.pop_front(); // sent, or cannot be (unreachable, ...): best effort
        }
        if (!backlog_.empty()) {
            flush_sends();
            return;
        }
        core_.hold_notices(false); // room again: the fan-out goes on
        arm_expiry();
    });
}

local_tag udp_server::intern(msghdr const& m) {
    auto const local = rendezvous::destination_of(m);
    if (!local)
        return 0;
    if (last_local_ != 0 && locals_[last_local_ - 1] == *local)
        return last_local_;
    auto const it = std::find(locals_.begin(), locals_.end(), *local);
    if (it != locals_.end()) {
        last_local_ = static_cast<local_tag>(it - locals_.begin() + 1);
    } else if (locals_.size() < max_locals) {
        locals_.push_back(*local);
        last_local_ = static_cast<local_tag>(locals_.size());
    } else {
        return 0;
    }
    return last_local_;
}

void udp_server::set_source(msghdr& m, std::span<std::byte, rendezvous::pktinfo_space> buffer,
                            local_tag tag) const {
    if (tag == 0 || tag > locals_.size()) {
        m.msg_control = nullptr;
        m.msg_controllen = 0;
        return;
    }
    rendezvous::set_source(m, buffer, protocol_, locals_[tag - 1]);
}

void udp_server::arm_expiry() {
    auto const deadline = core_.next_deadline();
    // Deadlines only move later as clients refresh: re-arm only for an earlier one, and let a
    // timer that fires early find nothing to do.
    if (!deadline || (armed_at_ && *armed_at_ <= *deadline))
        return;
    armed_at_ = deadline;
    expiry_timer_.expires_at(*deadline);
    expiry_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_)
            return;
        armed_at_.reset();
        actions_.clear();
        core_.hold_notices(!backlog_.empty());
        core_.on_timer(clock::now(), actions_);
        apply();
        arm_expiry();
    });
}

void udp_server::arm_stats() {
    if (stats_interval_.count() == 0)
        return;
    stats_timer_.expires_after(stats_interval_);
    stats_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_)
            return;
        print_(core_.stats_line());
        arm_stats();
    });
}

} // namespace netlab::rendezvousd
