// rendezvous-timers: how rendezvousd should time out its clients (issue 5: "one steady_timer
// per client, or one timer wheel: measure"). On one io_context, for N clients:
//
//   (a) one boost::asio::steady_timer per client, re-armed on every refresh (expires_after,
//       which cancels the pending wait, then async_wait);
//   (b) what rendezvousd does: the clients in an intrusive list ordered by last refresh (a
//       refresh moves one to the tail in O(1)) and ONE steady_timer for the oldest deadline.
//       The list logic is reproduced here (server_core's link_newest/unlink, minus the
//       registry), so both sides time the same thing: the timing mechanism alone.
//
// Each measurement runs in a child process of its own (fork), so one's freed memory cannot
// flatter the next one's RSS. Prints a table, then `key=value` lines for scripts.
//
//   rendezvous-timers [--clients N]... [--refreshes R]

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace net = boost::asio;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct result {
    double heap_bytes_per_client = 0; ///< mallinfo2: bytes in use, after / before
    double rss_bytes_per_client = 0;  ///< /proc/self/statm resident pages, after / before
    double ns_per_refresh = 0;
    double expire_all_ms = 0; ///< from the deadline passing to every client expired
    std::size_t expired = 0;
};

std::size_t heap_in_use() {
    struct mallinfo2 const m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
}

std::size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    unsigned long size = 0;
    unsigned long resident = 0;
    if (f != nullptr) {
        if (std::fscanf(f, "%lu %lu", &size, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double per(std::size_t bytes_after, std::size_t bytes_before, std::size_t n) {
    return (static_cast<double>(bytes_after) - static_cast<double>(bytes_before)) /
           static_cast<double>(n);
}

// Refreshes in round-robin order, as clients that all refresh every 10 s arrive.
constexpr auto expiry = 30s;
// Long enough to re-arm every client's deadline before it passes.
constexpr auto expire_margin = 2s;

// Waits for `deadline` to pass, then times the handlers until all `n` clients expired: the
// same measurement for both sides.
void time_expiry(net::io_context& ioc, steady::time_point deadline, std::size_t const& expired,
                 std::size_t n, result& r) {
    std::this_thread::sleep_until(deadline + 10ms);
    auto const t1 = steady::now();
    ioc.restart();
    while (expired < n && ioc.run_one() > 0) {
    }
    r.expire_all_ms = std::chrono::duration<double, std::milli>{steady::now() - t1}.count();
    r.expired = expired;
}

result per_client_timers(std::size_t n, std::size_t refreshes) {
    result r;
    net::io_context ioc{1};
    struct client {
        explicit client(net::io_context& ioc)
            : timer{ioc} {}
        net::steady_timer timer;
        bool expired = false;
    };
    std::size_t expired = 0;
    auto arm = [&](client& c) {
        c.timer.async_wait([&c, &expired](boost::system::error_code ec) {
            if (ec)
                return; // re-armed: a refresh came first
            c.expired = true;
            ++expired;
        });
    };
    auto const heap0 = heap_in_use();
    auto const rss0 = resident_bytes();
    std::vector<std::unique_ptr<client>> clients;
    clients.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<client>(ioc));
        clients.back()->timer.expires_after(expiry);
        arm(*clients.back());
    }
    r.heap_bytes_per_client = per(heap_in_use(), heap0, n);
    r.rss_bytes_per_client = per(resident_bytes(), rss0, n);

    auto const t0 = steady::now();
    for (std::size_t i = 0; i < refreshes; ++i) {
        auto& c = *clients[i % n];
        c.timer.expires_after(expiry); // cancels the pending wait: its handler is queued
        arm(c);
        if (i % 1024 == 1023)
            ioc.poll(); // run the cancelled handlers, as the daemon's loop would
    }
    ioc.poll();
    r.ns_per_refresh = static_cast<double>(std::chrono::nanoseconds{steady::now() - t0}.count()) /
                       static_cast<double>(refreshes);

    // Expire everyone: one deadline far enough ahead for the re-arming to finish first; wait
    // for it to pass, then time the handlers.
    auto const deadline = steady::now() + expire_margin;
    for (auto& c : clients) {
        c->timer.expires_at(deadline);
        arm(*c);
    }
    ioc.poll();
    if (expired != 0)
        return r; // the margin was too short: reported as a failure
    time_expiry(ioc, deadline, expired, n, r);
    return r;
}

// (b): server_core's expiry order (link_newest/unlink) and udp_server::arm_expiry's one timer,
// without the registry around them.
class expiry_list {
public:
    struct client {
        steady::time_point last_seen{};
        client* older = nullptr;
        client* newer = nullptr;
        bool expired = false;
    };

    expiry_list(net::io_context& ioc, steady::duration after)
        : timer_{ioc}
        , expiry_{after} {}

    void add(client& c, steady::time_point now) {
        c.last_seen = now;
        link_newest(c);
        arm();
    }
    /// Moves `c` to the newest end; re-arms unless told not to (a batch re-arms once).
    void refresh(client& c, steady::time_point now, bool rearm = true) {
        c.last_seen = now;
        unlink(c);
        link_newest(c);
        if (rearm)
            arm();
    }
    /// A new expiry, and the timer armed afresh for it (after a poll of the cancelled wait).
    void set_expiry(steady::duration after, net::io_context& ioc) {
        expiry_ = after;
        timer_.cancel();
        armed_at_.reset();
        ioc.poll();
        arm();
    }
    std::size_t const& expired() const noexcept { return expired_; }

private:
    void unlink(client& c) {
        (c.older != nullptr ? c.older->newer : oldest_) = c.newer;
        (c.newer != nullptr ? c.newer->older : newest_) = c.older;
        c.older = c.newer = nullptr;
    }
    void link_newest(client& c) {
        c.older = newest_;
        c.newer = nullptr;
        (newest_ != nullptr ? newest_->newer : oldest_) = &c;
        newest_ = &c;
    }
    // udp_server::arm_expiry: re-arm only for an earlier deadline (refreshes move them later).
    void arm() {
        if (oldest_ == nullptr)
            return;
        auto const due = oldest_->last_seen + expiry_;
        if (armed_at_ && *armed_at_ <= due)
            return;
        armed_at_ = due;
        timer_.expires_at(due);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return;
            armed_at_.reset();
            auto const now = steady::now();
            while (oldest_ != nullptr && oldest_->last_seen + expiry_ <= now) {
                client& c = *oldest_;
                unlink(c);
                c.expired = true;
                ++expired_;
            }
            arm();
        });
    }

    net::steady_timer timer_;
    steady::duration expiry_;
    std::optional<steady::time_point> armed_at_;
    client* oldest_ = nullptr;
    client* newest_ = nullptr;
    std::size_t expired_ = 0;
};

