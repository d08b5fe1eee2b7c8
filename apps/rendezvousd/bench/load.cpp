// rendezvous-load: the load generator behind scripts/bench-rendezvous, and a trivial UDP echo
// server as the ceiling. Plain POSIX sockets, one thread, a window of requests in flight.
//
//   rendezvous-load echo-server PORT
//   rendezvous-load memory --clients N
//   rendezvous-load bench HOST:PORT --clients N --seconds S [--echo] [--no-join]
//
// `bench` registers N ids (all from one socket: the server keys clients by id), waits (at
// most 60 s) for the fan-out to settle, measures refreshes/s for S seconds, then the time for
// one more join to reach all N (not with --no-join: with a large registry the server's paced
// fan-out goes on for a long time). With --echo it only measures the echo rate
// (refresh-sized datagrams) against an echo server.
// Prints `key=value` lines.

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

namespace rv = netlab::rendezvous;
using steady = std::chrono::steady_clock;

int die(char const* what) {
    std::perror(what);
    return 1;
}

int open_socket() {
    int const fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int const big = 32 << 20;
    // SO_*BUFFORCE (root) beats net.core.[rw]mem_max; otherwise the plain options.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    return fd;
}

int echo_server(std::uint16_t port) {
    int const fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return die("bind");
    std::array<char, 2048> buf{};
    while (true) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        auto const n =
            ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n >= 0)
            ::sendto(fd, buf.data(), static_cast<std::size_t>(n), 0,
                     reinterpret_cast<sockaddr*>(&from), len);
    }
}

struct client {
    int fd;
    sockaddr_in server{};
    // recvmmsg batches: the generator must keep up with a server fanning out joins to it.
    static constexpr std::size_t batch = 64;
    std::array<std::array<std::uint8_t, 2048>, batch> bufs{};
    std::array<iovec, batch> iov{};
    std::array<mmsghdr, batch> msgs{};
    std::size_t have = 0;
    std::size_t next = 0;

    void send(rv::bytes const& b) const {
        while (::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr const*>(&server),
                        sizeof server) < 0) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 100);
        }
    }
    /// Next datagram, or an empty span after `timeout_ms` without one.
    std::span<std::uint8_t const> receive(int timeout_ms) {
        while (next == have) {
            for (std::size_t i = 0; i < batch; ++i) {
                iov[i] = {bufs[i].data(), bufs[i].size()};
                msgs[i] = {};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int const n = ::recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (n > 0) {
                have = static_cast<std::size_t>(n);
                next = 0;
                break;
            }
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, timeout_ms) <= 0)
                return {};
        }
        auto const i = next++;
        return {bufs[i].data(), msgs[i].msg_len};
    }
};

double seconds_since(steady::time_point t) {
    return std::chrono::duration<double>(steady::now() - t).count();
}

constexpr std::size_t window = 128;

std::string id_of(std::size_t i) {
    std::string id{"client-"};
    id.append(std::to_string(i)); // not "client-" + ...: g++ 12's false -Wrestrict
    return id;
}

// The ceiling: refresh-sized datagrams against an echo server, a window in flight.
int echo_rate(client& c, double seconds) {
    auto const probe = rv::encode(rv::register_request{id_of(0), 1, 1, {}}).value();
    std::size_t sent = 0, got = 0;
    auto const t0 = steady::now();
    while (seconds_since(t0) < seconds) {
        while (sent - got < window) {
            c.send(probe);
            ++sent;
        }
        if (c.receive(1000).empty())
            sent = got; // lost: refill the window
        else
            ++got;
    }
    std::printf("echo_per_s=%.0f\n", static_cast<double>(got) / seconds_since(t0));
    return 0;
}

// The cookie for this socket's address; 0 when no challenge came.
std::uint64_t fetch_cookie(client& c) {
    c.send(rv::encode(rv::register_request{id_of(0), 0, 0, {}}).value());
    while (true) {
        auto const d = c.receive(2000);
        if (d.empty())
            return 0;
        if (auto m = rv::decode(d); m && std::holds_alternative<rv::challenge>(*m))
            return std::get<rv::challenge>(*m).cookie;
    }
}

// Registrations, a window in flight. Each carries a nonce (idx + 1) in its secret field, as
// peerchat's do, so an ack is matched to its id by the reply mac, whatever order acks come in
// and however many are lost to a full socket buffer. A challenge means the cookie expired (a
// long storm): the new one is used for what is retransmitted after a second.
class registrar {
public:
    registrar(client& c, std::size_t clients, std::uint64_t cookie)
        : c_{c}
        , clients_{clients}
        , cookie_{cookie}
        , secrets_(clients, 0)
        , used_cookie_(clients, 0)
        , sent_at_(clients)
        , tries_(clients, 0) {}

