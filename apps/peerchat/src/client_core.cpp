#include <netlab/peerchat/client_core.hpp>
#include <netlab/peerchat/display.hpp>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace netlab::peerchat {
namespace {

constexpr std::size_t dedup_capacity = 4096;
// Input that arrives before the first list (a pipe, a file) waits for it this long at most.
constexpr milliseconds ready_wait{5000};
constexpr std::size_t max_held_lines = 1000;
constexpr milliseconds punch_grace{1000};

std::string_view trim_front(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    return s;
}

std::string_view trim(std::string_view s) {
    s = trim_front(s);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

/// A message as typed: only the line end goes (a CR from a CRLF terminal or file).
std::string_view without_cr(std::string_view s) {
    if (s.ends_with('\r'))
        s.remove_suffix(1);
    return s;
}

/// "message to bob not delivered: "the first 40 characters..."".
std::string not_delivered(std::string const& to, std::string_view text) {
    return "message to " + to + " not delivered: \"" + printable_excerpt(text, 40) + "\"";
}

} // namespace

client_core::client_core(client_options options)
    : options_{std::move(options)}
    , rng_{options_.seed}
    , next_message_id_{rng_() >> 1U} // random start: ids do not repeat across restarts
    , link_{options_, options_.nonce != 0 ? options_.nonce : rng_()}
    , peers_{options_} {}

// ---- lifecycle -------------------------------------------------------------------------------

void client_core::start(time_point now, actions& out) {
    ready_deadline_ = now + ready_wait;
    link_.start(now, out);
}

void client_core::shutdown(time_point now, actions& out) {
    if (exit_ != exit_phase::running || done_)
        return;
    if (!ready_) {
        exit_held_ = true; // after the input that came before it
        return;
    }
    exit_ = exit_phase::draining; // chats in flight finish first: nothing is silently lost
    if (pending_.empty())
        finish_exit(now, out);
}

void client_core::finish_exit(time_point now, actions& out) {
    if (done_)
        return; // on_timer() may get here again after become_ready() finished
    if (!link_.registered()) {
        // Nothing could have been said to anyone: a failure for a script to see.
        out.errors.push_back("peerchat: rendezvousd at " + link_.server().to_string() +
                             " never answered");
        exit_status_ = 1;
        done_ = true;
        return;
    }
    exit_ = exit_phase::deregistering;
    link_.deregister(now, out);
}

std::optional<time_point> client_core::next_deadline() const {
    if (done_)
        return std::nullopt;
    time_point t = link_.next_deadline();
    if (!ready_)
        t = std::min(t, ready_deadline_);
    t = peers_.next_deadline(t);
    for (auto const& [id, c] : pending_)
        t = std::min({t, c.next_try, c.give_up});
    return t;
}

void client_core::become_ready(time_point now, actions& out) {
    if (ready_)
        return;
    ready_ = true;
    bool const exit_after = std::exchange(exit_held_, false);
    auto const held = std::exchange(held_, {});
    for (auto const& line : held)
        on_line(line, now, out);
    if (exit_after)
        shutdown(now, out);
}

void client_core::on_timer(time_point now, actions& out) {
    if (done_)
        return;
    if (!ready_ && now >= ready_deadline_)
        become_ready(now, out);
    if (done_)
        return; // the held input ended it
    if (exit_ == exit_phase::deregistering && link_.exit_overdue(now)) {
        done_ = true;
        return;
    }
    link_.on_timer(now, out);
    peers_.on_timer(now, rng_, out);
    retry_chats(now, out);
    if (exit_ == exit_phase::draining && pending_.empty())
        finish_exit(now, out);
}

// ---- datagrams -------------------------------------------------------------------------------

void client_core::on_datagram(wire::endpoint const& source, std::span<std::uint8_t const> datagram,
                              time_point now, actions& out) {
    if (done_)
        return;
    auto const m = wire::decode(datagram);
    if (!m)
        return;
    auto const from = source.unmapped();
    // Control messages count only from the server's address (any of them until one answered).
    if (auto const index = link_.server_index(from))
        apply(link_.on_datagram(*index, datagram, *m, now, out), now, out);
    else
        handle_peer(from, datagram, *m, now, out);
    if (exit_ == exit_phase::draining && pending_.empty())
        finish_exit(now, out);
}

void client_core::apply(server_event const& e, time_point now, actions& out) {
    std::visit(
        [&](auto const& ev) {
            using T = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<T, public_endpoint_changed>) {
                peers_.set_public(ev.endpoint, now);
            } else if constexpr (std::is_same_v<T, list_arrived>) {
                peers_.replace(ev.peers, now);
                // A moment for hole punching, so early chats need not take the relay.
                ready_deadline_ = std::min(ready_deadline_, now + punch_grace);
            } else if constexpr (std::is_same_v<T, wire::peer_joined>) {
                peers_.upsert(ev.peer, now);
            } else if constexpr (std::is_same_v<T, wire::peer_left>) {
                peers_.erase(ev.id);
            } else if constexpr (std::is_same_v<T, wire::relayed_chat>) {
                deliver(ev.from, ev.message_id, ev.text, out);
            } else if constexpr (std::is_same_v<T, wire::relayed_ack>) {
                acknowledged(ev.from, ev.message_id);
            } else if constexpr (std::is_same_v<T, wire::relay_failed>) {
                auto const it = pending_.find(ev.message_id);
                if (it != pending_.end() && it->second.to == ev.to) {
                    out.errors.push_back(not_delivered(ev.to, it->second.text));
                    pending_.erase(it);
                }
            } else if constexpr (std::is_same_v<T, id_taken>) {
                out.errors.push_back("peerchat: id " + options_.id +
                                     " is registered from another address");
                exit_status_ = 1;
                done_ = true;
            } else if constexpr (std::is_same_v<T, deregistered>) {
                done_ = true;
            }
        },
        e);
}

