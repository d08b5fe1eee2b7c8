// client_core against the real server_core over a simulated network of NATs, on a fake clock.

#include "sim_net.hpp"

#include <netlab/common/rendezvous_auth.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace {

namespace rv = netlab::rendezvous;
namespace pc = netlab::peerchat;
using netlab::sim::nat_kind;
using netlab::sim::network;
using namespace std::chrono_literals;

std::size_t count(std::vector<std::string> const& v, std::string const& s) {
    return static_cast<std::size_t>(std::count(v.begin(), v.end(), s));
}

bool lists(std::vector<std::string> const& list, std::string const& prefix,
           std::string const& suffix) {
    return std::any_of(list.begin(), list.end(), [&](auto const& l) {
        return l.rfind(prefix, 0) == 0 && l.size() >= suffix.size() &&
               l.compare(l.size() - suffix.size(), suffix.size(), suffix) == 0;
    });
}

// Lines typed without letting the network run in between.
void peerchat_type(network& net, std::string const& name, std::vector<std::string> const& lines) {
    auto& h = net.get(name);
    for (auto const& line : lines) {
        pc::actions out;
        h.core->on_line(line, net.now, out);
        EXPECT_TRUE(out.sends.empty() && out.lines.empty() && out.errors.empty()) << line;
    }
}

TEST(ClientCore, RegistersAndListsEveryOtherClient) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.add_host("c", &net.add_nat(nat_kind::cone));
    net.run_for(3s);
    EXPECT_EQ(net.server_lines.size(), 3U);
    EXPECT_EQ(net.server_lines[0], "a 203.0.113.11:10081");
    for (auto const* name : {"a", "b", "c"}) {
        EXPECT_TRUE(net.get(name).core->registered());
        auto const list = net.show_list(name);
        EXPECT_EQ(list.size(), 2U) << name;
    }
    EXPECT_EQ(net.get("a").core->peer_ids(), (std::vector<std::string>{"b", "c"}));
}

TEST(ClientCore, PublicPeersChatDirectlyExactlyOnce) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    EXPECT_EQ(net.get("a").core->path_to("b"), pc::path_kind::public_);
    EXPECT_EQ(net.show_list("a"), std::vector<std::string>{"b 203.0.113.12:10081 public"});
    net.type("a", "@chat b hello there");
    net.run_for(2s);
    EXPECT_EQ(net.get("b").lines, std::vector<std::string>{"From a [hello there]"});
    EXPECT_TRUE(net.get("a").errors.empty());
    EXPECT_EQ(net.server.stats().relayed, 0U);
}

TEST(ClientCore, SameNatPeersUseTheirPrivateEndpoints) {
    network net;
    auto& n = net.add_nat(nat_kind::cone);
    net.add_host("a1", &n);
    net.add_host("a2", &n);
    net.run_for(3s);
    EXPECT_EQ(net.get("a1").core->path_to("a2"), pc::path_kind::private_);
    EXPECT_EQ(net.show_list("a1"), std::vector<std::string>{"a2 10.0.1.12:10081 private"});
    net.type("a2", "@chat a1 psst");
    net.run_for(1s);
    EXPECT_EQ(count(net.get("a1").lines, "From a2 [psst]"), 1U);
    EXPECT_EQ(net.server.stats().relayed, 0U);
}

TEST(ClientCore, ConeNatsArePunchedWithoutTheRelay) {
    network net;
    net.add_host("a", &net.add_nat(nat_kind::cone));
    net.add_host("b", &net.add_nat(nat_kind::cone));
    net.run_for(3s);
    EXPECT_EQ(net.get("a").core->path_to("b"), pc::path_kind::public_);
    EXPECT_EQ(net.get("b").core->path_to("a"), pc::path_kind::public_);
    EXPECT_EQ(net.get("a").core->direct_endpoint("b"), net.public_of(net.get("b")));
    net.type("a", "@chat b over the punched hole");
    net.type("b", "@chat a and back");
    net.run_for(2s);
    EXPECT_EQ(count(net.get("b").lines, "From a [over the punched hole]"), 1U);
    EXPECT_EQ(count(net.get("a").lines, "From b [and back]"), 1U);
    EXPECT_EQ(net.server.stats().relayed, 0U);
}

