// The exact bytes server_core sends in two long, deterministic runs, pinned as a digest: a
// refactoring of the codec, the macs or the list assembly must not change one byte on the wire.
// A deliberate change of the protocol updates the digests (the failure prints the new ones).
// The order of entries within a list follows std::unordered_map, so the digests hold for
// libstdc++ (Debian 12's), the only library this project builds with.

#include <netlab/rendezvousd/server_core.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rv = netlab::rendezvous;
namespace rd = netlab::rendezvousd;
using namespace std::chrono_literals;

// FNV-1a, 64 bits: a digest for a test, not a mac.
struct digest {
    std::uint64_t h = 14695981039346656037ULL;
    void add(std::uint8_t b) { h = (h ^ b) * 1099511628211ULL; }
    void add(std::span<std::uint8_t const> bytes) {
        add(static_cast<std::uint8_t>(bytes.size() >> 8U));
        add(static_cast<std::uint8_t>(bytes.size() & 0xffU));
        for (auto const b : bytes)
            add(b);
    }
    void add(std::string const& s) {
        add(std::span{reinterpret_cast<std::uint8_t const*>(s.data()), s.size()});
    }
};

rv::endpoint client_endpoint(std::size_t i, std::uint16_t port) {
    if (i % 3 == 2) {
        std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};
        a[14] = static_cast<std::uint8_t>(i >> 8U);
        a[15] = static_cast<std::uint8_t>(i & 0xffU);
        return rv::endpoint::v6(a, port);
    }
    return rv::endpoint::v4(
        {198, 51, static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i & 0xffU)}, port);
}

std::vector<rv::endpoint> privates(std::size_t i) {
    std::vector<rv::endpoint> v;
    for (std::size_t k = 0; k < i % 5; ++k)
        v.push_back(k % 2 == 0 ? rv::endpoint::v4({10, 0, static_cast<std::uint8_t>(k),
                                                   static_cast<std::uint8_t>(i & 0xffU)},
                                                  10081)
                               : client_endpoint(i * 7 + 2, static_cast<std::uint16_t>(k + 1)));
    return v;
}

std::string client_id(std::size_t i) {
    std::string id{"c"};
    id.append(std::to_string(i));                    // not "c" + ...: g++ 12's false -Wrestrict
    id.resize(std::max(id.size(), 1 + i % 32), '~'); // ids of every length, all distinct
    return id;
}

class golden_run {
public:
    explicit golden_run(rd::server_options o)
        : server{o, netlab::siphash_key{0x0123456789abcdefULL, 0xfedcba9876543210ULL}} {}

    rd::server_core server;
    rd::time_point now{std::chrono::hours{5000}};
    digest d;
    std::vector<std::uint64_t> secrets;

    void deliver(rv::endpoint const& from, rv::message const& m, rd::local_tag local = 0) {
        deliver_raw(from, rv::encode(m).value(), local);
    }
    void deliver_raw(rv::endpoint const& from, rv::bytes const& bytes, rd::local_tag local = 0) {
        rd::actions out;
        server.on_datagram(from, bytes, now, out, local);
        record(out);
    }
    void tick(std::chrono::milliseconds dt) {
        now += dt;
        rd::actions out;
        server.on_timer(now, out);
        record(out);
    }
    void record(rd::actions const& out) {
        for (auto const& s : out.sends) {
            d.add(s.to.to_string());
            d.add(static_cast<std::uint8_t>(s.from));
            d.add(s.data);
            // Keep the secrets the acks hand out: later requests need them.
            if (auto const m = rv::decode(s.data))
                if (auto const* ack = std::get_if<rv::register_ack>(&*m))
                    last_secret = ack->secret;
        }
        for (auto const& l : out.lines)
            d.add(l);
    }
    std::uint64_t last_secret = 0;

    void join(std::size_t i, std::uint16_t port = 10081) {
        auto const from = client_endpoint(i, port);
        auto const local = static_cast<rd::local_tag>(i % 3);
        deliver(from, rv::register_request{client_id(i), 0, 1000 + i, privates(i)}, local);
        deliver(
            from,
            rv::register_request{client_id(i), server.cookie_for(from, now), 1000 + i, privates(i)},
            local);
        if (secrets.size() <= i)
            secrets.resize(i + 1);
        secrets[i] = last_secret;
    }

