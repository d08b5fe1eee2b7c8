// The I/O layer on loopback: the real socket, strand and timers around server_core.

#include <netlab/asio/udp_endpoint.hpp>
#include <netlab/rendezvousd/udp_server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace net = boost::asio;
namespace rv = netlab::rendezvous;
namespace rd = netlab::rendezvousd;
using net::ip::udp;
using namespace std::chrono_literals;

// Runs `ioc` handler by handler until `done()` holds or `limit` has passed (a timer on the same
// io_context): the test wakes on the event it waits for, never on a sleep.
template <class Done>
bool run_until(net::io_context& ioc, Done done, std::chrono::steady_clock::duration limit = 5s) {
    bool timed_out = false;
    net::steady_timer deadline{ioc, limit};
    deadline.async_wait([&](boost::system::error_code ec) { timed_out = !ec; });
    ioc.restart();
    while (!done() && !timed_out && ioc.run_one() > 0) {
    }
    deadline.cancel();
    ioc.restart();
    ioc.poll(); // the cancelled wait completes while `timed_out` still exists
    return done();
}

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
        run_until(ioc, [&] { return got.size() >= count; });
        s.cancel();
        ioc.restart();
        ioc.poll();
        return got;
    }
    // A client that accepts datagrams only from `server_address`, as a NAT or peerchat does:
    // a connected UDP socket drops whatever comes from another source.
    udp::socket connected_client(net::ip::address const& server_address) {
        udp::socket s{ioc};
        s.open(server_address.is_v4() ? udp::v4() : udp::v6());
        // From the loopback address: the kernel's own choice of a source for the replies,
        // unlike `server_address`. A link-local address needs a client on its own link.
        bool const link_local = server_address.is_v6() && server_address.to_v6().is_link_local();
        if (!link_local)
            s.bind({server_address.is_v4() ? net::ip::address{net::ip::address_v4::loopback()}
                                           : net::ip::address{net::ip::address_v6::loopback()},
                    0});
        s.connect({server_address, server->local_port()});
        return s;
    }
    // Registers `id` from the connected `s`: the challenge, then the ack and the list.
    std::vector<rv::message> register_connected(udp::socket& s, std::string const& id) {
        s.send(net::buffer(rv::encode(rv::register_request{id, 0, 0, {}}).value()));
        auto const challenge = receive(s, 1);
        if (challenge.size() != 1)
            return {};
        auto const cookie = std::get<rv::challenge>(challenge[0]).cookie;
        s.send(net::buffer(rv::encode(rv::register_request{id, cookie, 0, {}}).value()));
        return receive(s, 2);
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
    run_until(ioc, [&] { return lines.size() >= 2; });
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

// All of 127/8 is local on Linux: a datagram to 127.0.0.2 must be answered from 127.0.0.2, not
// from 127.0.0.1 (the kernel's choice for a client at 127.0.0.1). The same for later notices.
TEST_F(UdpServer, RepliesFromTheAddressTheClientSentTo) {
    auto alice = connected_client(net::ip::make_address("127.0.0.2"));
    auto const r = register_connected(alice, "alice");
    ASSERT_EQ(r.size(), 2U);
    EXPECT_TRUE(std::holds_alternative<rv::register_ack>(r[0]));
    EXPECT_TRUE(std::holds_alternative<rv::list_page>(r[1]));
    // bob registers through 127.0.0.1; alice hears of it from 127.0.0.2.
    auto bob = connected_client(net::ip::make_address("127.0.0.1"));
    ASSERT_EQ(register_connected(bob, "bob").size(), 2U);
    auto const joined = receive(alice, 1);
    ASSERT_EQ(joined.size(), 1U);
    EXPECT_EQ(std::get<rv::peer_joined>(joined[0]).peer.id, "bob");
}

TEST_F(UdpServer, RepliesFromTheIpv6AddressTheClientSentTo) {
    boost::system::error_code ec;
    udp::socket probe{ioc};
    probe.open(udp::v6(), ec);
    if (!ec)
        probe.bind({net::ip::address_v6::loopback(), 0}, ec);
    if (ec)
        GTEST_SKIP() << "no IPv6 loopback here";
    auto one = connected_client(net::ip::address_v6::loopback());
    EXPECT_EQ(register_connected(one, "one").size(), 2U);
    // More local addresses (scripts set them up in a network namespace of their own, see
    // nat/local-addresses.sh): each must answer from itself.
    char const* extra = std::getenv("NETLAB_TEST_LOCAL_ADDRESSES");
    if (extra == nullptr)
        return;
    std::istringstream in{extra};
    for (std::string a; in >> a;) {
        SCOPED_TRACE(a);
        auto s = connected_client(net::ip::make_address(a));
        auto const r = register_connected(s, "via-" + a);
        EXPECT_EQ(r.size(), 2U);
        EXPECT_TRUE(!r.empty() && std::holds_alternative<rv::register_ack>(r[0]));
    }
}

TEST_F(UdpServer, JunkIsCountedAndTheServerKeepsServing) {
    auto a = client();
    for (std::string const& junk : {std::string{}, std::string{"hello"}, std::string(1500, 'x')})
        a.send_to(net::buffer(junk), server_endpoint());
    auto const r = exchange(a, rv::register_request{"alice", 0, 0, {}}, 1);
    ASSERT_EQ(r.size(), 1U);
    EXPECT_TRUE(std::holds_alternative<rv::challenge>(r[0]));
    auto const before = lines.size();
    server->report_stats();
    run_until(ioc, [&] { return lines.size() > before; });
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find(" malformed=3 "), std::string::npos) << lines.back();
}

