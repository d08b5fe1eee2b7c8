#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_paging.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

namespace rv = netlab::rendezvous;
namespace rd = netlab::rendezvousd;
using namespace std::chrono_literals;

rv::endpoint ep(std::uint8_t last, std::uint16_t port = 10081) {
    return rv::endpoint::v4({203, 0, 113, last}, port);
}

// Drives a server_core on a fake clock and keeps what it sent, decoded, per destination.
class ServerCore : public ::testing::Test {
protected:
    rd::server_core server{options(), netlab::siphash_key{1, 2}};
    rd::time_point now{std::chrono::hours{1000}};
    rd::actions out;

    static rd::server_options options() {
        rd::server_options o;
        o.rate_limit = 0;
        o.notice_rate = 0; // pacing has tests of its own (ServerFanOut)
        return o;
    }

    std::vector<std::pair<rv::endpoint, rv::message>> deliver(rv::endpoint const& from,
                                                              rv::message const& m) {
        return deliver_raw(from, rv::encode(m).value());
    }
    std::vector<std::pair<rv::endpoint, rv::message>> deliver_raw(rv::endpoint const& from,
                                                                  rv::bytes const& bytes) {
        out.clear();
        server.on_datagram(from, bytes, now, out);
        return decoded();
    }
    std::vector<std::pair<rv::endpoint, rv::message>> tick(std::chrono::milliseconds dt) {
        now += dt;
        out.clear();
        server.on_timer(now, out);
        return decoded();
    }
    std::vector<std::pair<rv::endpoint, rv::message>> decoded() const {
        std::vector<std::pair<rv::endpoint, rv::message>> v;
        for (auto const& s : out.sends) {
            EXPECT_LE(s.data.size(), rv::max_datagram);
            v.emplace_back(s.to, rv::decode(s.data).value());
        }
        return v;
    }

    /// The full two-step registration (`nonce` in the secret field); returns the secret.
    std::uint64_t join(std::string const& id, rv::endpoint const& from,
                       std::vector<rv::endpoint> privates = {}, std::uint64_t nonce = 0) {
        auto const first = deliver(from, rv::register_request{id, 0, nonce, privates});
        EXPECT_EQ(first.size(), 1U);
        auto const cookie = std::get<rv::challenge>(first.at(0).second).cookie;
        auto const second = deliver(from, rv::register_request{id, cookie, nonce, privates});
        EXPECT_FALSE(second.empty());
        EXPECT_EQ(second.at(0).first, from);
        return std::get<rv::register_ack>(second.at(0).second).secret;
    }
    std::uint64_t cookie(rv::endpoint const& from) const { return server.cookie_for(from, now); }
};

/// True when `m`'s mac is the server's under `secret`.
template <class M>
bool signed_for(M const& m, std::uint64_t secret) {
    auto const input = rv::mac_input(m).value();
    return netlab::siphash24(rv::server_mac_key(secret), input) == m.mac;
}

/// True when `m`'s mac is a direct reply's to a request that carried `secret` and `cookie`.
template <class M>
bool replies_to(M const& m, std::uint64_t secret, std::uint64_t cookie) {
    auto const input = rv::mac_input(m).value();
    return netlab::siphash24(rv::reply_mac_key(secret, cookie), input) == m.mac;
}

template <class T>
std::vector<std::pair<rv::endpoint, T>>
only(std::vector<std::pair<rv::endpoint, rv::message>> const& v) {
    std::vector<std::pair<rv::endpoint, T>> r;
    for (auto const& [to, m] : v)
        if (auto const* p = std::get_if<T>(&m))
            r.emplace_back(to, *p);
    return r;
}

TEST_F(ServerCore, FirstRegisterIsAnsweredByASmallerChallengeOnly) {
    rv::register_request const req{"alice", 0, 0, {ep(1)}};
    auto const request_size = rv::encode(req).value().size();
    auto const r = deliver(ep(9), req);
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].first, ep(9));
    EXPECT_TRUE(std::holds_alternative<rv::challenge>(r[0].second));
    EXPECT_LE(out.sends[0].data.size(), request_size);
    EXPECT_EQ(server.client_count(), 0U);
    EXPECT_TRUE(out.lines.empty());
}

TEST_F(ServerCore, TheChallengeIsSignedWithTheRequestsNonce) {
    std::uint64_t const nonce = 0x5eed5eed5eed5eedULL;
    auto const r = deliver(ep(9), rv::register_request{"alice", 0, nonce, {}});
    ASSERT_EQ(r.size(), 1U);
    auto const& ch = std::get<rv::challenge>(r[0].second);
    EXPECT_EQ(ch.cookie, cookie(ep(9)));
    EXPECT_TRUE(replies_to(ch, nonce, 0));
    EXPECT_FALSE(replies_to(ch, 0, 0)); // not the key everybody knows
    // A refresh with a stale cookie: signed under what that request carried.
    auto const again = deliver(ep(9), rv::register_request{"alice", 12345, nonce, {}});
    EXPECT_TRUE(replies_to(std::get<rv::challenge>(again.at(0).second), nonce, 12345));
}

TEST_F(ServerCore, AnUnknownIdWithANonceIsANewRegistration) {
    std::uint64_t const nonce = 77;
    auto const r = deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), nonce, {}});
    EXPECT_EQ(out.lines, std::vector<std::string>{"alice 203.0.113.1:10081"});
    auto const acks = only<rv::register_ack>(r);
    ASSERT_EQ(acks.size(), 1U);
    EXPECT_NE(acks[0].second.secret, 0U);
    EXPECT_NE(acks[0].second.secret, nonce); // the server issues its own
    EXPECT_TRUE(replies_to(acks[0].second, nonce, cookie(ep(1))));
    EXPECT_EQ(server.client_count(), 1U);
    EXPECT_EQ(server.stats().registrations, 1U);
}

TEST_F(ServerCore, ARestartWithANewNonceFromTheSameEndpointReplacesTheOldRegistration) {
    auto const old = join("alice", ep(1), {}, 1001);
    join("bob", ep(2));
    auto const c = cookie(ep(1));
    auto const acks =
        only<rv::register_ack>(deliver(ep(1), rv::register_request{"alice", c, 2002, {}}));
    ASSERT_EQ(acks.size(), 1U);
    EXPECT_TRUE(replies_to(acks[0].second, 2002, c));
    auto const fresh = acks[0].second.secret;
    EXPECT_NE(fresh, 0U);
    EXPECT_NE(fresh, old);
    // One line that says what happened (not "is deregistered" and then a registration).
    EXPECT_EQ(out.lines,
              std::vector<std::string>{"alice is re-registered 203.0.113.1:10081 (restarted)"});
    EXPECT_EQ(server.client_count(), 2U);
    // The old secret is dead, the new one refreshes.
    auto r = deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), fresh, {}});
    EXPECT_EQ(only<rv::register_ack>(r).at(0).second.secret, fresh);
    EXPECT_TRUE(out.lines.empty());
}

TEST_F(ServerCore, ANonceFromAnotherEndpointCannotTakeALiveId) {
    auto const a = join("alice", ep(1), {}, 1001);
    for (std::uint64_t nonce : {std::uint64_t{1001}, std::uint64_t{3003}}) {
        auto const c = cookie(ep(7));
        auto const r = deliver(ep(7), rv::register_request{"alice", c, nonce, {}});
        ASSERT_EQ(r.size(), 1U);
        auto const& refusal = std::get<rv::refused>(r[0].second);
        EXPECT_EQ(refusal.why, rv::refused::reason::id_taken);
        EXPECT_TRUE(replies_to(refusal, nonce, c));
    }
    EXPECT_TRUE(out.lines.empty());
    EXPECT_EQ(server.client_count(), 1U);
    auto const r = deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), a, {}});
    EXPECT_EQ(only<rv::register_ack>(r).size(), 1U);
}

TEST_F(ServerCore, AForeignCookieIsNotAccepted) {
    auto const r = deliver(ep(9), rv::register_request{"alice", cookie(ep(8)), 0, {}});
    ASSERT_EQ(r.size(), 1U);
    EXPECT_TRUE(std::holds_alternative<rv::challenge>(r[0].second));
    EXPECT_EQ(server.client_count(), 0U);
}