TEST(ClientCore, SymmetricToConeFallsBackToTheRelay) {
    network net;
    net.add_host("b", &net.add_nat(nat_kind::cone));
    net.add_host("c", &net.add_nat(nat_kind::symmetric));
    net.run_for(12s);
    EXPECT_EQ(net.get("b").core->path_to("c"), pc::path_kind::relay);
    EXPECT_EQ(net.get("c").core->path_to("b"), pc::path_kind::relay);
    EXPECT_TRUE(lists(net.show_list("c"), "b ", " relay"));
    net.type("c", "@chat b relayed hello");
    net.type("b", "@chat c relayed reply");
    net.run_for(2s);
    EXPECT_EQ(count(net.get("b").lines, "From c [relayed hello]"), 1U);
    EXPECT_EQ(count(net.get("c").lines, "From b [relayed reply]"), 1U);
    EXPECT_TRUE(net.get("b").errors.empty());
    EXPECT_TRUE(net.get("c").errors.empty());
    EXPECT_EQ(net.server.stats().relayed, 4U); // two chats, two acks
}

TEST(ClientCore, PublicPeerLatchesOntoASymmetricNatsMapping) {
    network net;
    net.add_host("p", nullptr);
    net.add_host("c", &net.add_nat(nat_kind::symmetric));
    net.run_for(3s);
    EXPECT_EQ(net.get("p").core->path_to("c"), pc::path_kind::public_);
    EXPECT_EQ(net.get("c").core->path_to("p"), pc::path_kind::public_);
    // The endpoint in use is the mapping toward p, not the one the server saw.
    EXPECT_NE(net.get("p").core->direct_endpoint("c"), net.public_of(net.get("c")));
    net.type("p", "@chat c direct by latching");
    net.run_for(1s);
    EXPECT_EQ(count(net.get("c").lines, "From p [direct by latching]"), 1U);
    EXPECT_EQ(net.server.stats().relayed, 0U);
}

TEST(ClientCore, UnderHeavyLossEveryChatArrivesOnceOrIsReported) {
    network net;
    net.add_host("a", &net.add_nat(nat_kind::cone));
    net.add_host("b", &net.add_nat(nat_kind::cone));
    net.run_for(3s);
    net.loss = 0.3;
    for (int i = 0; i < 50; ++i) {
        net.type("a", "@chat b m" + std::to_string(i));
        net.run_for(100ms);
    }
    net.run_for(10s);
    auto const& got = net.get("b").lines;
    auto const& errors = net.get("a").errors;
    for (int i = 0; i < 50; ++i) {
        auto const shown = count(got, "From a [m" + std::to_string(i) + "]");
        EXPECT_LE(shown, 1U) << i;
        if (shown == 0) {
            // Lost: reported once, by name.
            EXPECT_EQ(count(errors, "message to b not delivered: \"m" + std::to_string(i) + "\""),
                      1U);
        }
    }
    std::size_t const shown_total = got.size();
    EXPECT_GE(shown_total + errors.size(), 50U);
    EXPECT_GE(shown_total, 45U); // retransmission makes loss rare, not common
    EXPECT_GT(net.dropped, 0U);
}

TEST(ClientCore, UndeliverableChatIsReported) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    net.cut.insert("b");
    net.type("a", "@chat b anyone?");
    net.type("a", "@chat b " + std::string(45, 'x') + "\xc2\x9b");
    net.run_for(6s);
    // Each names its message (its first 40 characters, escaped as printed).
    EXPECT_EQ(net.get("a").errors,
              (std::vector<std::string>{"message to b not delivered: \"anyone?\"",
                                        "message to b not delivered: \"" + std::string(40, 'x') +
                                            "...\""}));
}

TEST(ClientCore, CommandErrorsAreOneLine) {
    network net;
    net.add_host("a", nullptr);
    net.run_for(2s);
    net.type("a", "@bogus");
    net.type("a", "hello");
    net.type("a", "@chat nobody hi");
    net.type("a", "@chat");
    auto const& e = net.get("a").errors;
    ASSERT_EQ(e.size(), 4U);
    EXPECT_EQ(e[0], "peerchat: unknown command '@bogus' (commands: @show_list, @chat <id> "
                    "<message>, @exit)");
    EXPECT_EQ(e[2], "peerchat: unknown id 'nobody' (see @show_list)");
    EXPECT_EQ(e[3], "peerchat: usage: @chat <id> <message>");
    EXPECT_TRUE(net.get("a").lines.empty());
}