    void run() {
        while (acked_ + failed_ < clients_) {
            while (next_ < clients_ && outstanding_.size() < window) {
                send(next_);
                outstanding_.push_back(next_++);
            }
            on_datagram(c_.receive(100));
            retransmit(steady::now());
        }
    }
    std::vector<std::uint64_t> const& secrets() const { return secrets_; } ///< 0: never acked
    std::uint64_t cookie() const { return cookie_; }
    std::size_t acked() const { return acked_; }
    std::uint64_t notices() const { return notices_; }

private:
    void send(std::size_t i) {
        c_.send(rv::encode(rv::register_request{id_of(i), cookie_, i + 1, {}}).value());
        used_cookie_[i] = cookie_;
        sent_at_[i] = steady::now();
        ++tries_[i];
    }
    void on_datagram(std::span<std::uint8_t const> d) {
        auto const type = d.empty() ? 0 : rv::peek_type(d);
        // Only challenges and acks are decoded: lists and notices must drain as fast as they
        // come.
        if (type == 2) {
            if (auto const m = rv::decode(d); m && std::holds_alternative<rv::challenge>(*m))
                cookie_ = std::get<rv::challenge>(*m).cookie;
        } else if (type == 3) {
            auto const m = rv::decode(d);
            if (!m || !std::holds_alternative<rv::register_ack>(*m))
                return;
            auto const it = std::find_if(outstanding_.begin(), outstanding_.end(), [&](auto i) {
                return rv::verify(d, rv::reply_mac_key(i + 1, used_cookie_[i]));
            });
            if (it == outstanding_.end())
                return; // a late duplicate
            secrets_[*it] = std::get<rv::register_ack>(*m).secret;
            ++acked_;
            outstanding_.erase(it);
        } else if (type != 0) {
            ++notices_;
        }
    }
    void retransmit(steady::time_point now) {
        for (std::size_t k = 0; k < outstanding_.size();) {
            auto const i = outstanding_[k];
            if (now - sent_at_[i] < std::chrono::seconds{1}) {
                ++k;
            } else if (tries_[i] < 5) {
                send(i);
                ++k;
            } else {
                ++failed_;
                outstanding_.erase(outstanding_.begin() + static_cast<std::ptrdiff_t>(k));
            }
        }
    }

    client& c_;
    std::size_t clients_;
    std::uint64_t cookie_;
    std::vector<std::uint64_t> secrets_;
    std::vector<std::uint64_t> used_cookie_;
    std::vector<steady::time_point> sent_at_;
    std::vector<std::uint8_t> tries_;
    std::vector<std::size_t> outstanding_;
    std::size_t next_ = 0, acked_ = 0, failed_ = 0;
    std::uint64_t notices_ = 0;
};

// Refreshes: the steady state of a busy server. (Registered with the cookie of the
// registration phase's end: valid for at least another minute.) The replies that are neither
// acks nor lists and notices: a secret did not match.
std::size_t refresh_rate(client& c, std::vector<rv::bytes> const& refresh, double seconds) {
    std::size_t sent = 0, got = 0, wrong = 0;
    auto const t1 = steady::now();
    while (seconds_since(t1) < seconds) {
        while (sent - got < window) {
            c.send(refresh[sent % refresh.size()]);
            ++sent;
        }
        auto const d = c.receive(1000);
        auto const type = rv::peek_type(d);
        if (d.empty())
            sent = got;
        else if (type == 3)
            ++got;
        else if (type < 5 || type > 7)
            ++wrong; // a secret did not match (a re-registration); lists and notices are fine
    }
    std::printf("refreshes_per_s=%.0f\nrefresh_other_replies=%zu\n",
                static_cast<double>(got) / seconds_since(t1), wrong);
    return wrong;
}

// One more join: how long until every registered client was told.
void join_fanout(client& c, std::size_t clients, std::uint64_t cookie) {
    std::size_t joined = 0;
    auto const t2 = steady::now();
    auto last_notice = t2;
    c.send(rv::encode(rv::register_request{"newcomer", cookie, 0, {}}).value());
    while (joined < clients) {
        auto const d = c.receive(2000);
        if (d.empty())
            break; // some notices were lost to a full socket buffer: counted as not arrived
        if (rv::peek_type(d) == 6) {
            ++joined;
            last_notice = steady::now();
        }
    }
    std::printf("join_fanout=%zu\njoin_fanout_ms=%.1f\n", joined,
                std::chrono::duration<double, std::milli>(last_notice - t2).count());
}