TEST_F(ServerCore, NewIdGetsAckListAndIsAnnouncedAndPrinted) {
    auto const alice = join("alice", ep(1), {rv::endpoint::v4({10, 0, 0, 2}, 10081)});
    EXPECT_NE(alice, 0U);
    EXPECT_EQ(out.lines, std::vector<std::string>{"alice 203.0.113.1:10081"});

    auto const c = cookie(ep(2));
    auto const r = deliver(ep(2), rv::register_request{"bob", c, 0, {}});
    EXPECT_EQ(out.lines, std::vector<std::string>{"bob 203.0.113.2:10081"});
    auto const acks = only<rv::register_ack>(r);
    ASSERT_EQ(acks.size(), 1U);
    EXPECT_EQ(acks[0].first, ep(2));
    EXPECT_EQ(acks[0].second.observed, ep(2));
    EXPECT_NE(acks[0].second.secret, alice);

    auto const pages = only<rv::list_page>(r);
    ASSERT_EQ(pages.size(), 1U);
    EXPECT_EQ(pages[0].first, ep(2));
    ASSERT_EQ(pages[0].second.peers.size(), 1U);
    auto const& a = pages[0].second.peers[0];
    EXPECT_EQ(a.id, "alice");
    EXPECT_EQ(a.public_endpoint, ep(1));
    EXPECT_EQ(a.private_endpoints, std::vector{rv::endpoint::v4({10, 0, 0, 2}, 10081)});
    EXPECT_EQ(pages[0].second.version, acks[0].second.list_version);

    auto const joins = only<rv::peer_joined>(r);
    ASSERT_EQ(joins.size(), 1U);
    EXPECT_EQ(joins[0].first, ep(1));
    EXPECT_EQ(joins[0].second.peer.id, "bob");
    EXPECT_EQ(joins[0].second.version, acks[0].second.list_version);
    // Both sides hold the same pair key.
    EXPECT_EQ(joins[0].second.peer.pair_key, a.pair_key);
    // Each is signed for its recipient.
    EXPECT_TRUE(signed_for(pages[0].second, acks[0].second.secret));
    EXPECT_TRUE(signed_for(joins[0].second, alice));
    EXPECT_FALSE(signed_for(joins[0].second, acks[0].second.secret));
}

TEST_F(ServerCore, PairKeysDifferPerPair) {
    join("a", ep(1));
    join("b", ep(2));
    auto const r = deliver(ep(3), rv::register_request{"c", cookie(ep(3)), 0, {}});
    auto const page = only<rv::list_page>(r).at(0).second;
    ASSERT_EQ(page.peers.size(), 2U);
    EXPECT_NE(page.peers[0].pair_key, page.peers[1].pair_key);
}

TEST_F(ServerCore, RefreshKeepsAliveSilently) {
    auto const secret = join("alice", ep(1));
    now += 20s;
    auto const r = deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), secret, {}});
    ASSERT_EQ(r.size(), 1U);
    EXPECT_TRUE(std::holds_alternative<rv::register_ack>(r[0].second));
    EXPECT_TRUE(out.lines.empty());
    EXPECT_TRUE(tick(20s).empty()); // 40 s after joining, 20 s after the refresh
    EXPECT_EQ(server.client_count(), 1U);
}

TEST_F(ServerCore, SilentClientDisappearsAfterExpiry) {
    join("alice", ep(1));
    join("bob", ep(2));
    EXPECT_EQ(server.next_deadline(), now + 30s);
    now += 10s;
    for (std::uint8_t i = 10; i < 110; ++i) // enough that two notices beat a list (3 pages)
        join(std::string{"later"}.append(std::to_string(i)), ep(i));
    auto const v = server.list_version();
    EXPECT_TRUE(tick(19999ms).empty());
    EXPECT_EQ(server.client_count(), 102U);
    auto const r = tick(1ms);
    EXPECT_EQ(out.lines, (std::vector<std::string>{"alice is disappeared 203.0.113.1:10081",
                                                   "bob is disappeared 203.0.113.2:10081"}));
    EXPECT_EQ(server.client_count(), 100U);
    // Those still there hear of both, in order.
    EXPECT_TRUE(only<rv::list_page>(r).empty());
    auto const left = only<rv::peer_left>(r);
    ASSERT_EQ(left.size(), 200U);
    for (std::size_t i = 0; i < left.size(); i += 2) {
        EXPECT_EQ(left[i].first, left[i + 1].first);
        EXPECT_EQ(left[i].second.id, "alice");
        EXPECT_EQ(left[i].second.version, v + 1);
        EXPECT_EQ(left[i + 1].second.id, "bob");
        EXPECT_EQ(left[i + 1].second.version, v + 2);
    }
    EXPECT_EQ(server.next_deadline(), now + 10s);
    tick(10s);
    EXPECT_FALSE(server.next_deadline());
}

TEST_F(ServerCore, ExpiryFollowsTheLastRefresh) {
    auto const a = join("alice", ep(1));
    now += 10s;
    join("bob", ep(2));
    now += 15s;
    deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), a, {}});
    EXPECT_EQ(server.next_deadline(), now - 15s + 30s); // bob is now the oldest
    tick(15s);
    EXPECT_EQ(out.lines, std::vector<std::string>{"bob is disappeared 203.0.113.2:10081"});
    EXPECT_EQ(server.client_count(), 1U);
}

TEST_F(ServerCore, DeregisterWithSecretRemovesAtOnce) {
    auto const a = join("alice", ep(1));
    auto const b = join("bob", ep(2));
    auto const r = deliver(ep(1), rv::deregister_request{"alice", a});
    EXPECT_EQ(out.lines, std::vector<std::string>{"alice is deregistered 203.0.113.1:10081"});
    EXPECT_EQ(only<rv::deregister_ack>(r).size(), 1U);
    auto const left = only<rv::peer_left>(r);
    ASSERT_EQ(left.size(), 1U);
    EXPECT_EQ(left[0].first, ep(2));
    EXPECT_TRUE(signed_for(left[0].second, b));
    EXPECT_EQ(server.client_count(), 1U);
    // A retransmitted deregister is harmless.
    auto const again = deliver(ep(1), rv::deregister_request{"alice", a});
    EXPECT_EQ(only<rv::deregister_ack>(again).size(), 1U);
    EXPECT_TRUE(out.lines.empty());
}

TEST_F(ServerCore, SpoofedDeregistrationIsRefused) {
    auto const a = join("alice", ep(1));
    for (std::uint64_t bad : {std::uint64_t{0}, a + 1}) {
        auto const r = deliver(ep(1), rv::deregister_request{"alice", bad});
        ASSERT_EQ(r.size(), 1U);
        EXPECT_EQ(std::get<rv::refused>(r[0].second).why, rv::refused::reason::bad_secret);
        EXPECT_TRUE(out.lines.empty());
    }
    EXPECT_EQ(server.client_count(), 1U);
}

TEST_F(ServerCore, TakeOverFromElsewhereIsRefused) {
    auto const a = join("alice", ep(1));
    for (std::uint64_t guess : {std::uint64_t{0}, a ^ 1}) {
        auto const r = deliver(ep(7), rv::register_request{"alice", cookie(ep(7)), guess, {}});
        ASSERT_EQ(r.size(), 1U);
        EXPECT_EQ(std::get<rv::refused>(r[0].second).why, rv::refused::reason::id_taken);
    }
    EXPECT_TRUE(out.lines.empty());
    EXPECT_EQ(server.client_count(), 1U);
    // The owner still refreshes normally.
    auto const r = deliver(ep(1), rv::register_request{"alice", cookie(ep(1)), a, {}});
    EXPECT_EQ(only<rv::register_ack>(r).size(), 1U);
}

