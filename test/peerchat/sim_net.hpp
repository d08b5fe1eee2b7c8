#pragma once

// A simulated network for driving server_core and client_cores together on a fake clock:
// hosts with private addresses behind NATs of three kinds (none, port-restricted cone,
// symmetric), datagram loss, and blocking. Good enough to exercise hole punching, latching and
// relay fallback deterministically, without sockets or root.

#include <netlab/peerchat/client_core.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace netlab::sim {

namespace wire = netlab::rendezvous;
using time_point = std::chrono::steady_clock::time_point;
using namespace std::chrono_literals;

enum class nat_kind { none, cone, symmetric };

struct nat {
    nat_kind kind = nat_kind::none;
    std::uint8_t public_ip = 0; ///< 198.51.100.<public_ip>
    std::uint16_t next_port = 40000;
    // cone: one mapping per private endpoint; symmetric: one per (private, remote).
    std::map<std::pair<wire::endpoint, wire::endpoint>, wire::endpoint> mappings;
    std::map<wire::endpoint, wire::endpoint> reverse;            ///< public -> private
    std::set<std::pair<wire::endpoint, wire::endpoint>> permits; ///< (public mapping, remote)
};

struct host {
    std::string name;
    wire::endpoint priv;
    nat* behind = nullptr;
    std::unique_ptr<peerchat::client_core> core;
    std::vector<std::string> lines;
    std::vector<std::string> errors;
};

class network {
public:
    time_point now{std::chrono::hours{100}};
    wire::endpoint server_ep = wire::endpoint::v4({203, 0, 113, 1}, 10080);
    rendezvousd::server_core server{[] {
                                        rendezvousd::server_options o;
                                        o.rate_limit = 0;
                                        return o;
                                    }(),
                                    {11, 22}};
    std::vector<std::string> server_lines;
    double loss = 0;           ///< probability of dropping any datagram
    std::set<std::string> cut; ///< host names whose traffic is dropped entirely
    std::mt19937_64 rng{42};

    nat& add_nat(nat_kind kind) {
        auto& n = *nats_.emplace_back(std::make_unique<nat>());
        n.kind = kind;
        n.public_ip = static_cast<std::uint8_t>(nats_.size());
        return n;
    }

    /// A host on `n`'s LAN (or on the public segment when `n` is null).
    host& add_host(std::string name, nat* n, peerchat::client_options o = {}) {
        auto& h = hosts_.emplace_back(std::make_unique<host>());
        h->name = name;
        h->behind = n;
        auto const idx = static_cast<std::uint8_t>(hosts_.size() + 10);
        h->priv = n == nullptr ? wire::endpoint::v4({203, 0, 113, idx}, 10081)
                               : wire::endpoint::v4({10, 0, n->public_ip, idx}, 10081);
        o.id = name;
        if (o.server.port == 0) // unless the test gives other (say unreachable) addresses
            o.server = server_ep;
        o.private_endpoints.insert(o.private_endpoints.begin(), h->priv); // + the test's
        o.seed = idx;
        h->core = std::make_unique<peerchat::client_core>(o);
        peerchat::actions out;
        h->core->start(now, out);
        collect(*h, out);
        return *h;
    }

    host& get(std::string const& name) {
        for (auto& h : hosts_)
            if (h->name == name)
                return *h;
        throw std::out_of_range{name};
    }

    void type(std::string const& name, std::string const& line) {
        auto& h = get(name);
        peerchat::actions out;
        h.core->on_line(line, now, out);
        collect(h, out);
        flush();
    }

    /// Advances the fake clock to now + d, firing every timer on the way.
    void run_for(std::chrono::milliseconds d) {
        auto const end = now + d;
        flush();
        while (true) {
            auto next = end;
            for (auto& h : hosts_)
                if (auto t = h->core->next_deadline())
                    next = std::min(next, std::max(*t, now));
            if (auto t = server.next_deadline())
                next = std::min(next, std::max(*t, now));
            now = std::max(now, next);
            rendezvousd::actions sa;
            server.on_timer(now, sa);
            collect_server(sa);
            for (auto& h : hosts_) {
                if (auto t = h->core->next_deadline(); t && *t <= now) {
                    peerchat::actions out;
                    h->core->on_timer(now, out);
                    collect(*h, out);
                }
            }
            flush();
            if (now >= end)
                break;
            now += 1ms; // no zero-time loops
        }
    }

    std::vector<std::string> show_list(std::string const& name) {
        auto& h = get(name);
        auto const before = h.lines.size();
        type(name, "@show_list");
        return {h.lines.begin() + static_cast<std::ptrdiff_t>(before), h.lines.end()};
    }

    std::size_t delivered = 0;
    std::size_t dropped = 0;
    /// FNV-1a over every datagram put on the network (source, destination, bytes), in order:
    /// pins what went over the wire (golden_test.cpp).
    std::uint64_t wire_digest = 14695981039346656037ULL;
    /// Datagrams each host sent to each destination.
    std::map<std::pair<std::string, wire::endpoint>, std::size_t> sent;

