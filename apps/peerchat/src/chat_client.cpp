#include <netlab/asio/udp.hpp>
#include <netlab/asio/udp_endpoint.hpp>
#include <netlab/peerchat/chat_client.hpp>
#include <netlab/peerchat/endpoints.hpp>
#include <netlab/peerchat/local_addresses.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>

#include <random>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

namespace netlab::peerchat {

namespace net = boost::asio;
using net::ip::udp;
namespace rv = netlab::rendezvous;

namespace {

std::uint64_t random64(std::random_device& rd) {
    return (std::uint64_t{rd()} << 32U) | rd();
}

} // namespace

chat_client::chat_client(net::any_io_executor ex, program_options const& options, int input_fd,
                         line_sink print, line_sink print_error)
    : strand_{net::make_strand(ex)}
    , options_{options}
    , socket_{strand_}
    , input_{strand_}
    , timer_{strand_}
    , signals_{strand_, SIGINT, SIGTERM}
    , print_{std::move(print)}
    , print_error_{std::move(print_error)} {
    netlab::asio::bind_udp(socket_, {}, options_.port);
    ipv6_ = socket_.local_endpoint().protocol() == udp::v6();
    // Every address of the name, in getaddrinfo's order (RFC 6724: the preferred family
    // first); the core tries them in turn until one answers.
    udp::resolver resolver{strand_};
    boost::system::error_code ec;
    auto const results =
        resolver.resolve(options_.server_host, std::to_string(options_.server_port), ec);
    if (ec)
        throw std::runtime_error{"cannot resolve " + options_.server_host + ": " + ec.message()};
    std::vector<rv::endpoint> resolved;
    for (auto const& r : results)
        resolved.push_back(rv::to_wire(r.endpoint()));
    servers_ = usable_servers(resolved, ipv6_);
    if (servers_.empty())
        throw std::runtime_error{options_.server_host +
                                 " has only IPv6 addresses and this host has no IPv6"};
    // A descriptor of our own (closing it leaves fd 0 alone). Regular files and devices such
    // as /dev/null cannot be polled (epoll says EPERM, which Asio hides): they never block, so
    // they are read without waiting.
    struct stat st {};
    bool const pollable = ::fstat(input_fd, &st) == 0 &&
                          (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || ::isatty(input_fd) == 1);
    if (pollable) {
        input_.assign(::dup(input_fd));
    } else {
        input_pollable_ = false;
    }
    input_fd_ = input_fd;
}

void chat_client::start() {
    net::dispatch(strand_, [this] {
        signals_.async_wait([this](boost::system::error_code ec, int) {
            if (ec)
                return;
            // First signal: leave politely (deregister). Second: leave now.
            if (++signals_seen_ > 1 || !core_)
                return finish(core_ ? 1 : 0);
            actions out;
            core_->shutdown(clock::now(), out);
            apply(out);
            signals_.async_wait([this](boost::system::error_code ec2, int) {
                if (!ec2)
                    finish(1);
            });
        });
        if (options_.id)
            on_line(*options_.id); // as if it were the first input line
        read_input();
    });
}

void chat_client::read_input() {
    if (input_closed_ || finished_)
        return;
    auto const read_now = [this] {
        if (finished_)
            return;
        int const fd = input_pollable_ ? input_.native_handle() : input_fd_;
        auto const n = ::read(fd, input_buffer_.data(), input_buffer_.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return read_input();
        on_input(n > 0 ? static_cast<std::size_t>(n) : 0);
    };
    if (input_pollable_)
        input_.async_wait(net::posix::stream_descriptor::wait_read,
                          [read_now](boost::system::error_code ec) {
                              if (!ec)
                                  read_now();
                          });
    else
        net::post(strand_, read_now);
}

void chat_client::on_input(std::size_t n) {
    if (n == 0)
        return on_end_of_input();
    pending_input_.append(input_buffer_.data(), n);
    std::size_t start = 0;
    for (auto nl = pending_input_.find('\n', start); nl != std::string::npos;
         nl = pending_input_.find('\n', start)) {
        on_line(std::string_view{pending_input_}.substr(start, nl - start));
        start = nl + 1;
        if (finished_)
            return;
    }
    pending_input_.erase(0, start);
    read_input();
}

void chat_client::on_end_of_input() {
    input_closed_ = true;
    if (!pending_input_.empty()) {
        auto const last = std::move(pending_input_);
        pending_input_.clear();
        on_line(last);
    }
    if (finished_)
        return;
    if (!core_) {
        print_error_("peerchat: no id given (--id ID, or the first input line)");
        return finish(2);
    }
    actions out;
    core_->shutdown(clock::now(), out);
    apply(out);
}

void chat_client::on_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (core_) {
        actions out;
        core_->on_line(line, clock::now(), out);
        return apply(out);
    }
    // The seed's way: the first line is the id.
    std::string const id{line};
    if (!rv::valid_id(id)) {
        print_error_("peerchat: invalid id '" + id + "': 1-32 printable characters, no spaces");
        return finish(2);
    }
    client_options co;
    co.id = id;
    co.server = servers_.front();
    co.fallback_servers.assign(servers_.begin() + 1, servers_.end());
    co.ipv6 = ipv6_;
    // Peers on this very host (the server is on loopback) can use loopback addresses.
    co.private_endpoints =
        local_addresses(socket_.local_endpoint().port(), ipv6_, is_loopback(servers_.front()));
    co.refresh = options_.refresh;
    std::random_device rd;
    co.seed = random64(rd);
    co.nonce = random64(rd); // apart from the seed, which message ids give away
    core_.emplace(co);
    actions out;
    core_->start(clock::now(), out);
    apply(out);
    receive();
}

void chat_client::receive() {
    socket_.async_receive_from(
        net::buffer(datagram_), from_, [this](boost::system::error_code ec, std::size_t n) {
            if (finished_)
                return;
            if (!ec) {
                actions out;
                core_->on_datagram(rv::to_wire(from_), std::span{datagram_.data(), n}, clock::now(),
                                   out);
                apply(out);
            }
            // Errors such as ICMP port unreachable concern one peer, not the socket.
            if (!finished_ && ec != net::error::operation_aborted)
                receive();
        });
}

void chat_client::apply(actions& out) {
    for (auto const& line : out.lines)
        print_(line);
    for (auto const& line : out.errors)
        print_error_(line);
    auto const protocol = socket_.is_open() ? socket_.local_endpoint().protocol() : udp::v4();
    for (auto const& o : out.sends) {
        boost::system::error_code ec;
        socket_.send_to(net::buffer(o.data), rv::to_asio(o.to, protocol), 0, ec);
    }
    if (core_->done())
        return finish(core_->exit_status());
    if (auto const deadline = core_->next_deadline()) {
        timer_.expires_at(*deadline);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || finished_)
                return;
            actions tick;
            core_->on_timer(clock::now(), tick);
            apply(tick);
        });
    }
}

void chat_client::finish(int status) {
    if (finished_)
        return;
    finished_ = true;
    exit_status_ = status;
    boost::system::error_code ec;
    socket_.close(ec);
    timer_.cancel();
    signals_.cancel();
    if (input_pollable_)
        input_.close(ec);
}

} // namespace netlab::peerchat