// With the server silent from the start, a chat says so (not "unknown id"), and the exit is
// a failure for the script that ran peerchat.
TEST(ClientCore, AServerThatNeverAnswersIsNamedAndExitsOne) {
    network net;
    net.cut.insert("a");
    net.add_host("a", nullptr);
    net.type("a", "@chat b hi");
    net.type("a", "@exit");
    net.run_for(10s);
    auto const& a = net.get("a");
    ASSERT_TRUE(a.core->done());
    EXPECT_EQ(a.core->exit_status(), 1);
    ASSERT_GE(a.errors.size(), 2U);
    EXPECT_TRUE(a.errors[0].starts_with("peerchat: message to b not sent: no answer from "
                                        "rendezvousd at "))
        << a.errors[0];
    EXPECT_TRUE(a.errors.back().starts_with("peerchat: rendezvousd at ")) << a.errors.back();
    EXPECT_TRUE(a.errors.back().ends_with(" never answered")) << a.errors.back();
    for (auto const& e : a.errors)
        EXPECT_EQ(e.find("unknown id"), std::string::npos) << e;
}

TEST(ClientCore, ExitDeregistersAndPeersForgetAtOnce) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    net.type("a", "@exit");
    net.run_for(100ms);
    EXPECT_TRUE(net.get("a").core->done());
    EXPECT_EQ(net.server_lines.back(), "a is deregistered 203.0.113.11:10081");
    EXPECT_TRUE(net.get("b").core->peer_ids().empty());
}

TEST(ClientCore, ExitWaitsForChatsInFlight) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    net.type("a", "@chat b last words");
    net.type("a", "@exit");
    net.run_for(2s);
    EXPECT_EQ(count(net.get("b").lines, "From a [last words]"), 1U);
    EXPECT_TRUE(net.get("a").core->done());
}

TEST(ClientCore, KilledClientDisappearsAfterExpiry) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    net.cut.insert("a"); // kill -9: silence after the registration at t = 0
    net.run_for(27s);
    EXPECT_EQ(net.get("b").core->peer_ids(), std::vector<std::string>{"a"});
    net.run_for(3s);
    EXPECT_EQ(net.server_lines.back(), "a is disappeared 203.0.113.11:10081");
    EXPECT_TRUE(net.get("b").core->peer_ids().empty());
}

TEST(ClientCore, RefreshKeepsARegistrationAliveForever) {
    network net;
    net.add_host("a", nullptr);
    net.run_for(120s);
    EXPECT_EQ(net.server.client_count(), 1U);
    EXPECT_EQ(net.server_lines.size(), 1U);
}

TEST(ClientCore, ADeadPathIsPunchedAgain) {
    network net;
    net.add_host("a", &net.add_nat(nat_kind::cone));
    auto& nb = net.add_nat(nat_kind::cone);
    net.add_host("b", &nb);
    net.run_for(3s);
    ASSERT_EQ(net.get("a").core->path_to("b"), pc::path_kind::public_);
    // NAT b reboots: mappings and filters are gone; b's next packets get new ports.
    nb.mappings.clear();
    nb.reverse.clear();
    nb.permits.clear();
    net.run_for(70s);
    EXPECT_EQ(net.get("a").core->path_to("b"), pc::path_kind::public_);
    EXPECT_EQ(net.get("a").core->direct_endpoint("b"), net.public_of(net.get("b")));
    EXPECT_GE(net.server.stats().rebindings, 1U);
    net.type("a", "@chat b still there?");
    net.run_for(2s);
    EXPECT_EQ(count(net.get("b").lines, "From a [still there?]"), 1U);
}

TEST(ClientCore, ForgedChatsAreNotShown) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    auto const b_ep = net.get("b").priv;
    // A third party claiming to be a, with a guessed mac, from a's own address and elsewhere.
    for (auto const& from : {net.get("a").priv, rv::endpoint::v4({203, 0, 113, 99}, 1)})
        net.inject(from, b_ep, rv::encode(rv::chat{"a", "b", 1, "I am a", 12345}).value());
    // A control message from somewhere other than the server.
    net.inject(rv::endpoint::v4({203, 0, 113, 99}, 1), b_ep,
               rv::encode(rv::peer_left{999, "a"}).value());
    net.run_for(1s);
    EXPECT_TRUE(net.get("b").lines.empty());
    EXPECT_EQ(net.get("b").core->peer_ids(), std::vector<std::string>{"a"});
}