TEST_F(ServerCore, NatRebindingWithTheSecretIsAcceptedAndAnnounced) {
    auto const a = join("alice", ep(1, 40000));
    join("bob", ep(2));
    auto const moved = ep(1, 40001);
    auto const r = deliver(moved, rv::register_request{"alice", cookie(moved), a, {}});
    EXPECT_EQ(out.lines, std::vector<std::string>{"alice 203.0.113.1:40001"});
    auto const ack = only<rv::register_ack>(r);
    ASSERT_EQ(ack.size(), 1U);
    EXPECT_EQ(ack[0].first, moved);
    EXPECT_EQ(ack[0].second.secret, a);
    auto const joins = only<rv::peer_joined>(r);
    ASSERT_EQ(joins.size(), 1U);
    EXPECT_EQ(joins[0].first, ep(2));
    EXPECT_EQ(joins[0].second.peer.public_endpoint, moved);
    // alice's own version moved on with a change about herself: she gets the list again.
    auto const pages = only<rv::list_page>(r);
    ASSERT_EQ(pages.size(), 1U);
    EXPECT_EQ(pages[0].first, moved);
    EXPECT_EQ(pages[0].second.version, server.list_version());
    EXPECT_EQ(server.client_count(), 2U);
}

TEST_F(ServerCore, ARestartedClientFromTheSameEndpointReplacesItsOldRegistration) {
    auto const old = join("alice", ep(1));
    auto const fresh = join("alice", ep(1));
    EXPECT_NE(old, fresh);
    EXPECT_EQ(server.client_count(), 1U);
}

TEST_F(ServerCore, NoticesCarryConsecutiveVersionsAndResyncSendsTheList) {
    auto const a = join("alice", ep(1));
    auto const v1 = server.list_version();
    join("bob", ep(2));
    EXPECT_EQ(server.list_version(), v1 + 1);
    auto const r = deliver(ep(1), rv::resync_request{"alice", a});
    auto const pages = only<rv::list_page>(r);
    ASSERT_EQ(pages.size(), 1U);
    EXPECT_EQ(pages[0].second.version, v1 + 1);
    EXPECT_EQ(pages[0].second.peers.at(0).id, "bob");
    // Not twice within a second; and never for a wrong secret or another source.
    EXPECT_TRUE(deliver(ep(1), rv::resync_request{"alice", a}).empty());
    now += 1s;
    EXPECT_EQ(only<rv::refused>(deliver(ep(1), rv::resync_request{"alice", a + 1})).size(), 1U);
    EXPECT_EQ(only<rv::refused>(deliver(ep(5), rv::resync_request{"alice", a})).size(), 1U);
}

TEST_F(ServerCore, AListOfThousandsIsPaged) {
    for (int i = 0; i < 3000; ++i)
        join("client-" + std::to_string(i),
             rv::endpoint::v4(
                 {198, 51, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250)},
                 10081));
    auto const r = deliver(ep(1), rv::register_request{"last", cookie(ep(1)), 0, {}});
    auto const pages = only<rv::list_page>(r);
    EXPECT_GT(pages.size(), 10U);
    std::size_t total = 0;
    for (auto const& [to, p] : pages) {
        EXPECT_EQ(p.page_count, pages.size());
        total += p.peers.size();
    }
    EXPECT_EQ(total, 3000U);
    EXPECT_EQ(only<rv::peer_joined>(r).size(), 3000U);
}

TEST_F(ServerCore, RelayStampsTheVerifiedSender) {
    auto const a = join("alice", ep(1));
    auto const b = join("bob", ep(2));
    auto const r = deliver(ep(1), rv::relay_chat{"alice", a, "bob", 5, "hi"});
    ASSERT_EQ(r.size(), 1U);
    EXPECT_EQ(r[0].first, ep(2));
    auto const& relayed = std::get<rv::relayed_chat>(r[0].second);
    EXPECT_EQ(relayed.from, "alice");
    EXPECT_EQ(relayed.message_id, 5U);
    EXPECT_EQ(relayed.text, "hi");
    EXPECT_TRUE(signed_for(relayed, b)); // bob can tell it is the server's
    EXPECT_FALSE(signed_for(relayed, a));
    auto const back = deliver(ep(2), rv::relay_ack{"bob", b, "alice", 5});
    ASSERT_EQ(back.size(), 1U);
    EXPECT_EQ(back[0].first, ep(1));
    auto const& ack = std::get<rv::relayed_ack>(back[0].second);
    EXPECT_EQ(ack.from, "bob");
    EXPECT_EQ(ack.message_id, 5U);
    EXPECT_TRUE(signed_for(ack, a));
    EXPECT_EQ(server.stats().relayed, 2U);
}

TEST_F(ServerCore, RelayNeedsTheSecretAndTheRegisteredSource) {
    auto const a = join("alice", ep(1));
    join("bob", ep(2));
    // Somebody else claiming to be alice: wrong secret, or right secret from another address.
    for (auto const& [from, secret] :
         std::vector<std::pair<rv::endpoint, std::uint64_t>>{{ep(1), a + 1}, {ep(3), a}}) {
        auto const r = deliver(from, rv::relay_chat{"alice", secret, "bob", 5, "hi"});
        ASSERT_EQ(r.size(), 1U);
        EXPECT_EQ(r[0].first, from);
        EXPECT_TRUE(std::holds_alternative<rv::refused>(r[0].second));
    }
    auto const r = deliver(ep(1), rv::relay_chat{"alice", a, "nobody", 6, "hi"});
    ASSERT_EQ(r.size(), 1U);
    auto const& failed = std::get<rv::relay_failed>(r[0].second);
    EXPECT_EQ(failed.to, "nobody");
    EXPECT_EQ(failed.message_id, 6U);
    EXPECT_TRUE(signed_for(failed, a));
    EXPECT_EQ(server.stats().relayed, 0U);
}

TEST_F(ServerCore, RelayIsRateLimitedPerSender) {
    auto const a = join("alice", ep(1));
    join("bob", ep(2));
    int relayed = 0;
    for (int i = 0; i < 100; ++i)
        relayed += static_cast<int>(
            deliver(ep(1), rv::relay_chat{"alice", a, "bob", static_cast<std::uint64_t>(i), "x"})
                .size());
    EXPECT_EQ(relayed, 40); // the burst: twice the default 20/s
    now += 1s;
    relayed = static_cast<int>(deliver(ep(1), rv::relay_chat{"alice", a, "bob", 200, "x"}).size());
    EXPECT_EQ(relayed, 1);
}

TEST_F(ServerCore, MalformedAndUnexpectedDatagramsAreCountedAndDropped) {
    join("alice", ep(1));
    for (auto const& junk : {rv::bytes{}, rv::bytes{'N', 'R', 1}, rv::bytes{'G', 'E', 'T', ' '},
                             rv::bytes{'N', 'R', 1, 1, 200}, rv::bytes(1500, 0xff)})
        EXPECT_TRUE(deliver_raw(ep(5), junk).empty());
    EXPECT_EQ(server.stats().malformed, 5U);
    EXPECT_TRUE(deliver(ep(5), rv::probe{"x", "alice", 1, 2}).empty());
    EXPECT_TRUE(deliver(ep(5), rv::peer_left{1, "alice"}).empty());
    EXPECT_EQ(server.stats().unexpected, 2U);
    EXPECT_EQ(server.client_count(), 1U);
}

TEST_F(ServerCore, RepliesToUnverifiedSourcesAreNeverLarger) {
    join("alice", ep(1));
    std::vector<rv::message> const requests{
        rv::register_request{"a", 0, 0, {}}, rv::register_request{"alice", 0, 1, {}},
        rv::deregister_request{"alice", 1},  rv::deregister_request{"x", 1},
        rv::resync_request{"alice", 1},      rv::relay_chat{"alice", 1, "alice", 1, ""},
        rv::relay_ack{"alice", 1, "x", 1}};
    for (auto const& m : requests) {
        auto const bytes = rv::encode(m).value();
        deliver_raw(ep(66), bytes);
        for (auto const& s : out.sends)
            EXPECT_LE(s.data.size(), bytes.size()) << "request type " << m.index() + 1;
    }
}

TEST(ServerRateLimit, FloodFromOneAddressIsCutOff) {
    rd::server_options o;
    o.rate_limit = 10;
    rd::server_core server{o, {3, 4}};
    rd::actions out;
    rd::time_point const now{std::chrono::hours{1}};
    auto const bytes = rv::encode(rv::register_request{"a", 0, 0, {}}).value();
    for (int i = 0; i < 100; ++i)
        server.on_datagram(ep(1, static_cast<std::uint16_t>(1000 + i)), bytes, now, out);
    EXPECT_EQ(out.sends.size(), 20U); // burst of twice the rate
    EXPECT_EQ(server.stats().rate_limited, 80U);
    out.clear();
    server.on_datagram(ep(2), bytes, now, out); // other addresses are not affected
    EXPECT_EQ(out.sends.size(), 1U);
    out.clear();
    server.on_datagram(ep(1), bytes, now + 1s, out);
    EXPECT_EQ(out.sends.size(), 1U);
}