    /// A forged datagram from an arbitrary source, delivered as if it came off the wire.
    void inject(wire::endpoint const& from, wire::endpoint const& to, wire::bytes bytes) {
        queue_.push_back({from, to, std::move(bytes), nullptr});
        flush();
    }

    /// Public mapping of host `h` as the server sees it.
    wire::endpoint public_of(host const& h) { return translate(h, server_ep, false); }

private:
    struct packet {
        wire::endpoint from; ///< as seen on the public side (or LAN)
        wire::endpoint to;
        wire::bytes data;
        host const* lan_sender; ///< set for LAN-local traffic
    };

    wire::endpoint translate(host const& h, wire::endpoint const& to, bool create = true) {
        nat* n = h.behind;
        if (n == nullptr)
            return h.priv;
        auto const key = std::pair{h.priv, n->kind == nat_kind::symmetric ? to : wire::endpoint{}};
        auto it = n->mappings.find(key);
        if (it == n->mappings.end()) {
            if (!create)
                return {};
            auto const pub = wire::endpoint::v4({198, 51, 100, n->public_ip}, n->next_port++);
            it = n->mappings.emplace(key, pub).first;
            n->reverse[pub] = h.priv;
        }
        return it->second;
    }

    void send_from(host& h, peerchat::outgoing const& o) {
        ++sent[{h.name, o.to}];
        if (cut.contains(h.name))
            return;
        // Same LAN, private destination: straight across the switch.
        for (auto& other : hosts_)
            if (other.get() != &h && h.behind != nullptr && other->behind == h.behind &&
                other->priv == o.to) {
                queue_.push_back({h.priv, o.to, o.data, &h});
                return;
            }
        auto const pub = translate(h, o.to);
        if (h.behind != nullptr)
            h.behind->permits.insert({pub, o.to});
        queue_.push_back({pub, o.to, o.data, nullptr});
    }

    void collect(host& h, peerchat::actions& out) {
        for (auto& s : out.sends)
            send_from(h, s);
        h.lines.insert(h.lines.end(), out.lines.begin(), out.lines.end());
        h.errors.insert(h.errors.end(), out.errors.begin(), out.errors.end());
    }

    void collect_server(rendezvousd::actions& sa) {
        for (auto& s : sa.sends)
            queue_.push_back({server_ep, s.to, std::move(s.data), nullptr});
        server_lines.insert(server_lines.end(), sa.lines.begin(), sa.lines.end());
    }

    host* destination(packet const& p) {
        if (p.lan_sender != nullptr) {
            for (auto& h : hosts_)
                if (h->behind == p.lan_sender->behind && h->priv == p.to)
                    return h.get();
            return nullptr;
        }
        for (auto& h : hosts_) {
            if (h->behind == nullptr) {
                if (h->priv == p.to)
                    return h.get();
                continue;
            }
            auto const& n = *h->behind;
            auto const r = n.reverse.find(p.to);
            // Filtering: only replies to what the inside host sent to this very remote.
            if (r != n.reverse.end() && r->second == h->priv && n.permits.contains({p.to, p.from}))
                return h.get();
        }
        return nullptr;
    }

    void digest(packet const& p) {
        auto const add = [this](std::span<std::uint8_t const> bytes) {
            for (auto const b : bytes)
                wire_digest = (wire_digest ^ b) * 1099511628211ULL;
            wire_digest = (wire_digest ^ 0xffU) * 1099511628211ULL; // a separator
        };
        for (auto const* e : {&p.from, &p.to}) {
            auto const s = e->to_string();
            add(std::span{reinterpret_cast<std::uint8_t const*>(s.data()), s.size()});
        }
        add(p.data);
    }

    void flush() {
        std::bernoulli_distribution lose{loss};
        for (int guard = 0; !queue_.empty() && guard < 1'000'000; ++guard) {
            auto p = std::move(queue_.front());
            queue_.pop_front();
            digest(p);
            if (loss > 0 && lose(rng)) {
                ++dropped;
                continue;
            }
            if (p.to == server_ep) {
                rendezvousd::actions sa;
                server.on_datagram(p.from, p.data, now, sa);
                collect_server(sa);
                ++delivered;
                continue;
            }
            host* h = destination(p);
            if (h == nullptr || cut.contains(h->name)) {
                ++dropped;
                continue;
            }
            ++delivered;
            peerchat::actions out;
            h->core->on_datagram(p.from, p.data, now, out);
            collect(*h, out);
        }
    }

    std::vector<std::unique_ptr<nat>> nats_;
    std::vector<std::unique_ptr<host>> hosts_;
    std::deque<packet> queue_;
};

} // namespace netlab::sim
