#pragma once

// peerchat's side of the protocol with rendezvousd: which of the server's addresses to use,
// registration (challenge, cookie, secret), refreshes and their retries, the peer list (pages,
// versions, notices, resync), relaying chats through the server, and deregistration. Only
// what carries the right mac is believed. What the rest of the client must learn comes back
// as a server_event. Sans I/O, like client_core.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/peerchat/client_types.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace netlab::peerchat {

/// The server saw us at a new public endpoint.
struct public_endpoint_changed {
    wire::endpoint endpoint;
};
/// A whole list arrived: its entries, every page's in order.
struct list_arrived {
    std::vector<wire::peer_entry> peers;
};
/// The id is registered from another address: this client cannot register.
struct id_taken {};
/// The deregistration is done.
struct deregistered {};

/// What a datagram from the server means for the rest of the client (notices only when they
/// are the next version; nothing when it was forged, old news or not meant for a client).
using server_event = std::variant<std::monostate, public_endpoint_changed, list_arrived,
                                  wire::peer_joined, wire::peer_left, wire::relayed_chat,
                                  wire::relayed_ack, wire::relay_failed, id_taken, deregistered>;

class server_link {
public:
    /// `nonce` is sent as the secret until the server issues one (0 would be made 1).
    server_link(client_options options, std::uint64_t nonce);

    /// Sends the first register.
    void start(time_point now, actions& out);
    /// Deregistration retries, the unreachable warning, registers and refreshes, resync checks.
    void on_timer(time_point now, actions& out);
    /// When on_timer has work next.
    time_point next_deadline() const;

    /// Which server address `from` is, if its datagrams count: the one in use, or any of them
    /// until one answered.
    std::optional<std::size_t> server_index(wire::endpoint const& from) const;
    /// A datagram from server address `index` (see server_index).
    server_event on_datagram(std::size_t index, std::span<std::uint8_t const> datagram,
                             wire::message const& m, time_point now, actions& out);

    /// Sends a chat through the server (not before the server issued a secret).
    void relay(actions& out, std::string const& to, std::uint64_t message_id,
               std::string const& text) const;
    /// Starts deregistering; retried until acknowledged or the exit timeout. Registered only.
    void deregister(time_point now, actions& out);
    /// Deregistering, and the exit timeout has passed.
    bool exit_overdue(time_point now) const noexcept {
        return deregistering_ && now >= exit_deadline_;
    }

    bool registered() const noexcept { return secret_ != 0; }
    /// Datagrams from the server's address dropped because their mac did not verify.
    std::uint64_t forged() const noexcept { return forged_; }
    /// The server address in use (one of client_options::server and fallback_servers).
    wire::endpoint const& server() const noexcept { return servers_[server_index_]; }
    std::optional<wire::endpoint> public_endpoint() const { return public_; }
    std::uint32_t list_version() const noexcept { return version_; }

private:
    void send(actions& out, wire::message const& m) const;
    void send_register(actions& out);
    void request_resync(time_point now, actions& out);

    bool authentic(std::span<std::uint8_t const> datagram, wire::message const& m) const;
    bool signed_by_server(std::span<std::uint8_t const> datagram) const;
    /// Signed with what our last register carried (a challenge must be).
    bool answers_last_register(std::span<std::uint8_t const> datagram) const;
    /// A direct reply (ack, refusal) signed with what our request carried.
    bool reply_ok(std::span<std::uint8_t const> datagram) const;

    server_event on_register_ack(wire::register_ack const& m, time_point now);
    server_event on_refused(wire::refused const& m, time_point now);
    server_event on_list_page(wire::list_page const& m);
    template <class Notice>
    server_event on_notice(Notice const& m, time_point now, actions& out);

    client_options options_;
    std::vector<wire::endpoint> servers_; ///< options.server, then the fallbacks (unmapped)
    std::size_t server_index_ = 0;
    int tries_at_server_ = 0;     ///< registers sent to server() since we moved to it
    bool server_settled_ = false; ///< server() answered: no more switching
    std::uint64_t nonce_;         ///< the secret field until secret_ is issued
    std::uint64_t cookie_ = 0;
    std::uint64_t secret_ = 0;
    std::uint64_t sent_secret_ = 0; ///< secret and cookie of the last register sent
    std::uint64_t sent_cookie_ = 0;
    std::uint64_t forged_ = 0;
    std::optional<wire::endpoint> public_;
    time_point started_{};
    time_point next_register_{};
    milliseconds register_backoff_{1000};
    bool awaiting_ack_ = false;
    bool warned_unreachable_ = false;

    std::uint32_t version_ = 0;
    std::uint32_t latest_version_ = 0; ///< the newest version the server mentioned
    bool have_list_ = false;
    std::optional<time_point> resync_check_;
    std::uint32_t assembling_version_ = 0;
    std::map<std::uint16_t, wire::list_page> pages_;

    bool deregistering_ = false;
    time_point next_deregister_{};
    time_point exit_deadline_{};
};

} // namespace netlab::peerchat