    void run(std::size_t clients) {
        for (std::size_t i = 0; i < clients; ++i) {
            join(i);
            if (i % 17 == 0)
                tick(3ms);
        }
        for (int k = 0; k < 50; ++k)
            tick(20ms);
        // Refreshes, one with new private endpoints, one rebinding to a new port.
        for (std::size_t i = 0; i < clients; i += 5) {
            auto const from = client_endpoint(i, 10081);
            deliver(from, rv::register_request{client_id(i), server.cookie_for(from, now),
                                               secrets[i], privates(i)});
        }
        auto const moved = client_endpoint(3, 20000);
        deliver(moved, rv::register_request{client_id(3), server.cookie_for(moved, now), secrets[3],
                                            privates(3)});
        auto const c4 = client_endpoint(4, 10081);
        deliver(c4, rv::register_request{client_id(4), server.cookie_for(c4, now), secrets[4],
                                         privates(9)});
        // The id of 1 from elsewhere; a restart of 2 (same endpoint, no secret).
        auto const thief = client_endpoint(clients + 50, 10081);
        deliver(thief, rv::register_request{client_id(1), server.cookie_for(thief, now), 77, {}});
        join(2);
        // Resyncs: one accepted, one too soon, one forged.
        deliver(client_endpoint(6, 10081), rv::resync_request{client_id(6), secrets[6]});
        deliver(client_endpoint(6, 10081), rv::resync_request{client_id(6), secrets[6]});
        deliver(client_endpoint(7, 10081), rv::resync_request{client_id(7), 12345});
        // Relays: delivered, to nobody, an ack, with a bad secret.
        deliver(client_endpoint(5, 10081),
                rv::relay_chat{client_id(5), secrets[5], client_id(8), 42, "hello via the server"});
        deliver(client_endpoint(5, 10081),
                rv::relay_chat{client_id(5), secrets[5], "nobody", 43, "lost"});
        deliver(client_endpoint(8, 10081),
                rv::relay_ack{client_id(8), secrets[8], client_id(5), 42});
        deliver(client_endpoint(9, 10081),
                rv::relay_chat{client_id(9), secrets[9] + 1, client_id(8), 44, "forged"});
        // Junk and messages not meant for a server.
        deliver_raw(client_endpoint(10, 10081), rv::bytes{'N', 'R', 1});
        deliver(client_endpoint(10, 10081), rv::probe{"a", "b", 1, 2});
        // Deregistrations: good, bad secret, unknown (a retransmission).
        deliver(client_endpoint(11, 10081), rv::deregister_request{client_id(11), secrets[11]});
        deliver(client_endpoint(12, 10081), rv::deregister_request{client_id(12), 99});
        deliver(client_endpoint(11, 10081), rv::deregister_request{client_id(11), secrets[11]});
        for (int k = 0; k < 50; ++k)
            tick(20ms);
        // Everyone but the refreshed ones expires.
        tick(29s);
        for (int k = 0; k < 50; ++k)
            tick(100ms);
        tick(31s);
        d.add(server.stats_line());
    }
};

TEST(ServerGolden, AnUnpacedRunSendsTheSameBytesAsBefore) {
    rd::server_options o;
    o.rate_limit = 0;
    o.notice_rate = 0;
    golden_run r{o};
    r.run(700); // lists of several pages, entries of every size
    EXPECT_EQ(r.d.h, 0xe9eb9118623802beULL) << std::hex << "digest 0x" << r.d.h << "\n"
                                            << r.server.stats_line();
}

TEST(ServerGolden, APacedRateLimitedRunSendsTheSameBytesAsBefore) {
    rd::server_options o;
    o.rate_limit = 5;
    o.notice_rate = 400;
    o.max_sends_per_call = 37;
    o.max_clients = 150;
    golden_run r{o};
    r.run(200);
    EXPECT_EQ(r.d.h, 0xa1add53e2e5d72faULL) << std::hex << "digest 0x" << r.d.h << "\n"
                                            << r.server.stats_line();
}

} // namespace
