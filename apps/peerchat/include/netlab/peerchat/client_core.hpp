#pragma once

// peerchat's protocol logic, sans I/O: registration with rendezvousd, the peer list, hole
// punching, path choice and keepalive, chat with acks, retransmission, duplicate suppression and
// relay fallback. Datagrams, input lines and clock ticks in; datagrams to send and lines to
// print out. See libs/common/PROTOCOL.md.

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace netlab::peerchat {

namespace wire = netlab::rendezvous;
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using std::chrono::milliseconds;

struct client_options {
    std::string id;
    wire::endpoint server;
    /// More addresses of the server (a name with several), tried in turn while `server` does
    /// not answer; the first that answers is kept.
    std::vector<wire::endpoint> fallback_servers;
    /// The socket reaches IPv6 endpoints (dual-stack); false on an IPv4-only socket.
    bool ipv6 = true;
    /// This host's own addresses with the bound port: the private endpoints.
    std::vector<wire::endpoint> private_endpoints;
    milliseconds refresh{10'000};
    /// Seeds message ids and probe nonces (random in production, fixed in tests).
    std::uint64_t seed = 1;
    /// Sent as the secret of registrations until the server issues one: it keys the mac of the
    /// first replies (challenge, register_ack), so it must be unpredictable (random in
    /// production; 0: derived from `seed`, which peers could reconstruct, for tests).
    std::uint64_t nonce = 0;

    // Timing of the path logic; PROTOCOL.md explains the defaults.
    milliseconds probe_interval{250};
    milliseconds punch_duration{10'000};
    milliseconds repunch_interval{60'000};
    milliseconds keepalive_interval{15'000};
    int keepalive_misses = 3;
    milliseconds retransmit_interval{500};
    int direct_attempts = 4;
    milliseconds delivery_timeout{5'000};
    milliseconds exit_timeout{1'000};
};

struct outgoing {
    wire::endpoint to;
    wire::bytes data;
};

/// What the caller must do after one call. Cleared by the caller.
struct actions {
    std::vector<outgoing> sends;
    std::vector<std::string> lines;  ///< for stdout: chats, the list
    std::vector<std::string> errors; ///< for stderr, one line each
    void clear() {
        sends.clear();
        lines.clear();
        errors.clear();
    }
};

enum class path_kind { relay, public_, private_ };
char const* to_string(path_kind k) noexcept;

class client_core {
public:
    explicit client_core(client_options options);

    /// Starts registering.
    void start(time_point now, actions& out);
    void on_datagram(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                     time_point now, actions& out);
    /// One line of user input (without its newline).
    void on_line(std::string_view line, time_point now, actions& out);
    /// End of input, SIGINT, SIGTERM: deregister and finish (like @exit).
    void shutdown(time_point now, actions& out);
    void on_timer(time_point now, actions& out);
    std::optional<time_point> next_deadline() const;

    /// True once the client has finished (after @exit and its deregistration).
    bool done() const noexcept { return done_; }
    /// Non-zero when the client must stop with an error (e.g. the id is taken).
    int exit_status() const noexcept { return exit_status_; }

    // Introspection for tests and @show_list.
    bool registered() const noexcept { return secret_ != 0; }
    /// Datagrams from the server's address dropped because their mac did not verify.
    std::uint64_t forged_from_server() const noexcept { return forged_from_server_; }
    /// The server address in use (one of client_options::server and fallback_servers).
    wire::endpoint const& server() const noexcept { return servers_[server_index_]; }
    std::optional<wire::endpoint> public_endpoint() const { return public_; }
    std::uint32_t list_version() const noexcept { return version_; }
    std::vector<std::string> peer_ids() const;
    path_kind path_to(std::string const& id) const;
    /// The endpoint chats to `id` go to directly, if a path is proven.
    std::optional<wire::endpoint> direct_endpoint(std::string const& id) const;

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
    struct pending_chat {
        std::string to;
        std::string text;
        int direct_tries = 0;
        bool relayed = false;
        time_point next_try{};
        time_point give_up{};
    };

    void send(actions& out, wire::endpoint const& to, wire::message const& m);
    void send_mac(actions& out, wire::endpoint const& to, peer const& p, wire::message const& m);
    bool mac_ok(peer const& p, wire::message const& m, std::uint64_t mac) const;
    std::uint64_t next_random();

    bool signed_by_server(wire::message const& m, std::uint64_t mac) const;
    /// Signed with what our last register carried (a challenge must be).
    bool answers_last_register(wire::message const& m, std::uint64_t mac) const;
    /// A direct reply (ack, refusal) signed with what our request carried.
    bool reply_ok(wire::message const& m, std::uint64_t mac) const;
    void send_register(actions& out);
    void handle_server(std::size_t server_index, wire::message const& m, time_point now,
                       actions& out);
    bool reachable(wire::endpoint const& e) const noexcept;
    void handle_peer(wire::endpoint const& from, wire::message const& m, time_point now,
                     actions& out);
    void apply_list(time_point now);
    void upsert_peer(wire::peer_entry const& e, time_point now);
    void start_punching(peer& p, time_point now);
    void request_resync(time_point now, actions& out);

    /// The candidate `from` of `p`, added (latched) if unknown.
    candidate& candidate_for(peer& p, wire::endpoint const& from);
    candidate const* best_path(peer const& p) const;
    /// False when (from, message_id) was seen before: a duplicate.
    bool remember(std::string const& from, std::uint64_t message_id);
    void rebuild_candidates(peer& p) const;
    void peer_tick(peer& p, time_point now, actions& out);
    void finish_exit(time_point now, actions& out);
    /// The first list arrived (or we waited long enough): run the input held until now.
    void become_ready(time_point now, actions& out);
    void try_send_chat(std::uint64_t id, pending_chat& c, time_point now, actions& out);
    void show_list(actions& out) const;
    void command_chat(std::string_view rest, time_point now, actions& out);

    client_options options_;
    std::uint64_t rng_;
    std::uint64_t cookie_ = 0;
    std::uint64_t secret_ = 0;
    std::uint64_t nonce_ = 0; ///< the secret field until secret_ is issued
    std::uint64_t forged_from_server_ = 0;
    std::vector<wire::endpoint> servers_; ///< options.server, then the fallbacks (unmapped)
    std::size_t server_index_ = 0;
    int tries_at_server_ = 0;       ///< registers sent to server() since we moved to it
    bool server_settled_ = false;   ///< server() answered: no more switching
    std::uint64_t sent_secret_ = 0; ///< secret and cookie of the last register sent
    std::uint64_t sent_cookie_ = 0;
    std::optional<wire::endpoint> public_;
    time_point next_register_{};
    milliseconds register_backoff_{1000};
    bool awaiting_ack_ = false;
    time_point started_{};
    bool ready_ = false;
    time_point ready_deadline_{};
    std::vector<std::string> held_;
    bool exit_held_ = false;
    bool warned_unreachable_ = false;

    std::uint32_t version_ = 0;
    std::uint32_t latest_version_ = 0; ///< the newest version the server mentioned
    bool have_list_ = false;
    std::optional<time_point> resync_check_;
    std::uint32_t assembling_version_ = 0;
    std::map<std::uint16_t, wire::list_page> pages_;

    std::map<std::string, peer> peers_;
    std::map<std::uint64_t, pending_chat> pending_;
    std::uint64_t next_message_id_;
    std::deque<std::pair<std::string, std::uint64_t>> seen_order_;
    std::set<std::pair<std::string, std::uint64_t>> seen_;

    enum class exit_phase { running, draining, deregistering };
    exit_phase exit_ = exit_phase::running;
    time_point exit_deadline_{};
    time_point next_deregister_{};
    bool done_ = false;
    int exit_status_ = 0;
};

} // namespace netlab::peerchat