TEST(ClientCore, ForgedServerMessagesAreIgnored) {
    network net;
    net.add_host("a", nullptr);
    net.add_host("b", nullptr);
    net.run_for(2s);
    auto const b_ep = net.get("b").priv;
    auto const v = net.get("b").core->list_version();
    // Spoofing the server's address is not enough without b's secret: a fake "a" with the
    // attacker's endpoint and pair key, a fake leave, a relayed chat "from a".
    rv::peer_entry fake{"a", 42, rv::endpoint::v4({203, 0, 113, 99}, 1), {}};
    net.inject(net.server_ep, b_ep, rv::encode(rv::peer_joined{v + 1, fake, 7}).value());
    net.inject(net.server_ep, b_ep, rv::encode(rv::peer_left{v + 1, "a", 7}).value());
    net.inject(net.server_ep, b_ep, rv::encode(rv::relayed_chat{"a", 1, "I am a", 7}).value());
    // A fake ack handing b another secret and address, a fake refusal, a fake "deregistered".
    net.inject(
        net.server_ep, b_ep,
        rv::encode(rv::register_ack{1234, rv::endpoint::v4({1, 2, 3, 4}, 5), v + 9, 7}).value());
    net.inject(net.server_ep, b_ep,
               rv::encode(rv::refused{rv::refused::reason::id_taken, 7}).value());
    net.run_for(1s);
    EXPECT_EQ(net.get("b").core->public_endpoint(), net.get("b").priv);
    EXPECT_FALSE(net.get("b").core->done());
    EXPECT_TRUE(net.get("b").lines.empty());
    EXPECT_EQ(net.get("b").core->peer_ids(), std::vector<std::string>{"a"});
    EXPECT_EQ(net.get("b").core->direct_endpoint("a"), net.get("a").priv);
}

TEST(ClientCore, AForgedRefusalCannotStopANewClient) {
    network net;
    auto& a = net.add_host("a", nullptr);
    // The forger is first: a's registration has not even reached the server yet. Keys an
    // attacker could know: none, or the nonce-less (0, cookie 0) key.
    auto const input = rv::mac_input(rv::refused{rv::refused::reason::id_taken}).value();
    for (std::uint64_t mac :
         {std::uint64_t{0}, std::uint64_t{7}, netlab::siphash24(rv::reply_mac_key(0, 0), input)}) {
        pc::actions out;
        a.core->on_datagram(net.server_ep,
                            rv::encode(rv::refused{rv::refused::reason::id_taken, mac}).value(),
                            net.now, out);
        EXPECT_TRUE(out.errors.empty());
    }
    EXPECT_FALSE(a.core->done());
    EXPECT_EQ(a.core->forged_from_server(), 3U);
    net.run_for(3s);
    EXPECT_TRUE(a.core->registered());
}

// The first register carries a nonce in its secret field; the challenge must be signed with it.
TEST(ClientCore, OnlyAChallengeSignedWithTheRegistersNonceIsAnswered) {
    rv::endpoint const server_ep = rv::endpoint::v4({203, 0, 113, 1}, 10080);
    rv::endpoint const me = rv::endpoint::v4({198, 51, 100, 7}, 40000);
    netlab::rendezvousd::server_core server{{}, {5, 6}};
    pc::client_options o;
    o.id = "alice";
    o.server = server_ep;
    o.nonce = 0x0123456789abcdefULL;
    pc::client_core core{o};
    pc::time_point const now{std::chrono::hours{7}};
    pc::actions out;
    core.start(now, out);
    ASSERT_EQ(out.sends.size(), 1U);
    auto const first = std::get<rv::register_request>(rv::decode(out.sends[0].data).value());
    EXPECT_EQ(first.cookie, 0U);
    EXPECT_EQ(first.secret, o.nonce);

    // Forgeries from the server's address: unsigned, signed without the nonce, signed with a
    // wrong nonce. None is answered (a flood of them cannot make the client flood the server).
    for (std::uint64_t key0 : {std::uint64_t{0}, o.nonce ^ 1}) {
        rv::challenge forged{0xbad, 0};
        forged.mac = netlab::siphash24(rv::reply_mac_key(key0, 0), rv::mac_input(forged).value());
        out.clear();
        core.on_datagram(server_ep, rv::encode(forged).value(), now, out);
        EXPECT_TRUE(out.sends.empty());
    }
    out.clear();
    core.on_datagram(server_ep, rv::encode(rv::challenge{0xbad, 0}).value(), now, out);
    EXPECT_TRUE(out.sends.empty());
    EXPECT_EQ(core.forged_from_server(), 3U);

    // The real server's challenge is answered at once with its cookie and the same nonce.
    netlab::rendezvousd::actions sa;
    server.on_datagram(me, rv::encode(first).value(), now, sa);
    ASSERT_EQ(sa.sends.size(), 1U);
    out.clear();
    core.on_datagram(server_ep, sa.sends[0].data, now, out);
    ASSERT_EQ(out.sends.size(), 1U);
    auto const second = std::get<rv::register_request>(rv::decode(out.sends[0].data).value());
    EXPECT_EQ(second.cookie, server.cookie_for(me, now));
    EXPECT_EQ(second.secret, o.nonce);
    // ... and the server's ack (signed with nonce and cookie) registers it.
    sa.clear();
    server.on_datagram(me, out.sends[0].data, now, sa);
    out.clear();
    for (auto const& s : sa.sends)
        core.on_datagram(server_ep, s.data, now, out);
    EXPECT_TRUE(core.registered());
    EXPECT_EQ(core.public_endpoint(), me);
    EXPECT_EQ(core.forged_from_server(), 3U);
}

