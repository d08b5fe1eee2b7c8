// The listener and connections on a real loopback socket, driven from the same io_context.
#include <netlab/webd/access_log.hpp>
#include <netlab/webd/config.hpp>
#include <netlab/webd/request_handler.hpp>
#include <netlab/webd/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

namespace {

namespace w = netlab::webd;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

/// Throws for "boom" (a bug deep in a request); "big" is 100,000 bytes of a memfd (too large
/// for anything but sendfile, which always runs in the connection's coroutine); ENOENT for
/// everything else.
class throwing_files final : public w::file_opener {
public:
    static constexpr std::uint64_t big_size = 100000;

    boost::system::result<w::opened_file, std::error_code> open(std::string_view path) override {
        if (path == "boom")
            throw std::runtime_error{"boom"};
        if (path == "big") {
            w::opened_file f;
            f.fd = netlab::sys::unique_fd{::memfd_create("big", MFD_CLOEXEC)};
            if (!f.fd || ::ftruncate(f.fd.get(), static_cast<off_t>(big_size)) != 0)
                return std::error_code{errno, std::generic_category()};
            f.info.regular = true;
            f.info.size = big_size;
            return f;
        }
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }
};

/// 127.0.0.1, an ephemeral port, no access log.
w::config loopback_config(std::function<void(w::config&)> const& adjust) {
    w::config cfg;
    cfg.bind = "127.0.0.1";
    cfg.port = 0;
    cfg.access_log = "off";
    adjust(cfg);
    return cfg;
}

/// A listening, started server over throwing_files, its config adjusted by the test.
struct test_server {
    test_server(net::io_context& ioc, std::function<void(w::config&)> const& adjust)
        : srv{ioc, loopback_config(adjust), files, log} {
        srv.listen({});
        srv.start();
    }
    throwing_files files;
    w::access_log log{"off"};
    w::server srv;
};

/// Sends `head` in two parts (so it is answered inside the connection's coroutine, not by
/// its first read) and returns everything until the server closes.
net::awaitable<std::string> exchange(std::uint16_t port, std::string head, bool split) {
    auto ex = co_await net::this_coro::executor;
    tcp::socket s{ex};
    auto [cec] = co_await s.async_connect({net::ip::make_address("127.0.0.1"), port}, use_tuple);
    if (cec)
        co_return "connect failed";
    auto const cut = split ? head.size() / 2 : head.size();
    co_await net::async_write(s, net::buffer(head.data(), cut), use_tuple);
    if (split) {
        net::steady_timer t{ex, 50ms};
        co_await t.async_wait(use_tuple);
        co_await net::async_write(s, net::buffer(head.data() + cut, head.size() - cut), use_tuple);
    }
    std::string out;
    for (;;) {
        char buf[4096];
        auto [ec, n] = co_await s.async_read_some(net::buffer(buf), use_tuple);
        out.append(buf, n);
        if (ec || out.ends_with("</html>\r\n"))
            break;
    }
    co_return out;
}

struct answers {
    std::string first;
    std::string second;
};

/// Sends `request` to a fresh server that allows one connection at a time (a leaked slot
/// would refuse every later connection), then asks for /a until it gets its 404 (the slot is
/// given back through the listener's strand: that may take a moment).
answers first_then_second(std::string request, bool split) {
    net::io_context ioc;
    test_server server{ioc, [](w::config& c) { c.max_connections = 1; }};
    auto& srv = server.srv;
    auto const port = srv.local_port();

    answers out;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            out.first = co_await exchange(port, request, split);
            for (int i = 0; i < 100; ++i) {
                out.second = co_await exchange(port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", false);
                if (out.second.starts_with("HTTP/1.1 404"))
                    break;
                net::steady_timer t{co_await net::this_coro::executor, 20ms};
                co_await t.async_wait(use_tuple);
            }
            srv.stop();
        },
        net::detached);
    ioc.run_for(30s);
    return out;
}

TEST(Server, AConnectionThatThrowsInItsCoroutineFreesItsSlot) {
    auto const [first, second] = first_then_second("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n", true);
    EXPECT_EQ(first, ""); // closed without a response
    EXPECT_TRUE(second.starts_with("HTTP/1.1 404")) << second;
}

// Deterministic where the test above depends on timing: the throw happens in the coroutine,
// after the file before it went out with sendfile.
TEST(Server, AThrowAfterAFileInTheCoroutineClosesAndFreesTheSlot) {
    auto const [first, second] = first_then_second("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"
                                                   "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n",
                                                   false);
    auto const head_end = first.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << first;
    EXPECT_TRUE(first.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_EQ(first.size() - head_end - 4, throwing_files::big_size); // then closed, no answer
    EXPECT_TRUE(second.starts_with("HTTP/1.1 404")) << second;
}

/// Keeps one connection: a request after each pause (answered with 404), then the server
/// is stopped after `before_stop`; returns the responses and whether the server then closed
/// the connection (a drain that missed the idle connection would leave it open until the
/// io_context stops).
struct kept_connection {
    std::vector<std::string> answers;
    bool closed_by_drain = false;
};

kept_connection keep_alive(std::vector<std::chrono::milliseconds> pauses,
                           std::chrono::milliseconds before_stop) {
    net::io_context ioc;
    // A missed idle connection would hold the drain this long.
    test_server server{ioc, [](w::config& c) { c.shutdown_timeout = 3s; }};
    auto& srv = server.srv;
    auto const port = srv.local_port();

    kept_connection out;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
            auto ex = co_await net::this_coro::executor;
            tcp::socket s{ex};
            co_await s.async_connect({net::ip::make_address("127.0.0.1"), port}, use_tuple);
            std::string const request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
            char buf[4096];
            for (auto const pause : pauses) {
                net::steady_timer t{ex, pause};
                co_await t.async_wait(use_tuple);
                co_await net::async_write(s, net::buffer(request), use_tuple);
                std::string answer;
                while (!answer.ends_with("</html>\r\n")) {
                    auto [ec, n] = co_await s.async_read_some(net::buffer(buf), use_tuple);
                    answer.append(buf, n);
                    if (ec)
                        break;
                }
                out.answers.push_back(answer);
            }
            net::steady_timer t{ex, before_stop};
            co_await t.async_wait(use_tuple);
            srv.stop();
            auto [ec, n] = co_await s.async_read_some(net::buffer(buf), use_tuple);
            out.closed_by_drain = ec == net::error::eof && n == 0;
        },
        net::detached);
    ioc.run_for(30s);
    // The server stops the io_context as soon as the last connection closed: the client's
    // read of that close may still be queued.
    ioc.restart();
    ioc.run_for(1s);
    return out;
}

// Just after a response a connection reads straight into its kept buffer (warm); idle for
// longer, it gives the buffer back and waits for readability (cold). Requests are answered
// in both, in any order of the two, and a drain closes it in both.
TEST(Server, AnIdleConnectionIsServedAndDrainedWarmAndCold) {
    using ms = std::chrono::milliseconds;
    for (auto const before_stop : {ms{0}, ms{700}}) {
        auto const got = keep_alive({ms{0}, ms{5}, ms{700}, ms{5}, ms{1200}, ms{0}}, before_stop);
        ASSERT_EQ(got.answers.size(), 6U);
        for (auto const& a : got.answers)
            EXPECT_TRUE(a.starts_with("HTTP/1.1 404 NOT FOUND\r\n")) << a;
        EXPECT_TRUE(got.closed_by_drain) << "stopped after " << before_stop.count() << " ms";
    }
}

} // namespace