int bench(client& c, std::size_t clients, double seconds, bool echo, bool join) {
    if (echo)
        return echo_rate(c, seconds);
    auto const cookie = fetch_cookie(c);
    if (cookie == 0)
        return std::fprintf(stderr, "no challenge from the server\n"), 1;

    registrar r{c, clients, cookie};
    auto const t0 = steady::now();
    r.run();
    double const reg_time = seconds_since(t0);
    auto notices = r.notices();
    auto const settle = steady::now();
    while (seconds_since(settle) < (join ? 60 : 1) && !c.receive(1000).empty())
        ++notices; // the fan-out still in flight
    std::printf("settle_s=%.1f\n", seconds_since(settle));
    std::printf("registrations=%zu\nregistrations_acked=%zu\nregistrations_per_s=%.0f\n"
                "notices_received=%llu\n",
                clients, r.acked(), static_cast<double>(clients) / reg_time,
                static_cast<unsigned long long>(notices));

    std::vector<rv::bytes> refresh;
    for (std::size_t i = 0; i < clients; ++i)
        if (r.secrets()[i] != 0)
            refresh.push_back(
                rv::encode(rv::register_request{id_of(i), r.cookie(), r.secrets()[i], {}}).value());
    if (refresh.empty())
        return std::fprintf(stderr, "no registration was acknowledged\n"), 1;
    auto const wrong = refresh_rate(c, refresh, seconds);
    if (join) {
        while (!c.receive(500).empty()) {
        }
        join_fanout(c, clients, r.cookie());
    }
    return wrong == 0 && r.acked() > 0 ? 0 : 1;
}

long status_kib(char const* field) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr)
        return -1;
    std::array<char, 256> line{};
    long v = -1;
    while (std::fgets(line.data(), line.size(), f) != nullptr)
        if (std::strncmp(line.data(), field, std::strlen(field)) == 0)
            v = std::atol(line.data() + std::strlen(field) + 1);
    std::fclose(f);
    return v;
}

// The registry's own memory, without the daemon around it: the same server_core in-process,
// every registration at the same instant (so the notice budget lets one second's burst out,
// then nothing). Each client registers from its own address with two private endpoints, like
// a real one.
int memory(std::size_t clients) {
    namespace rd = netlab::rendezvousd;
    rd::server_options o; // the default per-address rate limit: its buckets count too
    o.expiry = std::chrono::hours{1};
    rd::server_core server{o, {7, 8}};
    rd::actions out;
    auto const now = rd::time_point{std::chrono::hours{1}};
    long const before = status_kib("VmRSS:");
    for (std::size_t i = 0; i < clients; ++i) {
        auto const from =
            rv::endpoint::v4({100, static_cast<std::uint8_t>(64 + (i >> 16)),
                              static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)},
                             static_cast<std::uint16_t>(1024 + i % 60000));
        auto const m = rv::encode(rv::register_request{"client-" + std::to_string(i),
                                                       server.cookie_for(from, now),
                                                       0,
                                                       {rv::endpoint::v4({192, 168, 1, 2}, 10081),
                                                        rv::endpoint::v4({10, 8, 0, 2}, 10081)}})
                           .value();
        out.clear();
        server.on_datagram(from, m, now, out);
    }
    long const after = status_kib("VmRSS:");
    std::printf("clients=%zu\nregistered=%zu\nregistry_kib=%ld\nbytes_per_client=%.0f\n"
                "peak_rss_kib=%ld\n",
                clients, server.client_count(), after - before,
                static_cast<double>(after - before) * 1024 / static_cast<double>(clients),
                status_kib("VmHWM:"));
    return server.client_count() == clients ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto const usage = [] {
        std::fputs("Usage: rendezvous-load echo-server PORT\n"
                   "       rendezvous-load memory --clients N\n"
                   "       rendezvous-load bench HOST:PORT [--clients N] [--seconds S] [--echo]"
                   " [--no-join]\n",
                   stderr);
        return 2;
    };
    if (args.size() == 3 && args[0] == "memory" && args[1] == "--clients")
        return memory(std::stoul(std::string{args[2]}));
    if (args.size() == 2 && args[0] == "echo-server")
        return echo_server(static_cast<std::uint16_t>(std::stoi(std::string{args[1]})));
    if (args.size() < 2 || args[0] != "bench")
        return usage();
    std::size_t clients = 1000;
    double seconds = 5;
    bool echo = false;
    bool join = true;
    for (std::size_t i = 2; i < args.size(); ++i) {
        if (args[i] == "--clients" && i + 1 < args.size())
            clients = std::stoul(std::string{args[++i]});
        else if (args[i] == "--seconds" && i + 1 < args.size())
            seconds = std::stod(std::string{args[++i]});
        else if (args[i] == "--echo")
            echo = true;
        else if (args[i] == "--no-join")
            join = false;
        else
            return usage();
    }
    auto const target = std::string{args[1]};
    auto const colon = target.rfind(':');
    if (colon == std::string::npos)
        return usage();
    client c{open_socket()};
    c.server.sin_family = AF_INET;
    c.server.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
    if (::inet_pton(AF_INET, target.substr(0, colon).c_str(), &c.server.sin_addr) != 1)
        return usage();
    return bench(c, clients, seconds, echo, join);
}