TEST(ClientCore, AFloodOfForgedChallengesNeitherStopsNorAmplifiesRegistration) {
    network net;
    auto& a = net.add_host("a", nullptr);
    // The attacker answers every datagram a sends with ten forged challenges.
    for (int i = 0; i < 10; ++i)
        net.inject(net.server_ep, a.priv,
                   rv::encode(rv::challenge{0xbad0 + static_cast<std::uint64_t>(i), 0}).value());
    net.run_for(3s);
    EXPECT_TRUE(a.core->registered());
    EXPECT_EQ(a.core->forged_from_server(), 10U);
    EXPECT_EQ(net.server.stats().challenges, 1U); // no register with a bogus cookie ever
    EXPECT_EQ(net.server.stats().registrations, 1U);
}

TEST(ClientCore, AServerAddressThatDoesNotAnswerIsSkipped) {
    network net;
    // A name resolving to an IPv6 address nobody answers at, then the server's IPv4 address.
    pc::client_options o;
    o.server =
        rv::endpoint::v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 10080);
    o.fallback_servers = {net.server_ep};
    auto& a = net.add_host("a", nullptr, o);
    net.add_host("b", nullptr);
    net.run_for(1500ms);
    EXPECT_FALSE(a.core->registered()); // two tries at the first address (0 s, 1 s)
    net.run_for(2s);
    EXPECT_TRUE(a.core->registered());
    EXPECT_EQ(a.core->server(), net.server_ep);
    EXPECT_EQ(a.core->peer_ids(), std::vector<std::string>{"b"});
    // It stays there: refreshes go to the address that answered.
    net.run_for(30s);
    EXPECT_EQ(a.core->server(), net.server_ep);
    EXPECT_EQ(net.server.client_count(), 2U);
    EXPECT_TRUE(a.errors.empty());
}

TEST(ClientCore, TheFirstServerAddressIsKeptWhenItAnswers) {
    network net;
    pc::client_options o;
    o.fallback_servers = {rv::endpoint::v4({192, 0, 2, 1}, 10080)};
    auto& a = net.add_host("a", nullptr, o);
    net.run_for(20s);
    EXPECT_TRUE(a.core->registered());
    EXPECT_EQ(a.core->server(), net.server_ep);
    // Once settled, datagrams from the other address are not control messages.
    auto const before = a.core->forged_from_server();
    net.inject(rv::endpoint::v4({192, 0, 2, 1}, 10080), a.priv,
               rv::encode(rv::challenge{1, 2}).value());
    EXPECT_EQ(a.core->forged_from_server(), before);
}