// The helpers on a plain IPv4 socket (what udp_server falls back to without IPv6): the
// destination comes from IP_PKTINFO, and the reply leaves from it.
TEST(Pktinfo, Ipv4SocketLearnsTheDestinationAndSendsFromIt) {
    net::io_context ioc;
    udp::socket server{ioc, {net::ip::address_v4::any(), 0}};
    ASSERT_FALSE(rv::enable_pktinfo(server.native_handle(), udp::v4()));
    udp::socket client{ioc, {net::ip::address_v4::loopback(), 0}};
    client.connect({net::ip::make_address("127.0.0.2"), server.local_endpoint().port()});
    client.send(net::buffer("hi", 2));

    std::array<char, 16> data{};
    sockaddr_storage name{};
    alignas(cmsghdr) std::array<std::byte, rv::pktinfo_space> control{};
    iovec iov{data.data(), data.size()};
    msghdr m{};
    m.msg_name = &name;
    m.msg_namelen = sizeof name;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    ASSERT_EQ(::recvmsg(server.native_handle(), &m, 0), 2);
    auto const local = rv::destination_of(m);
    ASSERT_TRUE(local);
    EXPECT_EQ(local->fam, rv::endpoint::family::v4);
    EXPECT_EQ((std::array<std::uint8_t, 4>{local->address[0], local->address[1], local->address[2],
                                           local->address[3]}),
              (std::array<std::uint8_t, 4>{127, 0, 0, 2}));

    // Truncated control data is no answer (not a wrong one).
    msghdr truncated = m;
    truncated.msg_flags |= MSG_CTRUNC;
    EXPECT_FALSE(rv::destination_of(truncated));

    // The reply to the connected client (which drops anything not from 127.0.0.2) arrives.
    msghdr reply{};
    iovec reply_iov{data.data(), 2};
    reply.msg_name = &name;
    reply.msg_namelen = m.msg_namelen;
    reply.msg_iov = &reply_iov;
    reply.msg_iovlen = 1;
    rv::set_source(reply, control, udp::v4(), *local);
    ASSERT_EQ(::sendmsg(server.native_handle(), &reply, 0), 2);
    std::array<char, 16> got{};
    std::optional<std::pair<boost::system::error_code, std::size_t>> received;
    client.async_receive(net::buffer(got), [&](boost::system::error_code ec, std::size_t n) {
        received.emplace(ec, n);
    });
    if (!run_until(ioc, [&] { return received.has_value(); })) {
        client.cancel();
        run_until(ioc, [&] { return received.has_value(); }); // the handler refers to `got`
    }
    auto const [ec, n] = received.value_or(std::pair{net::error::timed_out, std::size_t{0}});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(std::string(got.data(), n), "hi");
}

} // namespace
