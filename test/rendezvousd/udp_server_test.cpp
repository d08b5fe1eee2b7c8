// The I/O layer on loopback: the real socket, strand and timers around server_core.

#include "udp_endpoint.hpp"
#include "udp_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace rv = netlab::rendezvous;
namespace rd = netlab::rendezvousd;
using net::ip::udp;
using namespace std::chrono_literals;

class UdpServer : public ::testing::Test {
protected:
    net::io_context ioc;
    std::vector<std::string> lines;
    rd::daemon_options options = [] {
        rd::daemon_options o;
        o.port = 0;
        o.stats_interval = 0s;
        o.server.expiry = 300ms;
        return o;
    }();
    std::unique_ptr<rd::udp_server> server;

    void SetUp() override {
        server =
            std::make_unique<rd::udp_server>(ioc.get_executor(), options, netlab::siphash_key{5, 6},
                                             [this](std::string_view l) { lines.emplace_back(l); });
        server->start();
    }

    udp::endpoint server_endpoint() const {
        return {net::ip::address_v4::loopback(), server->local_port()};
    }

    // Sends `m` from `s` and runs the io_context until `s` received `count` datagrams.
    std::vector<rv::message> exchange(udp::socket& s, rv::message const& m, std::size_t count) {
        s.send_to(net::buffer(rv::encode(m).value()), server_endpoint());
        return receive(s, count);
    }
    std::vector<rv::message> receive(udp::socket& s, std::size_t count) {
        std::vector<rv::message> got;
        std::array<std::uint8_t, 2048> buf{};
        udp::endpoint from;
        std::function<void()> next = [&] {
            s.async_receive_from(net::buffer(buf), from,
                                 [&](boost::system::error_code ec, std::size_t n) {
                                     if (ec)
                                         return;
                                     got.push_back(rv::decode(std::span{buf.data(), n}).value());
                                     if (got.size() < count)
                                         next();
                                 });
        };
        next();
        ioc.restart();
        for (auto deadline = std::chrono::steady_clock::now() + 5s;
             got.size() < count && std::chrono::steady_clock::now() < deadline;)
            ioc.run_for(10ms);
        s.cancel();
        ioc.restart();
        ioc.poll();
        return got;
    }
    udp::socket client() {
        udp::socket s{ioc};
        s.open(udp::v4());
        s.bind({net::ip::address_v4::loopback(), 0});
        return s;
    }
};

TEST_F(UdpServer, RegistersOverLoopbackAndExpires) {
    auto a = client();
    auto const challenge = exchange(a, rv::register_request{"alice", 0, 0, {}}, 1);
    ASSERT_EQ(challenge.size(), 1U);
    auto const cookie = std::get<rv::challenge>(challenge[0]).cookie;
    auto const r = exchange(a, rv::register_request{"alice", cookie, 0, {}}, 2);
    ASSERT_EQ(r.size(), 2U);
    auto const& ack = std::get<rv::register_ack>(r[0]);
    EXPECT_EQ(ack.observed, rv::to_wire(a.local_endpoint()));
    EXPECT_TRUE(std::holds_alternative<rv::list_page>(r[1]));
    ASSERT_EQ(lines.size(), 1U);
    EXPECT_EQ(lines[0], "alice " + rv::to_wire(a.local_endpoint()).to_string());

    // Nothing more arrives; the real steady_timer expires alice after 300 ms.
    auto const deadline = std::chrono::steady_clock::now() + 5s;
    ioc.restart();
    while (lines.size() < 2 && std::chrono::steady_clock::now() < deadline)
        ioc.run_for(20ms);
    ASSERT_EQ(lines.size(), 2U);
    EXPECT_EQ(lines[1], "alice is disappeared " + rv::to_wire(a.local_endpoint()).to_string());
}

TEST_F(UdpServer, IsDualStack) {
    udp::socket v6{ioc};
    boost::system::error_code ec;
    v6.open(udp::v6(), ec);
    if (!ec)
        v6.bind({net::ip::address_v6::loopback(), 0}, ec);
    if (ec)
        GTEST_SKIP() << "no IPv6 loopback here";
    v6.send_to(net::buffer(rv::encode(rv::register_request{"six", 0, 0, {}}).value()),
               udp::endpoint{net::ip::address_v6::loopback(), server->local_port()});
    auto const r = receive(v6, 1);
    ASSERT_EQ(r.size(), 1U);
    auto const cookie = std::get<rv::challenge>(r[0]).cookie;
    v6.send_to(net::buffer(rv::encode(rv::register_request{"six", cookie, 0, {}}).value()),
               udp::endpoint{net::ip::address_v6::loopback(), server->local_port()});
    auto const ack = receive(v6, 1);
    ASSERT_EQ(ack.size(), 1U);
    auto const& observed = std::get<rv::register_ack>(ack[0]).observed;
    EXPECT_EQ(observed.fam, rv::endpoint::family::v6);
    EXPECT_EQ(observed.to_string(), "[::1]:" + std::to_string(v6.local_endpoint().port()));
    // An IPv4 client of the same dual-stack socket is seen as plain IPv4, not ::ffff:127.0.0.1.
    auto a = client();
    auto const c4 = exchange(a, rv::register_request{"four", 0, 0, {}}, 1);
    auto const r4 = exchange(
        a, rv::register_request{"four", std::get<rv::challenge>(c4.at(0)).cookie, 0, {}}, 1);
    EXPECT_EQ(std::get<rv::register_ack>(r4.at(0)).observed.to_string(),
              "127.0.0.1:" + std::to_string(a.local_endpoint().port()));
}

TEST_F(UdpServer, JunkIsCountedAndTheServerKeepsServing) {
    auto a = client();
    for (std::string const& junk : {std::string{}, std::string{"hello"}, std::string(1500, 'x')})
        a.send_to(net::buffer(junk), server_endpoint());
    auto const r = exchange(a, rv::register_request{"alice", 0, 0, {}}, 1);
    ASSERT_EQ(r.size(), 1U);
    EXPECT_TRUE(std::holds_alternative<rv::challenge>(r[0]));
    server->report_stats();
    ioc.restart();
    ioc.poll();
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(" malformed=3 "), std::string::npos) << lines.back();
}

} // namespace