TEST(ServerRateLimit, ARateBelowHalfADatagramPerSecondStillAdmits) {
    rd::server_options o;
    o.rate_limit = 0.25; // one datagram per 4 s
    rd::server_core server{o, {3, 4}};
    rd::actions out;
    rd::time_point const now{std::chrono::hours{1}};
    auto const bytes = rv::encode(rv::register_request{"a", 0, 0, {}}).value();
    server.on_datagram(ep(1), bytes, now, out);
    EXPECT_EQ(out.sends.size(), 1U);
    server.on_datagram(ep(1), bytes, now + 1s, out);
    EXPECT_EQ(out.sends.size(), 1U); // not yet
    server.on_datagram(ep(1), bytes, now + 5s, out);
    EXPECT_EQ(out.sends.size(), 2U);
}

TEST_F(ServerCore, StatsLineReportsTheRelayCounter) {
    EXPECT_EQ(server.stats_line().rfind("stats clients=0 ", 0), 0U);
    EXPECT_NE(server.stats_line().find(" relayed=0"), std::string::npos);
}

// What a client makes of the server's lists and notices, as peerchat's core does: a notice
// applies only on top of the version before it; a list of all its pages replaces everything.
struct replica {
    std::uint32_t version = 0;
    bool have_list = false;
    bool gap = false;
    std::set<std::string> peers;
    std::map<std::uint16_t, rv::list_page> pages;

    void apply(rv::message const& m) {
        if (auto const* p = std::get_if<rv::list_page>(&m)) {
            if (!pages.empty() && pages.begin()->second.version != p->version)
                pages.clear();
            pages[p->page] = *p;
            if (pages.size() == p->page_count) {
                peers.clear();
                for (auto const& [n, page] : pages)
                    for (auto const& e : page.peers)
                        peers.insert(e.id);
                version = p->version;
                have_list = true;
                gap = false;
                pages.clear();
            }
        } else if (auto const* j = std::get_if<rv::peer_joined>(&m)) {
            step(j->version) && peers.insert(j->peer.id).second;
        } else if (auto const* l = std::get_if<rv::peer_left>(&m)) {
            step(l->version) && peers.erase(l->id);
        }
    }
    bool step(std::uint32_t v) {
        if (!have_list || v != version + 1) {
            gap = true;
            return false;
        }
        version = v;
        return true;
    }
};

// A registration storm costs bandwidth at the notice rate, not memory per change: clients
// that fall behind get what they missed in one go, and in the end everyone agrees.
TEST(ServerFanOut, AStormIsPacedAndEveryoneConverges) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 2000;
    rd::server_core server{o, netlab::siphash_key{5, 6}};
    rd::time_point now{std::chrono::hours{1000}};
    rd::actions out;
    std::map<rv::endpoint, std::string> who;
    std::map<std::string, replica> replicas;
    std::size_t sent = 0;
    auto const take = [&] {
        for (auto const& s : out.sends) {
            ++sent;
            auto const m = rv::decode(s.data).value();
            if (who.contains(s.to))
                replicas[who[s.to]].apply(m);
        }
        out.clear();
    };
    constexpr int n = 400;
    for (int i = 0; i < n; ++i) { // all at the same instant: no budget refills meanwhile
        auto const from = rv::endpoint::v4({198, 51, 100, static_cast<std::uint8_t>(i % 250)},
                                           static_cast<std::uint16_t>(20000 + i));
        auto const id = std::string{"c"}.append(std::to_string(i));
        who[from] = id;
        server.on_datagram(
            from, rv::encode(rv::register_request{id, server.cookie_for(from, now), 0, {}}).value(),
            now, out);
        take();
    }
    EXPECT_EQ(server.client_count(), std::size_t{n});
    EXPECT_GT(server.lagging(), 0U);
    // One second's burst plus at most one list beyond it went out; no more until time passes.
    auto const burst = sent - n; // minus the acks
    EXPECT_GE(burst, 2000U);
    EXPECT_LT(burst, 2000U + n);
    // Let time pass, as the daemon does: on_timer at next_deadline.
    auto const start = now;
    for (int step = 0; step < 10'000 && server.lagging() > 0; ++step) {
        auto const at = server.next_deadline();
        ASSERT_TRUE(at);
        now = std::max(now, *at);
        server.on_timer(now, out);
        take();
    }
    EXPECT_EQ(server.lagging(), 0U);
    auto const seconds = std::chrono::duration<double>(now - start).count();
    // Paced: no more than the rate allows (plus the burst and one list's overdraft).
    EXPECT_LE(static_cast<double>(sent - n), 2000 * (seconds + 1) + n);
    // Coalesced: far fewer than one notice per join per client (n^2/2 = 80,000).
    EXPECT_LT(sent, std::size_t{n} * n / 4);
    for (auto const& [id, r] : replicas) {
        EXPECT_TRUE(r.have_list) << id;
        EXPECT_EQ(r.version, server.list_version()) << id;
        EXPECT_EQ(r.peers.size(), std::size_t{n - 1}) << id;
        EXPECT_FALSE(r.peers.contains(id)) << id;
    }
    EXPECT_EQ(replicas.size(), std::size_t{n});
}

// A join in a large registry goes out in slices between other datagrams, each call bounded.
TEST(ServerFanOut, ALargeFanOutIsSlicedAcrossCalls) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;         // unlimited: only the slicing applies
    o.max_sends_per_call = 50; // small, to keep the test quick
    rd::server_core server{o, netlab::siphash_key{7, 8}};
    rd::time_point now{std::chrono::hours{1000}};
    rd::actions out;
    auto const reg = [&](int i) {
        auto const from = rv::endpoint::v4(
            {198, 51, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250)},
            10081);
        server.on_datagram(
            from,
            rv::encode(rv::register_request{std::string{"c"}.append(std::to_string(i)),
                                            server.cookie_for(from, now),
                                            0,
                                            {}})
                .value(),
            now, out);
    };
    constexpr int n = 300;
    for (int i = 0; i < n; ++i) {
        reg(i);
        for (int guard = 0; guard < 100 && server.lagging() > 0; ++guard) // settle each join
            server.on_timer(now, out);
        out.clear();
    }
    reg(n);
    auto const slice = out.sends.size();
    EXPECT_LE(slice, o.max_sends_per_call + 1); // + the ack
    EXPECT_GT(server.lagging(), 0U);
    EXPECT_LE(server.next_deadline(), now); // more to do at once
    std::size_t joins = 0;
    for (int guard = 0; guard < 100 && server.lagging() > 0; ++guard) {
        for (auto const& s : out.sends)
            joins += rv::decode(s.data).value().index() + 1 == 6; // peer_joined
        out.clear();
        server.on_timer(now, out);
    }
    for (auto const& s : out.sends)
        joins += rv::decode(s.data).value().index() + 1 == 6;
    EXPECT_EQ(joins, std::size_t{n});
    EXPECT_EQ(server.lagging(), 0U);
}

// On a multi-homed host each client hears the server from the address it talks to: replies
// leave from the request's local address, notices from the one the recipient registered with.
TEST(ServerLocalAddress, RepliesAndNoticesLeaveFromTheClientsServerAddress) {
    rd::server_options o;
    o.rate_limit = 0;
    rd::server_core server{o, netlab::siphash_key{1, 2}};
    rd::time_point const now{std::chrono::hours{1000}};
    rd::actions out;
    auto const reg = [&](std::string const& id, rv::endpoint const& from, rd::local_tag local) {
        out.clear();
        auto const cookie = server.cookie_for(from, now);
        server.on_datagram(from, rv::encode(rv::register_request{id, cookie, 0, {}}).value(), now,
                           out, local);
    };
    reg("a", ep(1), 7);
    reg("b", ep(2), 9);
    ASSERT_FALSE(out.sends.empty());
    for (auto const& s : out.sends)
        EXPECT_EQ(s.from, s.to == ep(1) ? 7U : 9U) << s.to.to_string();
    EXPECT_TRUE(std::any_of(out.sends.begin(), out.sends.end(),
                            [](auto const& s) { return s.to == ep(1); })); // b's join, to a
    // A challenge (no valid cookie) is a reply too.
    out.clear();
    server.on_datagram(ep(3), rv::encode(rv::register_request{"c", 0, 0, {}}).value(), now, out, 5);
    ASSERT_EQ(out.sends.size(), 1U);
    EXPECT_EQ(out.sends[0].from, 5U);
}

