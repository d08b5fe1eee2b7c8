#pragma once

// peerchat's protocol logic, sans I/O: registration with rendezvousd, the peer list, hole
// punching, path choice and keepalive, chat with acks, retransmission, duplicate suppression and
// relay fallback. Datagrams, input lines and clock ticks in; datagrams to send and lines to
// print out. See libs/common/PROTOCOL.md.
//
// The server side of the protocol is server_link's, the peer-to-peer side peer_paths'. Here:
// the commands, the lifecycle (ready, exit) and the chats in flight.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/peerchat/client_types.hpp>
#include <netlab/peerchat/peer_paths.hpp>
#include <netlab/peerchat/server_link.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::peerchat {

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
    bool registered() const noexcept { return link_.registered(); }
    /// Datagrams from the server's address dropped because their mac did not verify.
    std::uint64_t forged_from_server() const noexcept { return link_.forged(); }
    /// The server address in use (one of client_options::server and fallback_servers).
    wire::endpoint const& server() const noexcept { return link_.server(); }
    std::optional<wire::endpoint> public_endpoint() const { return link_.public_endpoint(); }
    std::uint32_t list_version() const noexcept { return link_.list_version(); }
    std::vector<std::string> peer_ids() const { return peers_.ids(); }
    path_kind path_to(std::string const& id) const { return peers_.path_to(id); }
    /// The endpoint chats to `id` go to directly, if a path is proven.
    std::optional<wire::endpoint> direct_endpoint(std::string const& id) const {
        return peers_.direct_endpoint(id);
    }

private:
    struct pending_chat {
        std::string to;
        std::string text;
        int direct_tries = 0;
        bool relayed = false;
        time_point next_try{};
        time_point give_up{};
    };

    void apply(server_event const& e, time_point now, actions& out);
    void handle_peer(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                     wire::message const& m, time_point now, actions& out);
    /// Shows a chat unless (from, message_id) was shown before.
    void deliver(std::string const& from, std::uint64_t message_id, std::string const& text,
                 actions& out);
    /// A chat of ours to `to` was acknowledged (directly or relayed).
    void acknowledged(std::string const& to, std::uint64_t message_id);
    /// False when (from, message_id) was seen before: a duplicate.
    bool remember(std::string const& from, std::uint64_t message_id);
    void finish_exit(time_point now, actions& out);
    /// The first list arrived (or we waited long enough): run the input held until now.
    void become_ready(time_point now, actions& out);
    void try_send_chat(std::uint64_t id, pending_chat& c, time_point now, actions& out);
    /// Retransmits or gives up on the chats in flight, as their times come.
    void retry_chats(time_point now, actions& out);
    void command_chat(std::string_view rest, time_point now, actions& out);

    // In this order: the seed's stream gives the first message id, then (unless options.nonce
    // is set) the nonce, then the probe nonces.
    client_options options_;
    splitmix64 rng_;
    std::uint64_t next_message_id_;
    server_link link_;
    peer_paths peers_;

    bool ready_ = false;
    time_point ready_deadline_{};
    std::vector<std::string> held_;
    bool exit_held_ = false;

    std::map<std::uint64_t, pending_chat> pending_;
    std::deque<std::pair<std::string, std::uint64_t>> seen_order_;
    std::set<std::pair<std::string, std::uint64_t>> seen_;

    enum class exit_phase { running, draining, deregistering };
    exit_phase exit_ = exit_phase::running;
    bool done_ = false;
    int exit_status_ = 0;
};

} // namespace netlab::peerchat
