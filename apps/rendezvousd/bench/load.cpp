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
#include <netlab/common/siphash.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
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

int bench(client& c, std::size_t clients, double seconds, bool echo, bool join) {
    constexpr std::size_t window = 128;
    auto const id_of = [](std::size_t i) { return "client-" + std::to_string(i); };

    if (echo) {
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

    // The cookie for this socket's address.
    c.send(rv::encode(rv::register_request{id_of(0), 0, 0, {}}).value());
    std::uint64_t cookie = 0;
    while (cookie == 0) {
        auto const d = c.receive(2000);
        if (d.empty())
            return std::fprintf(stderr, "no challenge from the server\n"), 1;
        if (auto m = rv::decode(d); m && std::holds_alternative<rv::challenge>(*m))
            cookie = std::get<rv::challenge>(*m).cookie;
    }

    // Registrations, a window in flight. Each carries a nonce (idx + 1) in its secret field,
    // as peerchat's do, so an ack is matched to its id by the reply mac, whatever order acks
    // come in and however many are lost to a full socket buffer. A challenge means the cookie
    // expired (a long storm): the new one is used for what is retransmitted after a second.
    std::vector<std::uint64_t> secrets(clients, 0);
    std::vector<std::uint64_t> used_cookie(clients, 0);
    std::vector<steady::time_point> sent_at(clients);
    std::vector<std::uint8_t> tries(clients, 0);
    std::vector<std::size_t> outstanding;
    std::size_t next = 0, acked = 0, failed = 0;
    std::uint64_t notices = 0;
    auto const send_register = [&](std::size_t i) {
        c.send(rv::encode(rv::register_request{id_of(i), cookie, i + 1, {}}).value());
        used_cookie[i] = cookie;
        sent_at[i] = steady::now();
        ++tries[i];
    };
    auto const t0 = steady::now();
    while (acked + failed < clients) {
        while (next < clients && outstanding.size() < window) {
            send_register(next);
            outstanding.push_back(next++);
        }
        auto const d = c.receive(100);
        auto const type = d.empty() ? 0 : rv::peek_type(d);
        // Only challenges and acks are decoded: lists and notices must drain as fast as they come.
        if (type == 2) {
            if (auto const m = rv::decode(d); m && std::holds_alternative<rv::challenge>(*m))
                cookie = std::get<rv::challenge>(*m).cookie;
        } else if (type == 3) {
            auto const m = rv::decode(d);
            if (!m || !std::holds_alternative<rv::register_ack>(*m))
                continue;
            auto const& ack = std::get<rv::register_ack>(*m);
            auto const input = rv::mac_input(*m).value();
            auto const it = std::find_if(outstanding.begin(), outstanding.end(), [&](auto i) {
                return netlab::siphash24(rv::reply_mac_key(i + 1, used_cookie[i]), input) ==
                       ack.mac;
            });
            if (it == outstanding.end())
                continue; // a late duplicate
            secrets[*it] = ack.secret;
            ++acked;
            outstanding.erase(it);
        } else if (type != 0) {
            ++notices;
        }
        auto const now = steady::now();
        for (std::size_t k = 0; k < outstanding.size();) {
            auto const i = outstanding[k];
            if (now - sent_at[i] < std::chrono::seconds{1}) {
                ++k;
            } else if (tries[i] < 5) {
                send_register(i);
                ++k;
            } else {
                ++failed;
                outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(k));
            }
        }
    }
    double const reg_time = seconds_since(t0);
    auto const settle = steady::now();
    while (seconds_since(settle) < (join ? 60 : 1) && !c.receive(1000).empty())
        ++notices; // the fan-out still in flight
    std::printf("settle_s=%.1f\n", seconds_since(settle));
    std::printf("registrations=%zu\nregistrations_acked=%zu\nregistrations_per_s=%.0f\n"
                "notices_received=%llu\n",
                clients, acked, static_cast<double>(clients) / reg_time,
                static_cast<unsigned long long>(notices));

    // Refreshes: the steady state of a busy server. (Registered with the cookie of the
    // registration phase's end: valid for at least another minute.)
    std::vector<rv::bytes> refresh;
    for (std::size_t i = 0; i < clients; ++i)
        if (secrets[i] != 0)
            refresh.push_back(
                rv::encode(rv::register_request{id_of(i), cookie, secrets[i], {}}).value());
    if (refresh.empty())
        return std::fprintf(stderr, "no registration was acknowledged\n"), 1;
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
    if (!join)
        return wrong == 0 && acked > 0 ? 0 : 1;
    while (!c.receive(500).empty()) {
    }

    // One more join: how long until every registered client was told.
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
    return wrong == 0 && acked > 0 ? 0 : 1;
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