// ==== Review: the paced fan-out against strict client models ===============================
//
// Each registration gets a model client that checks everything it is sent as a strict client
// would (mac under its secret, notices only at version + 1, lists only as whole lists of one
// version, never a notice about itself), and the registry is rebuilt from the server's own
// output lines. Random operations (joins, refreshes, rebindings, restarts, deregistrations,
// resyncs, expiries, held notices) on a fake clock with a small budget and small slices; at
// each quiescence every client must hold exactly the registry minus itself at list_version().

struct strict_replica {
    std::string id;
    std::uint64_t secret = 0;
    std::uint32_t version = 0;
    bool have_list = false;
    int gaps = 0;           ///< notices it could not apply
    int forged = 0;         ///< not signed under its secret
    int self_notices = 0;   ///< a notice about itself
    int torn_lists = 0;     ///< a list abandoned half-way or a page twice
    int regressions = 0;    ///< a list older than what it had
    bool owed_list = false; ///< its resync was accepted and no list has come since
    int lists = 0;          ///< whole lists received
    std::map<std::string, rv::peer_entry> peers;
    std::map<std::uint16_t, rv::list_page> pages;

    void apply(rv::message const& m) {
        if (auto const* p = std::get_if<rv::list_page>(&m)) {
            if (!signed_for(*p, secret))
                return void(++forged);
            on_page(*p);
        } else if (auto const* j = std::get_if<rv::peer_joined>(&m)) {
            if (!signed_for(*j, secret))
                return void(++forged);
            if (j->peer.id == id)
                ++self_notices;
            if (step(j->version))
                peers[j->peer.id] = j->peer;
        } else if (auto const* l = std::get_if<rv::peer_left>(&m)) {
            if (!signed_for(*l, secret))
                return void(++forged);
            if (step(l->version))
                peers.erase(l->id);
        }
    }
    void on_page(rv::list_page const& p) {
        if (!pages.empty() && (pages.begin()->second.version != p.version ||
                               pages.begin()->second.page_count != p.page_count)) {
            ++torn_lists;
            pages.clear();
        }
        if (!pages.emplace(p.page, p).second)
            ++torn_lists;
        if (pages.size() != p.page_count)
            return;
        if (have_list && static_cast<std::int32_t>(p.version - version) < 0)
            ++regressions;
        peers.clear();
        for (auto const& [n, page] : pages)
            for (auto const& e : page.peers)
                peers[e.id] = e;
        version = p.version;
        have_list = true;
        owed_list = false;
        ++lists;
        pages.clear();
    }
    bool step(std::uint32_t v) {
        if (!have_list || v != version + 1) {
            ++gaps;
            return false;
        }
        version = v;
        return true;
    }
};

class fan_out_harness {
public:
    explicit fan_out_harness(rd::server_options o, std::uint64_t seed = 1)
        : options{o}
        , server{o, netlab::siphash_key{seed, ~seed}} {}

    rd::server_options options;
    rd::server_core server;
    rd::time_point now{std::chrono::hours{1000}};
    rd::actions out;
    struct registered {
        rv::endpoint pub;
        std::vector<rv::endpoint> privs;
    };
    std::map<std::string, registered> registry; ///< as the server's lines tell it
    std::map<std::string, strict_replica> replicas;
    std::size_t fan_out = 0; ///< lists' pages and notices sent
    std::size_t lists = 0;
    std::size_t largest_catch_up = 0; ///< datagrams to one client in one call, at most
    std::size_t stalls = 0;           ///< consecutive calls at a due deadline that did nothing

    /// Handles one datagram; returns the register_ack, if any.
    std::optional<rv::register_ack> datagram(rv::endpoint const& from, rv::message const& m) {
        if (auto const* r = std::get_if<rv::register_request>(&m))
            request_privs_ = r->private_endpoints;
        out.clear();
        server.on_datagram(from, rv::encode(m).value(), now, out);
        return take(from);
    }
    void timer() {
        out.clear();
        server.on_timer(now, out);
        take(std::nullopt);
    }
    void pump() {
        out.clear();
        server.pump(now, out);
        take(std::nullopt);
    }

    /// Runs the timer as the daemon does until nobody lags (time moves to each deadline).
    void settle() {
        server.hold_notices(false);
        for (int i = 0; i < 200'000 && server.lagging() > 0; ++i) {
            auto const at = server.next_deadline();
            ASSERT_TRUE(at) << "clients lag but the server wants no timer";
            bool const due = *at <= now;
            now = std::max(now, *at);
            auto const lagging = server.lagging();
            timer();
            if (due && out.sends.empty() && out.lines.empty() && server.lagging() == lagging)
                ++stalls; // the daemon would wake up for nothing: once may be rounding
            else
                stalls = 0;
            ASSERT_LT(stalls, 2U) << "the timer is due again and again with nothing to do";
        }
        ASSERT_EQ(server.lagging(), 0U);
        check_converged();
    }

    void check_converged() {
        ASSERT_EQ(server.client_count(), registry.size());
        ASSERT_EQ(replicas.size(), registry.size());
        for (auto const& [id, r] : replicas) {
            EXPECT_TRUE(r.have_list) << id;
            EXPECT_EQ(r.version, server.list_version()) << id;
            EXPECT_EQ(r.peers.size() + 1, registry.size()) << id;
            for (auto const& [pid, e] : r.peers) {
                auto const it = registry.find(pid);
                if (it == registry.end()) {
                    ADD_FAILURE() << id << " still lists " << pid;
                    continue;
                }
                EXPECT_EQ(e.public_endpoint, it->second.pub) << id << " about " << pid;
                EXPECT_EQ(e.private_endpoints, it->second.privs) << id << " about " << pid;
                // Both sides of a pair hold the same key.
                auto const other = replicas.find(pid);
                if (other != replicas.end() && other->second.peers.contains(id)) {
                    EXPECT_EQ(e.pair_key, other->second.peers.at(id).pair_key)
                        << id << " and " << pid;
                }
            }
            EXPECT_FALSE(r.peers.contains(id)) << id;
        }
        check_clean();
    }
    /// Clients that are not up to date, as the models see it: what lagging() must say.
    std::size_t lagging_models() const {
        return static_cast<std::size_t>(
            std::count_if(replicas.begin(), replicas.end(), [&](auto const& kv) {
                auto const& r = kv.second;
                return !r.have_list || r.owed_list || r.version != server.list_version();
            }));
    }
    void check_clean() const {
        for (auto const& [id, r] : replicas) {
            EXPECT_EQ(r.gaps, 0) << id;
            EXPECT_EQ(r.forged, 0) << id;
            EXPECT_EQ(r.self_notices, 0) << id;
            EXPECT_EQ(r.torn_lists, 0) << id;
            EXPECT_EQ(r.regressions, 0) << id;
        }
    }

private:
    std::vector<rv::endpoint> request_privs_;

    static bool fan_out_type(rv::message const& m) {
        return std::holds_alternative<rv::list_page>(m) ||
               std::holds_alternative<rv::peer_joined>(m) ||
               std::holds_alternative<rv::peer_left>(m);
    }

