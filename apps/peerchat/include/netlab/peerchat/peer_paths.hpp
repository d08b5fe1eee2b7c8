#pragma once

// peerchat's peer-to-peer side: the peers the server lists, the endpoints each may be reached
// at (private ones behind the same NAT, the public one, sources latched onto), hole punching,
// keepalive and the best proven path. What a peer sends is believed only under the mac of the
// pair key, and what goes to a peer carries it. Sans I/O, like client_core.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/peerchat/client_types.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace netlab::peerchat {

enum class path_kind { relay, public_, private_ };
char const* to_string(path_kind k) noexcept;

class peer_paths {
public:
    explicit peer_paths(client_options options);

    /// Our public endpoint as the server saw it (which peers are behind the same NAT): every
    /// peer is punched again.
    void set_public(wire::endpoint const& endpoint, time_point now);
    /// A peer listed or announced (our own entry is ignored); a new or changed one is punched.
    void upsert(wire::peer_entry const& entry, time_point now);
    /// A whole list: upserts its peers and forgets the others.
    void replace(std::vector<wire::peer_entry> const& entries, time_point now);
    void erase(std::string const& id) { peers_.erase(id); }
    bool contains(std::string const& id) const { return peers_.contains(id); }

    /// Sends the probes and keepalives that are due.
    void on_timer(time_point now, splitmix64& rng, actions& out);
    /// The earlier of `t` and the next probe or keepalive.
    time_point next_deadline(time_point t) const;

    /// A datagram from a source other than the server. Answers probes, proves paths and
    /// acknowledges chats; true for a chat or chat_ack the caller may believe (for us, from a
    /// listed peer under its mac, and a chat only from a proven source: else that is probed).
    bool receive(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                 wire::message const& m, time_point now, splitmix64& rng, actions& out);
    /// Sends `m` to peer `id` on its best proven path; false when it has none.
    bool send_direct(actions& out, std::string const& id, wire::message const& m) const;

    std::vector<std::string> ids() const;
    path_kind path_to(std::string const& id) const;
    std::optional<wire::endpoint> direct_endpoint(std::string const& id) const;
    /// `<id> <endpoint> <path kind>` for every peer, in id order (@show_list).
    void list(std::vector<std::string>& lines) const;

private:
    struct candidate {
        wire::endpoint ep;
        path_kind kind = path_kind::public_;
        bool proven = false;
    };
    struct peer {
        wire::peer_entry entry;
        std::vector<candidate> candidates;
        time_point punch_until{};
        time_point next_probe{};
        time_point next_repunch{};
        time_point next_keepalive{};
        int unanswered = 0; ///< keepalive probes without a reply on the proven path
    };

    /// What an authentic probe, probe_reply, chat or chat_ack from candidate `c` does.
    template <class M>
    bool on_authentic(peer& p, candidate& c, wire::endpoint const& from, M const& m, time_point now,
                      splitmix64& rng, actions& out);
    void send(actions& out, wire::endpoint const& to, peer const& p, wire::message const& m) const;
    void probe(actions& out, wire::endpoint const& to, peer const& p, splitmix64& rng) const;
    bool reachable(wire::endpoint const& e) const noexcept;
    void rebuild_candidates(peer& p) const;
    void start_punching(peer& p, time_point now);
    /// The candidate `from` of `p`, added (latched) if unknown.
    candidate& candidate_for(peer& p, wire::endpoint const& from);
    candidate const* best_path(peer const& p) const;
    void tick(peer& p, time_point now, splitmix64& rng, actions& out);

    client_options options_;
    std::optional<wire::endpoint> public_;
    std::map<std::string, peer> peers_;
};

} // namespace netlab::peerchat
