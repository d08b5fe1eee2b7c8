#pragma once

// rendezvousd's protocol logic, sans I/O: datagrams and clock ticks in, actions out (datagrams
// to send, lines to print, when to call on_timer next). The registry lives here; the caller
// owns the socket, the timer and the strand. See libs/common/PROTOCOL.md for the protocol.

#include "token_bucket.hpp"

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <chrono>
#include <cstdint>
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
    /// False: registrations get neither the list nor join notices go out. Only for measuring
    /// the registry's memory at sizes where the N^2/2 notices would take hours.
    bool send_lists = true;
};

/// Counters for the stats line.
struct server_stats {
    std::uint64_t received = 0;
    std::uint64_t malformed = 0;
    std::uint64_t rate_limited = 0;
    std::uint64_t unexpected = 0; ///< well-formed but not meant for a server (probes, chats)
    std::uint64_t challenges = 0;
    std::uint64_t registrations = 0;
    std::uint64_t refreshes = 0;
    std::uint64_t rebindings = 0;
    std::uint64_t refused = 0;
    std::uint64_t expired = 0;
    std::uint64_t deregistered = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t relayed = 0;
    std::uint64_t relay_dropped = 0;
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
    /// Expires clients whose time is up; call at next_deadline() (early or late is fine).
    void on_timer(time_point now, actions& out);
    /// When on_timer has work next; nullopt when no client is registered.
    std::optional<time_point> next_deadline() const;

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

    bool cookie_valid(wire::endpoint const& from, std::uint64_t cookie, time_point now) const;
    std::uint64_t cookie_at(wire::endpoint const& from, std::int64_t epoch) const;
    std::uint64_t new_secret();
    std::uint64_t pair_key(client const& a, client const& b) const;
    wire::peer_entry entry_for(client const& c, client const& recipient) const;

    /// Sends an unsigned reply to the current request's source.
    void send(actions& out, wire::endpoint const& to, wire::message const& m);
    /// Sends `m` to a registered client, with its mac computed under the client's secret.
    void send_signed(actions& out, client const& to, wire::message const& m);
    /// Sends a direct reply signed with `key` (wire::reply_mac_key of the request).
    void reply(actions& out, wire::endpoint const& to, siphash_key const& key,
               wire::message const& m);
    void refuse(actions& out, wire::endpoint const& to, wire::refused::reason why,
                siphash_key const& key);
    void send_list(client const& recipient, actions& out);
    void announce_join(client const& c, actions& out);
    void remove(client& c, actions& out, char const* verb);
    /// The sender of a relay request, if its secret and source address check out.
    client* verified_sender(wire::endpoint const& from, std::string const& id,
                            std::uint64_t secret);

    void link_newest(client& c);
    void unlink(client& c);
    bool admit(wire::endpoint const& from, time_point now);
    void prune_buckets(time_point now);

    server_options options_;
    siphash_key key_;
    std::uint64_t secret_counter_ = 0;
    std::uint32_t version_ = 0;
    std::unordered_map<std::string, client> clients_;
    client* oldest_ = nullptr;
    client* newest_ = nullptr;
    struct address_hash {
        std::size_t operator()(std::array<std::uint8_t, 17> const& a) const noexcept;
    };
    std::unordered_map<std::array<std::uint8_t, 17>, token_bucket, address_hash> buckets_;
    time_point last_prune_{};
    server_stats stats_;
    local_tag request_local_ = 0; ///< where the datagram being handled arrived
};

} // namespace netlab::rendezvousd