    std::optional<rv::register_ack> take(std::optional<rv::endpoint> const& request_from) {
        bool changed = false; // the request joined or rebound someone
        for (auto const& line : out.lines) {
            std::vector<std::string> words;
            for (std::size_t at = 0; at <= line.size();) {
                auto const sp = std::min(line.find(' ', at), line.size());
                words.push_back(line.substr(at, sp - at));
                at = sp + 1;
            }
            // "<id> is re-registered <ep> (restarted)": the old registration goes, and the
            // same endpoint registers anew.
            bool const restart = words.size() == 5 && words[1] == "is" &&
                                 words[2] == "re-registered" && words[4] == "(restarted)";
            bool const removal = words.size() == 4 && words[1] == "is";
            if (removal || restart) {
                EXPECT_TRUE(registry.contains(words[0])) << line;
                EXPECT_EQ(registry[words[0]].pub.to_string(), words[3]) << line;
                registry.erase(words[0]);
                replicas.erase(words[0]);
                if (removal)
                    continue;
                words = {words[0], words[3]}; // then as "<id> <ep>"
            }
            if (words.size() == 2 && request_from) {
                EXPECT_EQ(request_from->to_string(), words[1]) << line;
                if (!registry.contains(words[0])) { // a new registration
                    replicas[words[0]] = strict_replica{};
                    replicas[words[0]].id = words[0];
                } else {
                    replicas[words[0]].owed_list = true; // a rebinding: its own change
                }
                registry[words[0]] = registered{*request_from, request_privs_};
                changed = true;
            } else {
                ADD_FAILURE() << "unexpected line: " << line;
            }
        }
        std::optional<rv::register_ack> ack;
        std::vector<std::pair<rv::endpoint, std::pair<rv::message, rv::bytes>>> fan;
        for (auto const& s : out.sends) {
            EXPECT_LE(s.data.size(), rv::max_datagram);
            auto m = rv::decode(s.data);
            if (!m) {
                ADD_FAILURE() << "undecodable datagram: " << m.error().message();
                continue;
            }
            if (fan_out_type(*m)) {
                fan.push_back({s.to, {std::move(*m), s.data}});
                continue;
            }
            EXPECT_TRUE(request_from && s.to == *request_from) << "a reply to nobody";
            if (auto const* a = std::get_if<rv::register_ack>(&*m))
                ack = *a;
        }
        if (ack) {
            for (auto& [id, r] : replicas) {
                if (registry.at(id).pub != *request_from)
                    continue;
                r.secret = ack->secret;
                // A refresh's ack says what it should have by now (nothing was lost): the
                // client's rule "resync when they differ" must not fire.
                if (!changed && r.have_list && !r.owed_list) {
                    EXPECT_EQ(ack->list_version, r.version) << id << " would resync";
                }
            }
        }
        // One slice: fewer than max_sends_per_call before the last client's datagrams began.
        if (!fan.empty()) {
            auto run = fan.size() - 1;
            while (run > 0 && fan[run - 1].first == fan.back().first)
                --run;
            EXPECT_LT(run, std::max<std::size_t>(1, options.max_sends_per_call))
                << "a pump call sent " << fan.size();
            largest_catch_up = std::max(largest_catch_up, fan.size() - run);
        }
        fan_out += fan.size();
        for (std::size_t i = 0; i < fan.size();) {
            auto const& to = fan[i].first;
            auto const it = std::find_if(registry.begin(), registry.end(),
                                         [&](auto const& kv) { return kv.second.pub == to; });
            if (it == registry.end()) {
                ADD_FAILURE() << "a notice or list for " << to.to_string() << ", not registered";
                ++i;
                continue;
            }
            auto& r = replicas[it->first];
            if (std::holds_alternative<rv::list_page>(fan[i].second.first)) {
                // A whole list in one call, byte for byte what wire::paginate makes of it.
                auto const& first = std::get<rv::list_page>(fan[i].second.first);
                std::vector<rv::peer_entry> entries;
                std::size_t n = 0;
                for (; i + n < fan.size() && n < first.page_count; ++n) {
                    auto const* p = std::get_if<rv::list_page>(&fan[i + n].second.first);
                    if (p == nullptr || fan[i + n].first != to || p->page != n ||
                        p->version != first.version || p->page_count != first.page_count)
                        break;
                    entries.insert(entries.end(), p->peers.begin(), p->peers.end());
                }
                EXPECT_EQ(n, first.page_count) << "a list split across calls or out of order";
                auto const pages = rv::paginate(first.version, entries);
                EXPECT_EQ(pages.size(), n);
                for (std::size_t k = 0; k < std::min(n, pages.size()); ++k) {
                    auto bytes = rv::encode(pages[k]).value();
                    auto const mac = netlab::siphash24(rv::server_mac_key(r.secret),
                                                       std::span{bytes.data(), bytes.size() - 8});
                    for (std::size_t b = 0; b < 8; ++b)
                        bytes[bytes.size() - 8 + b] =
                            static_cast<std::uint8_t>(mac >> (56 - 8 * b));
                    EXPECT_EQ(bytes, fan[i + k].second.second) << "page " << k;
                }
                ++lists;
                for (std::size_t k = 0; k < std::max<std::size_t>(n, 1); ++k)
                    r.apply(fan[i + k].second.first);
                i += std::max<std::size_t>(n, 1);
            } else {
                r.apply(fan[i].second.first);
                ++i;
            }
        }
        return ack;
    }
};

// A client program: its address is its own (no two share one), its port moves on rebinding.
struct actor {
    std::string id;
    rv::endpoint ep;
    std::vector<rv::endpoint> privs;
    std::uint64_t secret = 0; ///< the last one it was issued (may be dead by now)
};

rv::endpoint actor_endpoint(std::size_t i, bool v6, std::uint16_t port) {
    if (!v6)
        return rv::endpoint::v4(
            {198, 51, static_cast<std::uint8_t>(100 + i / 250), static_cast<std::uint8_t>(i % 250)},
            port);
    std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
    a[14] = static_cast<std::uint8_t>(i >> 8U);
    a[15] = static_cast<std::uint8_t>(i & 0xffU);
    return rv::endpoint::v6(a, port);
}

struct random_run {
    std::uint64_t seed;
    std::size_t actors;
    double notice_rate;
    std::size_t max_sends_per_call;
    int operations;
};

void run_random(random_run const& cfg) {
    SCOPED_TRACE("seed " + std::to_string(cfg.seed));
    rd::server_options o;
    o.rate_limit = 0;
    o.relay_rate = 0;
    o.notice_rate = cfg.notice_rate;
    o.max_sends_per_call = cfg.max_sends_per_call;
    fan_out_harness h{o, cfg.seed};
    std::mt19937_64 rng{cfg.seed};
    auto const pick = [&](std::size_t n) {
        return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>{0, n - 1}(rng));
    };
    auto const privates = [&] {
        std::vector<rv::endpoint> v;
        for (std::size_t k = pick(5); k > 0; --k)
            v.push_back(actor_endpoint(pick(4000), pick(2) == 0,
                                       static_cast<std::uint16_t>(1 + pick(60000))));
        return v;
    };
    std::vector<actor> actors;
    for (std::size_t i = 0; i < cfg.actors; ++i) {
        // Ids of every length: fat entries make lists of several pages.
        std::string id{"a"};
        id.append(std::to_string(i)).push_back('-');
        id.resize(std::min<std::size_t>(rv::max_id_length, id.size() + pick(30)), 'x');
        actors.push_back(
            {id, actor_endpoint(i, pick(3) == 0, static_cast<std::uint16_t>(1000 + pick(999))),
             privates(), 0});
    }
    auto const reg = [&](actor& a, std::uint64_t secret_field) {
        auto cookie = h.server.cookie_for(a.ep, h.now);
        if (pick(8) == 0) { // the full two-step now and then
            h.datagram(a.ep, rv::register_request{a.id, 0, secret_field, a.privs});
            auto const m = rv::decode(h.out.sends.at(0).data).value();
            ASSERT_TRUE(std::holds_alternative<rv::challenge>(m));
            cookie = std::get<rv::challenge>(m).cookie;
        }
        if (auto const ack =
                h.datagram(a.ep, rv::register_request{a.id, cookie, secret_field, a.privs}))
            a.secret = ack->secret;
    };
    bool held = false;
    auto const start = h.now;
    for (int op = 0; op < cfg.operations && !::testing::Test::HasFailure(); ++op) {
        auto& a = actors[pick(actors.size())];
        auto const kind = pick(16);
        switch (kind) {
        case 0:
        case 1:
        case 2: // join, or refresh (a new registration if it expired or left meanwhile)
            reg(a, a.secret != 0 ? a.secret : rng() | 1U);
            break;
        case 3: // NAT rebinding
            a.ep.port = static_cast<std::uint16_t>(a.ep.port == 65535 ? 1000 : a.ep.port + 1);
            reg(a, a.secret != 0 ? a.secret : rng() | 1U);
            break;
        case 4: // new interfaces
            a.privs = privates();
            reg(a, a.secret != 0 ? a.secret : rng() | 1U);
            break;
        case 5: // restart from the same endpoint: a fresh nonce, the old registration goes
            reg(a, rng() | 1U);
            break;
        case 6:
            h.datagram(a.ep, rv::deregister_request{a.id, a.secret});
            break;
        case 7:
        case 8: { // resync (at most one a second passes)
            auto const accepted = h.server.stats().resyncs;
            auto const lists_before = h.replicas.contains(a.id) ? h.replicas[a.id].lists : 0;
            h.datagram(a.ep, rv::resync_request{a.id, a.secret});
            if (h.server.stats().resyncs != accepted && h.replicas[a.id].lists == lists_before)
                h.replicas[a.id].owed_list = true; // not served in this call: owed
            break;
        }
        case 9: // a forged resync
            h.datagram(a.ep, rv::resync_request{a.id, a.secret + 1});
            break;
        case 10:
        case 11: // time passes, the timer runs
            h.now += std::chrono::milliseconds{pick(pick(20) == 0 ? 40'000 : 1500)};
            h.timer();
            break;
        case 12: // the timer, when it asks for it
            if (auto const at = h.server.next_deadline(); at && *at <= h.now + 200ms) {
                h.now = std::max(h.now, *at);
                h.timer();
            }
            break;
        case 13: // the socket buffer fills up or drains
            held = pick(3) == 0;
            h.server.hold_notices(held);
            if (!held)
                h.pump();
            break;
        case 14: // everyone refreshes (keeps a crowd alive)
            for (auto& b : actors)
                if (b.secret != 0)
                    reg(b, b.secret);
            break;
        case 15:
            if (pick(6) == 0) {
                held = false;
                h.settle();
            }
            break;
        }
        EXPECT_EQ(h.server.lagging(), h.lagging_models())
            << "operation " << op << " kind " << kind << " on " << a.id << " version "
            << h.server.list_version();
        if (!held && h.server.lagging() > 0) {
            EXPECT_TRUE(h.server.next_deadline());
        }
        h.check_clean();
    }
    h.settle();
    EXPECT_GT(h.lists, 0U);
    if (cfg.notice_rate > 0) {
        // Paced: the budget may be overdrawn by one client's catch-up, never more.
        auto const seconds = std::chrono::duration<double>(h.now - start).count();
        EXPECT_LE(static_cast<double>(h.fan_out),
                  cfg.notice_rate * (1 + seconds) + static_cast<double>(h.largest_catch_up));
    }
}

TEST(ServerFanOutReview, RandomOperationsConvergeWithAnUnlimitedBudget) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed)
        run_random({seed, 24, 0, 4096, 3000});
}