result ordered_list(std::size_t n, std::size_t refreshes) {
    result r;
    net::io_context ioc{1};
    expiry_list list{ioc, expiry};
    auto const heap0 = heap_in_use();
    auto const rss0 = resident_bytes();
    std::vector<std::unique_ptr<expiry_list::client>> clients;
    clients.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<expiry_list::client>());
        list.add(*clients.back(), steady::now());
    }
    r.heap_bytes_per_client = per(heap_in_use(), heap0, n);
    r.rss_bytes_per_client = per(resident_bytes(), rss0, n);

    auto const t0 = steady::now();
    for (std::size_t i = 0; i < refreshes; ++i) {
        list.refresh(*clients[i % n], steady::now());
        if (i % 1024 == 1023)
            ioc.poll();
    }
    ioc.poll();
    r.ns_per_refresh = static_cast<double>(std::chrono::nanoseconds{steady::now() - t0}.count()) /
                       static_cast<double>(refreshes);

    // Expire everyone: all refreshed at one instant, due together (as in (a)).
    auto const seen = steady::now();
    for (auto& c : clients)
        list.refresh(*c, seen, false);
    list.set_expiry(expire_margin, ioc);
    time_expiry(ioc, seen + expire_margin, list.expired(), n, r);
    return r;
}

// Runs `f` in a child process; its result comes back through a pipe.
template <class F>
bool isolated(F f, result& out) {
    int fds[2];
    if (::pipe(fds) != 0)
        return false;
    pid_t const pid = ::fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        ::close(fds[0]);
        result const r = f();
        auto const w = ::write(fds[1], &r, sizeof r);
        ::_exit(w == static_cast<ssize_t>(sizeof r) ? 0 : 1);
    }
    ::close(fds[1]);
    auto const got = ::read(fds[0], &out, sizeof out);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return got == static_cast<ssize_t>(sizeof out) && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int usage(std::FILE* to, int code) {
    std::fputs("Usage: rendezvous-timers [--clients N]... [--refreshes R]\n"
               "Compares one steady_timer per client with rendezvousd's ordered list + one\n"
               "timer (default: N = 10000 and 100000, R = 1000000 refreshes).\n",
               to);
    return code;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes;
    std::size_t refreshes = 1'000'000;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a{argv[i]};
        if (a == "-h" || a == "--help")
            return usage(stdout, 0);
        if ((a == "--clients" || a == "--refreshes") && i + 1 < argc) {
            auto const v = std::stoul(argv[++i]);
            if (v == 0)
                return usage(stderr, 2);
            (a == "--clients" ? sizes.push_back(v) : void(refreshes = v));
            continue;
        }
        return usage(stderr, 2);
    }
    if (sizes.empty())
        sizes = {10'000, 100'000};

    std::printf("| %-28s | %9s | %10s | %10s | %10s | %12s |\n", "mechanism", "clients",
                "heap B/cl", "RSS B/cl", "ns/refresh", "expire all ms");
    std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(11, '-').c_str(),
                std::string(12, '-').c_str(), std::string(12, '-').c_str(),
                std::string(12, '-').c_str(), std::string(15, '-').c_str());
    std::string keys;
    bool ok = true;
    for (auto const n : sizes) {
        struct variant {
            char const* name;
            char const* key;
            result (*run)(std::size_t, std::size_t);
        };
        for (auto const& v : {variant{"(a) steady_timer per client", "timer", per_client_timers},
                              variant{"(b) ordered list + 1 timer", "list", ordered_list}}) {
            result r;
            if (!isolated([&] { return v.run(n, refreshes); }, r) || r.expired != n) {
                std::fprintf(stderr, "rendezvous-timers: %s with %zu clients failed\n", v.name, n);
                ok = false;
                continue;
            }
            std::printf("| %-28s | %9zu | %10.0f | %10.0f | %10.1f | %13.2f |\n", v.name, n,
                        r.heap_bytes_per_client, r.rss_bytes_per_client, r.ns_per_refresh,
                        r.expire_all_ms);
            char line[256];
            std::snprintf(
                line, sizeof line,
                "%s_%zu_heap_bytes=%.0f\n%s_%zu_rss_bytes=%.0f\n%s_%zu_ns_per_refresh=%.1f\n"
                "%s_%zu_expire_all_ms=%.2f\n",
                v.key, n, r.heap_bytes_per_client, v.key, n, r.rss_bytes_per_client, v.key, n,
                r.ns_per_refresh, v.key, n, r.expire_all_ms);
            keys += line;
        }
    }
    std::fputs(keys.c_str(), stdout);
    return ok ? 0 : 1;
}
