// The exact bytes peerchat and rendezvousd exchange in one long, deterministic run over the
// simulated network, pinned as a digest: a refactoring of the codec, the macs, the list
// assembly or the client's steps must not change one byte on the wire. A deliberate change of
// the protocol updates the digest (the failure prints the new one). The server's lists follow
// std::unordered_map's order, so the digest holds for libstdc++ (Debian 12's), the only
// library this project builds with.

#include "sim_net.hpp"

#include <gtest/gtest.h>

namespace {

using netlab::sim::nat_kind;
using netlab::sim::network;
using namespace std::chrono_literals;

TEST(WireGolden, AClientLifetimeSendsTheSameBytesAsBefore) {
    network net;
    auto& cone = net.add_nat(nat_kind::cone);
    net.add_host("pub", nullptr);
    net.add_host("a1", &cone);
    net.add_host("a2", &cone);
    net.add_host("b", &net.add_nat(nat_kind::cone));
    net.add_host("sym", &net.add_nat(nat_kind::symmetric));
    net.run_for(3s);
    net.type("a1", "@chat a2 over the LAN");
    net.type("a1", "@chat b through the punched hole");
    net.type("sym", "@chat b by the relay");
    net.type("pub", "@chat sym by latching");
    net.type("pub", "@show_list");
    net.run_for(2s);
    // A missed notice repaired by a resync, chats under loss, a dead path punched again.
    net.cut.insert("pub");
    net.add_host("late", nullptr);
    net.run_for(50ms);
    net.cut.clear();
    net.add_host("later", &cone);
    net.run_for(3s);
    net.loss = 0.2;
    for (int i = 0; i < 20; ++i) {
        net.type("a1", "@chat b lossy " + std::to_string(i));
        net.type("b", "@chat sym lossy " + std::to_string(i));
        net.run_for(150ms);
    }
    net.loss = 0;
    net.run_for(8s);
    net.cut.insert("b"); // undeliverable, then b expires
    net.type("a1", "@chat b anyone?");
    net.run_for(35s);
    net.cut.clear();
    net.type("a2", "@exit");
    net.type("late", "@chat nobody x");
    net.run_for(2s);
    net.run_for(20s); // refreshes and keepalives
    EXPECT_GT(net.delivered, 500U);
    EXPECT_EQ(net.wire_digest, 0x3b22a3eebcfb54e3ULL)
        << std::hex << "digest 0x" << net.wire_digest << "\n"
        << net.server.stats_line();
}

} // namespace