TEST(ServerFanOutReview, RandomOperationsConvergeInTinySlices) {
    for (std::uint64_t seed = 11; seed <= 16; ++seed)
        run_random({seed, 24, 0, 1 + seed % 3, 3000});
}

TEST(ServerFanOutReview, RandomOperationsConvergeOnASmallBudget) {
    for (std::uint64_t seed = 21; seed <= 26; ++seed)
        run_random({seed, 40, seed % 2 == 0 ? 25.0 : 300.0, 5, 3000});
}

TEST(ServerFanOutReview, RandomOperationsConvergeWithManyClients) {
    run_random({31, 150, 2000, 64, 2000});
}

// The budget's next token is due at a time the pump agrees has come: the timer never wakes
// up to find the budget a hair short, again and again at the same instant (a busy loop on a
// clock that has not moved on).
TEST(ServerFanOutReview, TheNextTokenIsDueWhenThePumpCanSpendIt) {
    for (double const rate : {3.0, 7.0, 11.0, 13.0, 25.0, 33.3, 97.0, 300.0, 999.0, 50'000.0}) {
        SCOPED_TRACE(rate);
        rd::server_options o;
        o.rate_limit = 0;
        o.notice_rate = rate;
        fan_out_harness h{o};
        for (int i = 0; i < 60; ++i) {
            auto const from = actor_endpoint(static_cast<std::size_t>(i), false, 4000);
            h.datagram(from, rv::register_request{std::string{"n"}.append(std::to_string(i)),
                                                  h.server.cookie_for(from, h.now),
                                                  7,
                                                  {}});
        }
        int wasted = 0;
        for (int i = 0; i < 100'000 && h.server.lagging() > 0; ++i) {
            auto const at = h.server.next_deadline();
            ASSERT_TRUE(at);
            h.now = std::max(h.now, *at);
            h.timer();
            wasted += h.out.sends.empty() ? 1 : 0;
        }
        EXPECT_EQ(h.server.lagging(), 0U);
        EXPECT_EQ(wasted, 0) << "timer calls that found no token to spend";
        h.check_converged();
    }
}

// --notice-rate 0.5 is a valid setting (one datagram every two seconds): the budget must still
// hold a whole token now and then, or nobody would ever hear of anything.
TEST(ServerFanOutReview, ARateBelowOnePerSecondStillDelivers) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0.5;
    fan_out_harness h{o};
    for (std::size_t i = 0; i < 3; ++i) {
        auto const from = actor_endpoint(i, false, 4000);
        h.datagram(from, rv::register_request{std::string{"s"}.append(std::to_string(i)),
                                              h.server.cookie_for(from, h.now),
                                              7,
                                              {}});
    }
    auto const start = h.now;
    h.settle();
    EXPECT_EQ(h.server.client_count(), 3U); // told before they expired
    EXPECT_EQ(h.fan_out, 4U);               // a list each, s0 twice (its second beats two notices)
    EXPECT_LE(h.now - start, 6s);
    EXPECT_GE(h.now - start, 2s * static_cast<int>(h.fan_out - 1));
}

// Clients held back through more changes than the log keeps get the whole list, never notices
// they cannot apply; the one that rebinds thousands of times among them too.
TEST(ServerFanOutReview, ClientsThatLagBeyondTheLogGetTheList) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    o.expiry = std::chrono::hours{1};
    fan_out_harness h{o};
    std::vector<actor> actors;
    for (std::size_t i = 0; i < 4; ++i) {
        actors.push_back({std::string{"log"}.append(std::to_string(i)),
                          actor_endpoint(i, i % 2 == 1, 5000),
                          {},
                          0});
        auto& a = actors.back();
        a.secret = h.datagram(a.ep, rv::register_request{a.id, h.server.cookie_for(a.ep, h.now), 11,
                                                         a.privs})
                       ->secret;
    }
    h.settle();
    auto const lists = h.lists;
    auto const fan_out = h.fan_out;
    h.server.hold_notices(true); // the socket buffer is full for a long while
    auto& mover = actors[0];
    for (int i = 0; i < 5000; ++i) {
        mover.ep.port = static_cast<std::uint16_t>(6000 + i % 2);
        h.datagram(mover.ep, rv::register_request{mover.id, h.server.cookie_for(mover.ep, h.now),
                                                  mover.secret, mover.privs});
    }
    EXPECT_EQ(h.fan_out, fan_out); // nothing went out while held
    EXPECT_EQ(h.server.lagging(), 4U);
    h.settle();
    EXPECT_EQ(h.lists, lists + 4);
    // And a client within reach of the log gets notices: one change only.
    auto& other = actors[1];
    other.ep.port = 5001;
    h.datagram(other.ep, rv::register_request{other.id, h.server.cookie_for(other.ep, h.now),
                                              other.secret, other.privs});
    h.settle();
    EXPECT_EQ(h.lists, lists + 5); // the list for the rebound one itself; notices for the rest
}

// A page filled to the last byte (1200) is sent whole and decodes; the next entry starts a page.
TEST(ServerFanOutReview, APageCanBeExactlyFull) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    fan_out_harness h{o};
    // Entries of 131 bytes: 1 + 26 (id) + 8 (key) + 19 (IPv6 public) + 1 + 4 * 19 (private):
    // nine of them and the page header (21 bytes) make exactly 1200.
    std::vector<rv::endpoint> privs;
    for (std::uint16_t k = 1; k <= 4; ++k)
        privs.push_back(actor_endpoint(900 + k, true, k));
    for (std::size_t i = 0; i < 11; ++i) {
        std::string id{"fit"};
        id.append(std::to_string(i)).resize(26, '.');
        auto const from = actor_endpoint(i, true, 7000);
        h.datagram(from, rv::register_request{id, h.server.cookie_for(from, h.now), 3, privs});
    }
    std::vector<std::size_t> sizes; // of the list the last one got
    for (auto const& s : h.out.sends)
        if (s.to == actor_endpoint(10, true, 7000) && rv::peek_type(s.data) == 5)
            sizes.push_back(s.data.size());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{1200, 21 + 131}));
    h.settle();
}

