#pragma once

// rendezvousd's protocol logic, sans I/O: datagrams and clock ticks in, actions out (datagrams
// to send, lines to print, when to call on_timer next). The registry lives here; the caller
// owns the socket, the timer and the strand. See libs/common/PROTOCOL.md for the protocol.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>
#include <netlab/rendezvousd/server_keys.hpp>
#include <netlab/rendezvousd/server_stats.hpp>
#include <netlab/rendezvousd/token_bucket.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace netlab::rendezvousd {

namespace wire = netlab::rendezvous;
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

struct server_options {
    std::chrono::milliseconds expiry{std::chrono::seconds{30}};
    /// Datagrams per second accepted from one source IP address (0: unlimited); bursts of
    /// twice that pass.
    double rate_limit = 200;
    /// Relayed chats and acks per second per registered client (0: unlimited).
    double relay_rate = 20;
    std::size_t max_clients = 1'000'000;
    /// How long an address cookie stays valid (between one and two periods).
    std::chrono::seconds cookie_period{60};
    /// Datagrams per second for the peer list and join/leave notices (0: unlimited); bursts
    /// of one second's worth pass. Fan-out is paced, never queued per change: clients that
    /// fall behind get the changes they missed in one go (or the whole list when that is
    /// cheaper), so a registration storm costs bandwidth at this rate and bounded memory.
    double notice_rate = 50'000;
    /// At most this many datagrams come out of one call (plus at most one client's list): a
    /// fan-out to a large registry goes on at on_timer, letting other datagrams in between.
    std::size_t max_sends_per_call = 4096;
};

/// Which of the host's addresses a datagram arrived on, as the I/O layer numbers them (0:
/// unknown, let the kernel choose). On a multi-homed host a client only accepts the server's
/// datagrams from the address it sent to, so the core remembers the tag per client and stamps
/// it on everything it sends there; what the tag means is the I/O layer's business.
using local_tag = std::uint32_t;

struct outgoing {
    wire::endpoint to;
    wire::bytes data;
    local_tag from = 0; ///< send from this local address
};

/// What the caller must do after one call. Cleared by the caller, reused to save allocations.
struct actions {
    std::vector<outgoing> sends;
    std::vector<std::string> lines; ///< the seed's lines, for stdout
    void clear() {
        sends.clear();
        lines.clear();
    }
};

class server_core {
public:
    /// `key` makes cookies, secrets and pair keys unpredictable: random in production, fixed
    /// in tests.
    server_core(server_options options, siphash_key key);

    /// `local`: the address it arrived on (see local_tag).
    void on_datagram(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                     time_point now, actions& out, local_tag local = 0);
    /// Expires clients whose time is up and sends pending notices; call at next_deadline()
    /// (early or late is fine).
    void on_timer(time_point now, actions& out);
    /// When on_timer has work next; nullopt when no client is registered.
    std::optional<time_point> next_deadline() const;
    /// Clients that have not yet been told the latest list version.
    std::size_t lagging() const noexcept { return lagging_; }
    /// While held, no notices or lists go out (replies still do): the I/O layer holds them
    /// while its socket buffer is full, so a fan-out never piles up in memory.
    void hold_notices(bool held) noexcept { notices_held_ = held; }
    /// Sends what the notice budget allows to clients that lag (on_datagram and on_timer do
    /// this themselves unless notices are held).
    void pump(time_point now, actions& out);

    std::size_t client_count() const noexcept { return clients_.size(); }
    std::uint32_t list_version() const noexcept { return version_; }
    server_stats const& stats() const noexcept { return stats_; }
    /// `stats clients=3 version=7 received=...`, one line.
    std::string stats_line() const;

    /// The cookie the server expects from `from` at `now` (for tests and load generators).
    std::uint64_t cookie_for(wire::endpoint const& from, time_point now) const;

private:
    struct client {
        std::string id;
        wire::endpoint public_endpoint;
        std::vector<wire::endpoint> private_endpoints;
        std::uint64_t secret = 0;
        local_tag local = 0; ///< the server address it registered with
        time_point last_seen{};
        time_point last_resync{};
        token_bucket relay_bucket;
        std::uint32_t synced = 0; ///< the list version it has been told
        bool needs_list = true;   ///< owed the whole list (just joined, or asked to resync)
        wire::bytes entry;        ///< wire::encode_entry of it: lists are assembled by copying
        // Clients in order of last refresh, oldest first: expiry looks only at the head.
        client* older = nullptr;
        client* newer = nullptr;
    };