// A server (or a dual-stack socket) may report IPv4 addresses as IPv4-mapped IPv6
// (::ffff:a.b.c.d): the client compares and prints them as the IPv4 they are.
TEST(ClientCore, MappedAddressesAreTreatedAsIpv4) {
    auto const mapped = [](rv::endpoint const& e) {
        std::array<std::uint8_t, 16> a{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        std::copy_n(e.address.begin(), 4, a.begin() + 12);
        return rv::endpoint::v6(a, e.port);
    };
    rv::endpoint const server_ep = rv::endpoint::v4({203, 0, 113, 1}, 10080);
    netlab::rendezvousd::server_core server{{}, {5, 6}};
    pc::time_point const now{std::chrono::hours{7}};
    // a and b behind one NAT (public 198.51.100.1); the server sees a's source as mapped and
    // b reports its private address mapped.
    rv::endpoint const a_pub = rv::endpoint::v4({198, 51, 100, 1}, 40000);
    rv::endpoint const b_pub = rv::endpoint::v4({198, 51, 100, 1}, 40001);
    rv::endpoint const b_priv = rv::endpoint::v4({10, 0, 0, 5}, 10081);
    pc::client_options o;
    o.id = "a";
    o.server = mapped(server_ep); // as a resolver on a dual-stack host may give it
    o.private_endpoints = {rv::endpoint::v4({10, 0, 0, 4}, 10081)};
    pc::client_core a{o};
    EXPECT_EQ(a.server(), server_ep);

    pc::actions out;
    netlab::rendezvousd::actions sa;
    // Datagrams a sends reach the server from mapped(a_pub); the server's replies reach a
    // from mapped(server_ep).
    auto const pump = [&] {
        for (int round = 0; round < 10 && !(out.sends.empty() && sa.sends.empty()); ++round) {
            auto const to_server = std::exchange(out.sends, {});
            for (auto const& s : to_server)
                if (s.to == server_ep)
                    server.on_datagram(mapped(a_pub), s.data, now, sa);
            auto const from_server = std::exchange(sa.sends, {});
            for (auto const& s : from_server)
                if (s.to == mapped(a_pub))
                    a.on_datagram(mapped(server_ep), s.data, now, out);
        }
    };
    a.start(now, out);
    pump();
    ASSERT_TRUE(a.registered());
    EXPECT_EQ(a.public_endpoint(), a_pub);

    // b registers by hand with its private endpoint in mapped form.
    std::uint64_t const nonce = 99;
    server.on_datagram(b_pub, rv::encode(rv::register_request{"b", 0, nonce, {}}).value(), now, sa);
    sa.clear();
    server.on_datagram(b_pub,
                       rv::encode(rv::register_request{
                                      "b", server.cookie_for(b_pub, now), nonce, {mapped(b_priv)}})
                           .value(),
                       now, sa);
    std::uint64_t pair_key = 0;
    for (auto const& s : sa.sends)
        if (auto const m = rv::decode(s.data); m && s.to == b_pub)
            if (auto const* page = std::get_if<rv::list_page>(&*m); page && !page->peers.empty())
                pair_key = page->peers[0].pair_key;
    ASSERT_NE(pair_key, 0U);
    pump(); // delivers the join notice to a
    ASSERT_EQ(a.peer_ids(), std::vector<std::string>{"b"});
    // Same public IP: a punches b's private endpoint, as IPv4.
    bool probed_private = false;
    for (auto const& s : out.sends)
        probed_private = probed_private || s.to == b_priv;
    out.clear();
    a.on_timer(now + std::chrono::milliseconds{300}, out);
    for (auto const& s : out.sends)
        probed_private = probed_private || s.to == b_priv;
    EXPECT_TRUE(probed_private);

    // b's probe reply arrives from its private address, mapped (a dual-stack socket's view):
    // it proves the private candidate.
    rv::probe_reply reply{"b", "a", 1, 0};
    reply.mac = netlab::siphash24({pair_key, 0}, rv::mac_input(reply).value());
    out.clear();
    a.on_datagram(mapped(b_priv), rv::encode(reply).value(), now, out);
    EXPECT_EQ(a.path_to("b"), pc::path_kind::private_);
    EXPECT_EQ(a.direct_endpoint("b"), b_priv);
    a.on_timer(now + std::chrono::seconds{2}, out); // ready: the list is in
    out.clear();
    a.on_line("@show_list", now + std::chrono::seconds{2}, out);
    EXPECT_EQ(out.lines, std::vector<std::string>{"b 10.0.0.5:10081 private"});
}

TEST(ClientCore, IPv6PrivateEndpointsArePunchedOnlyFromADualStackSocket) {
    network net;
    auto& n = net.add_nat(nat_kind::cone);
    auto const ula = rv::endpoint::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7}, 10081);
    pc::client_options with_v6;
    with_v6.private_endpoints = {ula};
    net.add_host("a1", &n, with_v6);
    pc::client_options v4_only;
    v4_only.ipv6 = false;
    auto& a2 = net.add_host("a2", &n, v4_only);
    auto& a3 = net.add_host("a3", &n);
    net.run_for(3s);
    EXPECT_GT((net.sent[{"a3", ula}]), 0U);
    EXPECT_EQ((net.sent[{"a2", ula}]), 0U);
    EXPECT_EQ(a2.core->path_to("a1"), pc::path_kind::private_);
    EXPECT_EQ(a3.core->path_to("a1"), pc::path_kind::private_);
}