void client_core::handle_peer(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                              wire::message const& m, time_point now, actions& out) {
    if (!peers_.receive(from, datagram, m, now, rng_, out))
        return;
    if (auto const* c = std::get_if<wire::chat>(&m))
        deliver(c->from, c->message_id, c->text, out);
    else if (auto const* a = std::get_if<wire::chat_ack>(&m))
        acknowledged(a->from, a->message_id);
}

// ---- chat ------------------------------------------------------------------------------------

void client_core::deliver(std::string const& from, std::uint64_t message_id,
                          std::string const& text, actions& out) {
    if (remember(from, message_id))
        out.lines.push_back("From " + from + " [" + printable(text) + "]");
}

void client_core::acknowledged(std::string const& to, std::uint64_t message_id) {
    auto const it = pending_.find(message_id);
    if (it != pending_.end() && it->second.to == to)
        pending_.erase(it);
}

bool client_core::remember(std::string const& from, std::uint64_t message_id) {
    if (!seen_.emplace(from, message_id).second)
        return false;
    seen_order_.emplace_back(from, message_id);
    if (seen_order_.size() > dedup_capacity) {
        seen_.erase(seen_order_.front());
        seen_order_.pop_front();
    }
    return true;
}

void client_core::try_send_chat(std::uint64_t id, pending_chat& c, time_point now, actions& out) {
    c.next_try = now + options_.retransmit_interval;
    if (!c.relayed) {
        if (c.direct_tries < options_.direct_attempts &&
            peers_.send_direct(out, c.to, wire::chat{options_.id, c.to, id, c.text, 0})) {
            ++c.direct_tries;
            return;
        }
        c.relayed = true;
    }
    link_.relay(out, c.to, id, c.text);
}

void client_core::retry_chats(time_point now, actions& out) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        auto& c = it->second;
        if (now >= c.give_up) {
            out.errors.push_back(not_delivered(c.to, c.text));
            it = pending_.erase(it);
            continue;
        }
        if (now >= c.next_try)
            try_send_chat(it->first, c, now, out);
        ++it;
    }
}

// ---- commands --------------------------------------------------------------------------------

void client_core::command_chat(std::string_view rest, time_point now, actions& out) {
    rest = trim_front(rest);
    auto const space = rest.find(' ');
    if (space == std::string_view::npos || trim(rest.substr(space + 1)).empty()) {
        out.errors.push_back("peerchat: usage: @chat <id> <message>");
        return;
    }
    std::string const to{rest.substr(0, space)};
    std::string text{rest.substr(space + 1)};
    if (!link_.registered()) {
        out.errors.push_back("peerchat: message to " + to + " not sent: no answer from " +
                             "rendezvousd at " + link_.server().to_string() + " yet");
        return;
    }
    if (!peers_.contains(to)) {
        out.errors.push_back("peerchat: unknown id '" + to + "' (see @show_list)");
        return;
    }
    if (!wire::valid_text(text)) {
        out.errors.push_back("peerchat: message too long (at most " +
                             std::to_string(wire::max_text_length) +
                             " bytes) or holds control characters");
        return;
    }
    auto const id = next_message_id_++;
    auto& c = pending_[id];
    c.to = to;
    c.text = std::move(text);
    c.give_up = now + options_.delivery_timeout;
    try_send_chat(id, c, now, out);
}

void client_core::on_line(std::string_view line, time_point now, actions& out) {
    if (done_ || exit_ != exit_phase::running || exit_held_)
        return;
    if (!ready_) {
        // `printf '@chat bob hi\n' | peerchat ...`: commands wait for the list, or they would
        // all fail with "unknown id".
        if (held_.size() < max_held_lines)
            held_.emplace_back(line);
        return;
    }
    auto const command = trim(line);
    if (command.empty())
        return;
    if (command == "@show_list")
        return peers_.list(out.lines);
    if (command == "@exit")
        return shutdown(now, out);
    if (command.starts_with("@chat ") || command == "@chat")
        return command_chat(without_cr(trim_front(line)).substr(5), now, out);
    auto const word = command.substr(0, command.find(' '));
    out.errors.push_back("peerchat: unknown command '" + std::string{word} +
                         "' (commands: @show_list, @chat <id> <message>, @exit)");
}

} // namespace netlab::peerchat