    void handle(wire::endpoint const& from, wire::register_request const& m, time_point now,
                actions& out);
    void handle(wire::endpoint const& from, wire::deregister_request const& m, time_point now,
                actions& out);
    void handle(wire::endpoint const& from, wire::resync_request const& m, time_point now,
                actions& out);
    void handle(wire::endpoint const& from, wire::relay_chat const& m, time_point now,
                actions& out);
    void handle(wire::endpoint const& from, wire::relay_ack const& m, time_point now, actions& out);

    /// A register with a valid cookie of a live id with its secret: a refresh.
    void refresh(client& c, wire::endpoint const& from, wire::register_request const& m,
                 time_point now, siphash_key const& key, actions& out);
    /// A register with a valid cookie of an id not registered (any more); `restart`: it was,
    /// from the same endpoint, until the client restarted.
    void enroll(wire::endpoint const& from, wire::register_request const& m, time_point now,
                siphash_key const& key, actions& out, bool restart);
    std::uint64_t pair_key(client const& a, client const& b) const {
        return keys_.pair_key(a.id, a.secret, b.id, b.secret);
    }
    wire::peer_entry entry_for(client const& c, client const& recipient) const;

    /// Sends `m` to a registered client, with its mac computed under the client's secret.
    void send_signed(actions& out, client const& to, wire::message const& m);
    /// Sends a direct reply signed with `key` (wire::reply_mac_key of the request).
    void reply(actions& out, wire::endpoint const& to, siphash_key const& key,
               wire::message const& m);
    void refuse(actions& out, wire::endpoint const& to, wire::refused::reason why,
                siphash_key const& key);
    void send_list(client const& recipient, actions& out);
    /// Forgets `c`, printing "<id> is <verb> <endpoint>" unless `verb` is null.
    void remove(client& c, actions& out, char const* verb);

    // Fan-out. Every change of the registry gets the next list version and a log entry; the
    // pump walks the clients and brings each one that lags up to date.
    struct change {
        std::uint32_t version = 0; ///< the list version after it
        std::string id;
        std::uint64_t secret = 0; ///< of the joined client (pair keys); 0: it left
        wire::bytes notice;       ///< encoded, pair key and mac still to fill in
    };
    void record_join(client& c);
    std::size_t list_pages() const noexcept;
    void record_leave(std::string const& id);
    void recorded();
    void catch_up(client& c, actions& out);
    void mark_needs_list(client& c);
    /// The sender of a relay request, if its secret and source address check out.
    client* verified_sender(wire::endpoint const& from, std::string const& id,
                            std::uint64_t secret);
    struct relay_route {
        client* sender = nullptr; ///< verified and not rate-limited
        client* target = nullptr; ///< registered, not the sender
    };
    /// Where a relay request goes: no sender (refused or counted), or a sender and, when the
    /// target can be reached, a target (counted either way).
    template <class Relay>
    relay_route route(wire::endpoint const& from, Relay const& m, time_point now, actions& out);

    void link_newest(client& c);
    void unlink(client& c);
    bool admit(wire::endpoint const& from, time_point now);
    void prune_buckets(time_point now);

    server_options options_;
    server_keys keys_;
    std::uint32_t version_ = 0;
    std::unordered_map<std::string, client> clients_;
    client* oldest_ = nullptr;
    client* newest_ = nullptr;
    struct address_hash {
        std::size_t operator()(std::array<std::uint8_t, 17> const& a) const noexcept;
    };
    std::unordered_map<std::array<std::uint8_t, 17>, token_bucket, address_hash> buckets_;
    std::deque<change> log_;      ///< the latest changes, consecutive versions
    std::size_t lagging_ = 0;     ///< clients with synced != version_ or needs_list
    std::size_t entry_bytes_ = 0; ///< all entries' sizes: what a list costs
    client* sweep_ = nullptr;     ///< where the pump goes on (in expiry order); null: oldest
    token_bucket notice_budget_;  ///< may go negative: one client's list is sent whole
    bool notices_held_ = false;
    time_point last_prune_{};
    server_stats stats_;
    local_tag request_local_ = 0; ///< where the datagram being handled arrived
};

} // namespace netlab::rendezvousd