TEST(ClientCore, TakenIdStopsTheClientWithAnError) {
    network net;
    net.add_host("a", nullptr);
    net.run_for(2s);
    auto& dup = net.add_host("a", &net.add_nat(nat_kind::cone));
    net.run_for(2s);
    EXPECT_TRUE(dup.core->done());
    EXPECT_EQ(dup.core->exit_status(), 1);
    EXPECT_EQ(dup.errors.size(), 1U);
    EXPECT_EQ(net.server.client_count(), 1U);
}

TEST(ClientCore, AMissedNoticeIsRepairedByResync) {
    network net;
    net.add_host("a", nullptr);
    net.run_for(2s);
    net.cut.insert("a"); // a misses b's join
    net.add_host("b", nullptr);
    net.run_for(50ms);
    net.cut.clear();
    net.add_host("c", nullptr); // c's join has a version gap for a
    net.run_for(3s);
    EXPECT_EQ(net.get("a").core->peer_ids(), (std::vector<std::string>{"b", "c"}));
    EXPECT_GE(net.server.stats().resyncs, 1U);
}

TEST(ClientCore, AnUnreachableServerIsReportedOnceAndRetried) {
    network net;
    net.add_host("a", nullptr);
    net.cut.insert("a");
    net.run_for(30s);
    EXPECT_EQ(net.get("a").errors,
              std::vector<std::string>{
                  "peerchat: no answer from rendezvousd at 203.0.113.1:10080 yet; still trying"});
    net.cut.clear();
    net.run_for(11s); // retries back off to the refresh interval
    EXPECT_TRUE(net.get("a").core->registered());
}

TEST(ClientCore, InputBeforeTheListWaitsForIt) {
    network net;
    net.add_host("b", nullptr);
    net.run_for(1s);
    // Piped input: everything, end of input included, arrives before the registration.
    auto& a = net.add_host("a", nullptr);
    peerchat_type(net, "a", {"@show_list", "@chat b piped", "@chat nobody x"});
    pc::actions out;
    a.core->shutdown(net.now, out);
    net.run_for(3s);
    EXPECT_EQ(a.lines, std::vector<std::string>{"b 203.0.113.11:10081 public"});
    EXPECT_EQ(a.errors, std::vector<std::string>{"peerchat: unknown id 'nobody' (see @show_list)"});
    EXPECT_EQ(count(net.get("b").lines, "From a [piped]"), 1U);
    EXPECT_TRUE(a.core->done());
    EXPECT_EQ(net.server_lines.back(), "a is deregistered 203.0.113.12:10081");
    EXPECT_EQ(net.server.stats().relayed, 0U); // held until the hole was punched
}

TEST(ClientCore, AServerRestartIsSurvived) {
    network net;
    net.add_host("a", &net.add_nat(nat_kind::cone));
    net.add_host("b", nullptr);
    net.add_host("c", nullptr);
    net.run_for(3s);
    net.type("c", "@exit"); // churn: the old server's list version is now ahead of the new one's
    net.run_for(1s);
    // A new server process: new key, empty registry, list versions from 0 again.
    net.server = netlab::rendezvousd::server_core{{}, {99, 98}};
    net.run_for(12s); // the next refresh meets a stale cookie and registers anew
    EXPECT_EQ(net.server.client_count(), 2U);
    EXPECT_EQ(net.get("a").core->peer_ids(), std::vector<std::string>{"b"});
    EXPECT_EQ(net.get("a").core->list_version(), net.server.list_version());
    auto const resyncs = net.server.stats().resyncs;
    net.run_for(20s);
    EXPECT_EQ(net.server.stats().resyncs, resyncs); // in sync: no resync storm
    net.type("a", "@chat b after the restart");
    net.run_for(2s);
    EXPECT_EQ(count(net.get("b").lines, "From a [after the restart]"), 1U);
}

} // namespace
