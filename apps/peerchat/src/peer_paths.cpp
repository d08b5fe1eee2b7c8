#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/peerchat/peer_paths.hpp>

#include <algorithm>
#include <set>
#include <type_traits>
#include <utility>
#include <variant>

namespace netlab::peerchat {
namespace {

constexpr std::size_t max_candidates = 8;

template <class T>
constexpr bool is_peer_message =
    std::is_same_v<T, wire::probe> || std::is_same_v<T, wire::probe_reply> ||
    std::is_same_v<T, wire::chat> || std::is_same_v<T, wire::chat_ack>;

} // namespace

char const* to_string(path_kind k) noexcept {
    switch (k) {
    case path_kind::private_:
        return "private";
    case path_kind::public_:
        return "public";
    case path_kind::relay:
        break;
    }
    return "relay";
}

peer_paths::peer_paths(client_options options)
    : options_{std::move(options)} {}

// ---- the peers and their candidates ------------------------------------------------------

void peer_paths::set_public(wire::endpoint const& endpoint, time_point now) {
    public_ = endpoint;
    for (auto& [id, p] : peers_) {
        rebuild_candidates(p);
        start_punching(p, now);
    }
}

void peer_paths::upsert(wire::peer_entry const& announced, time_point now) {
    if (announced.id == options_.id)
        return;
    // A server may report an IPv4 client as IPv4-mapped IPv6: one form only from here on.
    auto e = announced;
    e.public_endpoint = e.public_endpoint.unmapped();
    for (auto& ep : e.private_endpoints)
        ep = ep.unmapped();
    auto [it, inserted] = peers_.try_emplace(e.id);
    peer& p = it->second;
    if (!inserted && p.entry == e)
        return;
    p.entry = std::move(e);
    p.unanswered = 0;
    rebuild_candidates(p);
    start_punching(p, now);
}

void peer_paths::replace(std::vector<wire::peer_entry> const& entries, time_point now) {
    std::set<std::string> present;
    for (auto const& e : entries) {
        present.insert(e.id);
        upsert(e, now);
    }
    std::erase_if(peers_, [&](auto const& kv) { return !present.contains(kv.first); });
}

bool peer_paths::reachable(wire::endpoint const& e) const noexcept {
    return e.fam == wire::endpoint::family::v4 || options_.ipv6;
}

void peer_paths::rebuild_candidates(peer& p) const {
    std::vector<candidate> fresh;
    auto const add = [&](wire::endpoint const& e, path_kind kind) {
        if (reachable(e) &&
            std::none_of(fresh.begin(), fresh.end(), [&](candidate const& c) { return c.ep == e; }))
            fresh.push_back({e, kind, false});
    };
    // Behind the same public address: the NAT would have to hairpin, which most do not.
    if (public_ && public_->same_address(p.entry.public_endpoint))
        for (auto const& e : p.entry.private_endpoints)
            add(e, path_kind::private_);
    add(p.entry.public_endpoint, path_kind::public_);
    p.candidates = std::move(fresh);
}

void peer_paths::start_punching(peer& p, time_point now) {
    p.punch_until = now + options_.punch_duration;
    p.next_probe = now;
    p.next_repunch = now + options_.repunch_interval;
}

peer_paths::candidate& peer_paths::candidate_for(peer& p, wire::endpoint const& from) {
    for (auto& c : p.candidates)
        if (c.ep == from)
            return c;
    // A new source for a known peer (e.g. a symmetric NAT's fresh mapping): latch onto it.
    // Bounded: the oldest unproven latched candidate makes room.
    if (p.candidates.size() >= max_candidates) {
        auto const stale = std::find_if(p.candidates.begin() + 1, p.candidates.end(),
                                        [](candidate const& c) { return !c.proven; });
        if (stale != p.candidates.end())
            p.candidates.erase(stale);
    }
    bool const same_nat =
        public_ && public_->same_address(p.entry.public_endpoint) &&
        std::any_of(p.entry.private_endpoints.begin(), p.entry.private_endpoints.end(),
                    [&](auto const& e) { return e.same_address(from); });
    return p.candidates.emplace_back(
        candidate{from, same_nat ? path_kind::private_ : path_kind::public_, false});
}

peer_paths::candidate const* peer_paths::best_path(peer const& p) const {
    candidate const* best = nullptr;
    for (auto const& c : p.candidates)
        if (c.proven && (best == nullptr || c.kind > best->kind))
            best = &c;
    return best;
}

// ---- sending and timers --------------------------------------------------------------------

void peer_paths::send(actions& out, wire::endpoint const& to, peer const& p,
                      wire::message const& m) const {
    if (auto bytes = wire::encode_signed(m, wire::peer_mac_key(p.entry.pair_key)))
        out.sends.push_back({to, std::move(*bytes)});
}

void peer_paths::probe(actions& out, wire::endpoint const& to, peer const& p,
                       splitmix64& rng) const {
    send(out, to, p, wire::probe{options_.id, p.entry.id, rng(), 0});
}

bool peer_paths::send_direct(actions& out, std::string const& id, wire::message const& m) const {
    auto const it = peers_.find(id);
    candidate const* path = it == peers_.end() ? nullptr : best_path(it->second);
    if (path == nullptr)
        return false;
    send(out, path->ep, it->second, m);
    return true;
}

void peer_paths::on_timer(time_point now, splitmix64& rng, actions& out) {
    for (auto& [id, p] : peers_)
        tick(p, now, rng, out);
}

void peer_paths::tick(peer& p, time_point now, splitmix64& rng, actions& out) {
    if (auto const* path = best_path(p); path != nullptr && now >= p.next_keepalive) {
        if (p.unanswered >= options_.keepalive_misses) {
            // The path died (NAT mapping expired, peer moved): punch again.
            for (auto& c : p.candidates)
                c.proven = false;
            p.unanswered = 0;
            start_punching(p, now);
        } else {
            probe(out, path->ep, p, rng);
            ++p.unanswered;
            p.next_keepalive = now + options_.keepalive_interval;
        }
    }
    if (now < p.next_probe)
        return;
    if (now < p.punch_until) {
        for (auto const& c : p.candidates)
            if (!c.proven)
                probe(out, c.ep, p, rng);
        p.next_probe = now + options_.probe_interval;
    } else if (best_path(p) == nullptr && now >= p.next_repunch) {
        start_punching(p, now);
        tick(p, now, rng, out);
    } else {
        p.next_probe = best_path(p) == nullptr ? p.next_repunch : now + options_.repunch_interval;
    }
}

time_point peer_paths::next_deadline(time_point t) const {
    for (auto const& [id, p] : peers_) {
        t = std::min(t, p.next_probe);
        if (best_path(p) != nullptr)
            t = std::min(t, p.next_keepalive);
    }
    return t;
}

// ---- receiving -----------------------------------------------------------------------------

// Defined before the generic lambda that calls it: clang 14 does not instantiate it otherwise.
template <class M>
bool peer_paths::on_authentic(peer& p, candidate& c, wire::endpoint const& from, M const& m,
                              time_point now, splitmix64& rng, actions& out) {
    if (c.proven)
        p.unanswered = 0; // any authentic traffic on the path keeps it alive
    if constexpr (std::is_same_v<M, wire::probe>) {
        send(out, from, p, wire::probe_reply{options_.id, p.entry.id, m.nonce, 0});
        if (!c.proven) {
            probe(out, from, p, rng); // prove this source (a mapping we could not predict)
            if (now >= p.punch_until)
                start_punching(p, now);
        }
        return false;
    } else if constexpr (std::is_same_v<M, wire::probe_reply>) {
        bool const had_path = best_path(p) != nullptr;
        c.proven = true;
        p.unanswered = 0;
        if (!had_path)
            p.next_keepalive = now + options_.keepalive_interval;
        return false;
    } else if constexpr (std::is_same_v<M, wire::chat>) {
        if (!c.proven) {
            // Not shown (nor acknowledged) until the source proves itself; the sender
            // retransmits meanwhile.
            probe(out, from, p, rng);
            return false;
        }
        send(out, from, p, wire::chat_ack{options_.id, p.entry.id, m.message_id, 0});
        return true;
    } else {
        return true; // a chat_ack
    }
}

bool peer_paths::receive(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                         wire::message const& m, time_point now, splitmix64& rng, actions& out) {
    return std::visit(
        [&](auto const& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (is_peer_message<T>) {
                if (msg.to != options_.id)
                    return false;
                auto const it = peers_.find(msg.from);
                if (it == peers_.end() ||
                    !wire::verify(datagram, wire::peer_mac_key(it->second.entry.pair_key)))
                    return false; // unknown sender or forged: not a word of it is believed
                peer& p = it->second;
                return on_authentic(p, candidate_for(p, from), from, msg, now, rng, out);
            } else {
                return false;
            }
        },
        m);
}

// ---- introspection -------------------------------------------------------------------------

std::vector<std::string> peer_paths::ids() const {
    std::vector<std::string> ids;
    for (auto const& [id, p] : peers_)
        ids.push_back(id);
    return ids;
}

path_kind peer_paths::path_to(std::string const& id) const {
    auto const it = peers_.find(id);
    if (it == peers_.end())
        return path_kind::relay;
    auto const* path = best_path(it->second);
    return path != nullptr ? path->kind : path_kind::relay;
}

std::optional<wire::endpoint> peer_paths::direct_endpoint(std::string const& id) const {
    auto const it = peers_.find(id);
    if (it == peers_.end())
        return std::nullopt;
    auto const* path = best_path(it->second);
    if (path == nullptr)
        return std::nullopt;
    return path->ep;
}

void peer_paths::list(std::vector<std::string>& lines) const {
    for (auto const& [id, p] : peers_) {
        auto const* path = best_path(p);
        auto const& ep = path != nullptr ? path->ep : p.entry.public_endpoint;
        lines.push_back(id + " " + ep.to_string() + " " +
                        to_string(path != nullptr ? path->kind : path_kind::relay));
    }
}

} // namespace netlab::peerchat