// Page numbers past 255 (two bytes on the wire) in a list assembled by hand: same bytes as
// wire::paginate's pages.
TEST(ServerFanOutReview, AListOfMoreThan256PagesIsNumberedRight) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    o.max_sends_per_call = 1; // one client's list per call
    fan_out_harness h{o};
    std::vector<rv::endpoint> privs;
    for (std::uint16_t k = 1; k <= 4; ++k)
        privs.push_back(actor_endpoint(9000 + k, true, k));
    h.server.hold_notices(true); // no fan-out while they join
    constexpr std::size_t n = 2400;
    for (std::size_t i = 0; i < n; ++i) {
        std::string id{"many"};
        id.append(std::to_string(i)).resize(32, '-');
        auto const from = actor_endpoint(i, true, 7000);
        h.datagram(from, rv::register_request{id, h.server.cookie_for(from, h.now), 3, privs});
    }
    h.server.hold_notices(false);
    h.pump(); // the harness compares every page with wire::paginate's
    std::size_t pages = 0;
    for (auto const& s : h.out.sends)
        pages += rv::peek_type(s.data) == 5 ? 1U : 0U;
    EXPECT_EQ(pages, (n - 1 + 7) / 8); // 137-byte entries, eight a page
    EXPECT_GT(pages, 256U);
    EXPECT_EQ(h.lists, 1U);
}

// A client compares a register_ack's version with its own and resyncs when they differ (it
// missed something). While the paced fan-out has not reached it yet it has missed nothing: the
// ack of a refresh must not send it asking for a list (a whole list of a large registry instead
// of a notice or two, from every client that refreshes during a fan-out).
TEST(ServerFanOutReview, ARefreshAckDoesNotTellALaggingClientItMissedSomething) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 100;
    fan_out_harness h{o};
    std::vector<actor> actors;
    for (std::size_t i = 0; i < 60; ++i) {
        actors.push_back(
            {std::string{"r"}.append(std::to_string(i)), actor_endpoint(i, false, 4000), {}, 0});
        auto& a = actors.back();
        a.secret = h.datagram(a.ep, rv::register_request{a.id, h.server.cookie_for(a.ep, h.now), 5,
                                                         a.privs})
                       ->secret;
    }
    h.settle();
    // A burst of joins: 20 notices for each of 60 clients, paced at 100/s.
    for (std::size_t i = 60; i < 80; ++i) {
        auto const from = actor_endpoint(i, false, 4000);
        h.datagram(from, rv::register_request{std::string{"r"}.append(std::to_string(i)),
                                              h.server.cookie_for(from, h.now),
                                              5,
                                              {}});
    }
    int acks = 0;
    int false_alarms = 0;
    for (int round = 0; round < 30 && h.server.lagging() > 0; ++round) {
        h.now += 100ms;
        h.timer();
        for (auto& a : actors) {
            auto const had = h.replicas.at(a.id).version; // the ack arrives first
            auto const ack = h.datagram(
                a.ep, rv::register_request{a.id, h.server.cookie_for(a.ep, h.now), a.secret, {}});
            ASSERT_TRUE(ack);
            ++acks;
            // Nothing was lost: whatever the ack says, the client must already have.
            false_alarms += ack->list_version != had ? 1 : 0;
        }
    }
    EXPECT_GT(acks, 100);
    EXPECT_EQ(false_alarms, 0);
    h.settle();
}

// While notices are held the timer is for expiry only (the I/O layer pumps when its buffer
// drains); unheld with an unlimited budget, work left over from a slice is due at once; with
// a budget in overdraft, when the overdraft is paid back.
TEST(ServerFanOutReview, TheDeadlineFollowsTheHoldAndTheBudget) {
    for (double const rate : {0.0, 10.0}) {
        SCOPED_TRACE(rate);
        rd::server_options o;
        o.rate_limit = 0;
        o.notice_rate = rate;
        o.max_sends_per_call = rate == 0 ? 2 : 4096;
        fan_out_harness h{o};
        auto const first = h.now;
        h.server.hold_notices(true);
        for (std::size_t i = 0; i < 30; ++i) {
            auto const from = actor_endpoint(i, false, 4000);
            h.datagram(from, rv::register_request{std::string{"d"}.append(std::to_string(i)),
                                                  h.server.cookie_for(from, h.now),
                                                  5,
                                                  {}});
            EXPECT_EQ(h.out.sends.size(), 1U); // the ack only
        }
        EXPECT_EQ(h.server.lagging(), 30U);
        EXPECT_EQ(h.server.next_deadline(), first + o.expiry);
        h.timer(); // early: nothing expires, nothing is sent
        EXPECT_TRUE(h.out.sends.empty());
        h.server.hold_notices(false);
        auto const at = h.server.next_deadline();
        ASSERT_TRUE(at);
        EXPECT_LE(*at, h.now);
        h.pump();
        EXPECT_FALSE(h.out.sends.empty());
        EXPECT_GT(h.server.lagging(), 0U);
        if (rate == 0) {
            EXPECT_LE(h.server.next_deadline(), h.now); // the next slice at once
        } else {
            // The burst (ten one-page lists) spent: the next token in a tenth of a second.
            EXPECT_EQ(h.fan_out, 10U);
            EXPECT_EQ(h.server.next_deadline(), h.now + 100ms);
        }
        h.settle();
    }
}

// The pump's cursor sits on some client between slices; that client restarting (removed and
// registered again under the same id, in one call), leaving or expiring must not leave it
// dangling (ASan would tell) nor make the pump skip anybody.
TEST(ServerFanOutReview, TheCursorSurvivesItsClientGoing) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    o.max_sends_per_call = 1; // one client per call: the cursor stops on every client in turn
    fan_out_harness h{o};
    std::vector<actor> actors;
    for (std::size_t i = 0; i < 6; ++i)
        actors.push_back(
            {std::string{"cur"}.append(std::to_string(i)), actor_endpoint(i, false, 4000), {}, 0});
    auto const reg = [&](actor& a, std::uint64_t secret) {
        a.secret = h.datagram(a.ep, rv::register_request{a.id, h.server.cookie_for(a.ep, h.now),
                                                         secret, a.privs})
                       ->secret;
    };
    for (auto& a : actors)
        reg(a, 1);
    h.settle();
    for (int round = 0; round < 3; ++round) {
        for (std::size_t k = 0; k < actors.size(); ++k) {
            reg(actors[(k + 1) % actors.size()], 99 + k); // a restart: new nonce, same endpoint
            h.pump();
            reg(actors[k], 500 + k); // another, right where the cursor may be
            h.pump();
        }
        // One leaves, one rebinds, while the fan-out is midway.
        h.datagram(actors[2].ep, rv::deregister_request{actors[2].id, actors[2].secret});
        h.pump();
        actors[3].ep.port = static_cast<std::uint16_t>(actors[3].ep.port + 1);
        reg(actors[3], actors[3].secret);
        h.settle();
        reg(actors[2], 7); // back
        h.settle();
    }
    EXPECT_EQ(h.server.client_count(), actors.size());
}

// max_sends_per_call 0 would have the pump send nothing while next_deadline() says "now":
// a busy loop. It means one client per call.
TEST(ServerFanOutReview, ZeroSendsPerCallStillMakesProgress) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    o.max_sends_per_call = 0;
    fan_out_harness h{o};
    for (std::size_t i = 0; i < 5; ++i) {
        auto const from = actor_endpoint(i, false, 4000);
        h.datagram(from, rv::register_request{std::string{"z"}.append(std::to_string(i)),
                                              h.server.cookie_for(from, h.now),
                                              5,
                                              {}});
    }
    h.settle(); // fails on a timer that is due again and again with nothing to do
    EXPECT_EQ(h.server.client_count(), 5U);
}

} // namespace
