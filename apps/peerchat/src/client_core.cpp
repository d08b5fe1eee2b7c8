#include <netlab/peerchat/client_core.hpp>

#include <algorithm>
#include <utility>

namespace netlab::peerchat {
namespace {

constexpr std::size_t dedup_capacity = 4096;
constexpr milliseconds resync_wait{1000};
constexpr milliseconds deregister_retry{250};
constexpr std::size_t max_candidates = 8;
constexpr milliseconds unreachable_warning{5000};
// Input that arrives before the first list (a pipe, a file) waits for it this long at most.
constexpr milliseconds ready_wait{5000};
constexpr std::size_t max_held_lines = 1000;
constexpr milliseconds punch_grace{1000};
// Registers sent to one server address (at 0, 1 s) before the next address is tried.
constexpr int tries_per_server = 2;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

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

client_core::client_core(client_options options)
    : options_{std::move(options)}
    , rng_{options_.seed}
    , next_message_id_{0} {
    next_message_id_ = next_random() >> 1U; // random start: ids do not repeat across restarts
    nonce_ = options_.nonce != 0 ? options_.nonce : next_random();
    if (nonce_ == 0)
        nonce_ = 1; // 0 would leave the first replies signed with a key anybody knows
    // Endpoints are compared and printed in one form only: IPv4-mapped ones as plain IPv4.
    servers_.push_back(options_.server.unmapped());
    for (auto const& e : options_.fallback_servers)
        if (auto const u = e.unmapped();
            std::find(servers_.begin(), servers_.end(), u) == servers_.end())
            servers_.push_back(u);
    for (auto& e : options_.private_endpoints)
        e = e.unmapped();
}

std::uint64_t client_core::next_random() {
    // splitmix64: tiny, fast, good enough for nonces and id starting points.
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

// ---- sending ---------------------------------------------------------------------------------

void client_core::send(actions& out, wire::endpoint const& to, wire::message const& m) {
    auto bytes = wire::encode(m);
    if (bytes)
        out.sends.push_back({to, std::move(*bytes)});
}

void client_core::send_mac(actions& out, wire::endpoint const& to, peer const& p,
                           wire::message const& m) {
    if (auto bytes = wire::encode_signed(m, wire::peer_mac_key(p.entry.pair_key)))
        out.sends.push_back({to, std::move(*bytes)});
}

bool client_core::mac_ok(peer const& p, wire::message const& m, std::uint64_t mac) const {
    auto const input = wire::mac_input(m);
    return input && siphash24(wire::peer_mac_key(p.entry.pair_key), *input) == mac;
}

void client_core::send_register(actions& out) {
    // A name with several addresses (IPv6 and IPv4, say): like any client, try the next when
    // one does not answer, and keep the first that does.
    if (!server_settled_ && servers_.size() > 1 && tries_at_server_ >= tries_per_server) {
        server_index_ = (server_index_ + 1) % servers_.size();
        tries_at_server_ = 0;
        cookie_ = 0; // cookies are per source and server address
    }
    ++tries_at_server_;
    sent_secret_ = secret_ != 0 ? secret_ : nonce_;
    sent_cookie_ = cookie_;
    send(out, server(),
         wire::register_request{options_.id, cookie_, sent_secret_, options_.private_endpoints});
}

// ---- lifecycle -------------------------------------------------------------------------------

void client_core::start(time_point now, actions& out) {
    started_ = now;
    ready_deadline_ = now + ready_wait;
    send_register(out);
    awaiting_ack_ = true;
    next_register_ = now + register_backoff_;
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
    if (secret_ == 0) {
        done_ = true;
        return;
    }
    exit_ = exit_phase::deregistering;
    send(out, server(), wire::deregister_request{options_.id, secret_});
    next_deregister_ = now + deregister_retry;
    exit_deadline_ = now + options_.exit_timeout;
}

std::optional<time_point> client_core::next_deadline() const {
    if (done_)
        return std::nullopt;
    time_point t = next_register_;
    if (!ready_)
        t = std::min(t, ready_deadline_);
    auto const consider = [&](time_point x) { t = std::min(t, x); };
    if (exit_ == exit_phase::deregistering) {
        consider(next_deregister_);
        consider(exit_deadline_);
    }
    if (resync_check_)
        consider(*resync_check_);
    for (auto const& [id, p] : peers_) {
        consider(p.next_probe);
        if (best_path(p) != nullptr)
            consider(p.next_keepalive);
    }
    for (auto const& [id, c] : pending_) {
        consider(c.next_try);
        consider(c.give_up);
    }
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
    if (exit_ == exit_phase::deregistering) {
        if (now >= exit_deadline_) {
            done_ = true;
            return;
        }
        if (now >= next_deregister_) {
            send(out, server(), wire::deregister_request{options_.id, secret_});
            next_deregister_ = now + deregister_retry;
        }
    }
    if (secret_ == 0 && !warned_unreachable_ && now - started_ >= unreachable_warning) {
        warned_unreachable_ = true;
        out.errors.push_back("peerchat: no answer from rendezvousd at " + server().to_string() +
                             " yet; still trying");
    }
    if (now >= next_register_) {
        // Unanswered registrations are retried quickly (1, 2, 4 s ...), refreshes every
        // `refresh`: a lost refresh must not let the server expire us.
        if (awaiting_ack_)
            register_backoff_ = std::min(register_backoff_ * 2, options_.refresh);
        send_register(out);
        awaiting_ack_ = true;
        next_register_ = now + register_backoff_;
    }
    if (resync_check_ && now >= *resync_check_) {
        if (!have_list_ || version_ != latest_version_)
            request_resync(now, out);
        else
            resync_check_.reset();
    }
    for (auto& [id, p] : peers_)
        peer_tick(p, now, out);
    for (auto it = pending_.begin(); it != pending_.end();) {
        auto& c = it->second;
        if (now >= c.give_up) {
            out.errors.push_back("message to " + c.to + " not delivered");
            it = pending_.erase(it);
            continue;
        }
        if (now >= c.next_try)
            try_send_chat(it->first, c, now, out);
        ++it;
    }
    if (exit_ == exit_phase::draining && pending_.empty())
        finish_exit(now, out);
}

// ---- the peer list ---------------------------------------------------------------------------

void client_core::request_resync(time_point now, actions& out) {
    if (secret_ != 0)
        send(out, server(), wire::resync_request{options_.id, secret_});
    resync_check_ = now + 2 * resync_wait;
}

void client_core::rebuild_candidates(peer& p) const {
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

void client_core::start_punching(peer& p, time_point now) {
    p.punch_until = now + options_.punch_duration;
    p.next_probe = now;
    p.next_repunch = now + options_.repunch_interval;
}

void client_core::upsert_peer(wire::peer_entry const& announced, time_point now) {
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

void client_core::apply_list(time_point now) {
    std::set<std::string> present;
    for (auto const& [n, page] : pages_)
        for (auto const& e : page.peers) {
            if (e.id == options_.id)
                continue;
            present.insert(e.id);
            upsert_peer(e, now);
        }
    std::erase_if(peers_, [&](auto const& kv) { return !present.contains(kv.first); });
    version_ = assembling_version_;
    latest_version_ = version_; // a complete list is the server's state when it was sent
    have_list_ = true;
    pages_.clear();
    if (version_ == latest_version_)
        resync_check_.reset();
}

bool client_core::signed_by_server(wire::message const& m, std::uint64_t mac) const {
    if (secret_ == 0)
        return false;
    auto const input = wire::mac_input(m);
    return input && siphash24(wire::server_mac_key(secret_), *input) == mac;
}

bool client_core::answers_last_register(wire::message const& m, std::uint64_t mac) const {
    auto const input = wire::mac_input(m);
    // A key without a secret (or nonce) would be known to anybody: never accepted.
    return input && sent_secret_ != 0 &&
           siphash24(wire::reply_mac_key(sent_secret_, sent_cookie_), *input) == mac;
}

bool client_core::reply_ok(wire::message const& m, std::uint64_t mac) const {
    if (answers_last_register(m, mac))
        return true;
    auto const input = wire::mac_input(m);
    return input && secret_ != 0 && siphash24(wire::reply_mac_key(secret_, 0), *input) == mac;
}

bool client_core::reachable(wire::endpoint const& e) const noexcept {
    return e.fam == wire::endpoint::family::v4 || options_.ipv6;
}

void client_core::handle_server(std::size_t server_index, wire::message const& m, time_point now,
                                actions& out) {
    std::visit(
        [&](auto const& msg) {
            using T = std::decay_t<decltype(msg)>;
            // What could be forged from the server's address must carry the server's mac.
            bool authentic = true;
            if constexpr (std::is_same_v<T, wire::challenge>)
                authentic = answers_last_register(m, msg.mac);
            else if constexpr (std::is_same_v<T, wire::register_ack> ||
                               std::is_same_v<T, wire::refused> ||
                               std::is_same_v<T, wire::deregister_ack>)
                authentic = reply_ok(m, msg.mac);
            else if constexpr (requires { msg.mac; })
                authentic = signed_by_server(m, msg.mac);
            if (!authentic) {
                ++forged_from_server_;
                return;
            }
            if (!server_settled_) {
                // The first authentic answer picks the address (it may be a slow one we
                // already moved away from: the mac proves it answers our register).
                server_settled_ = true;
                server_index_ = server_index;
            }
            if constexpr (std::is_same_v<T, wire::challenge>) {
                cookie_ = msg.cookie;
                send_register(out);
            } else if constexpr (std::is_same_v<T, wire::register_ack>) {
                secret_ = msg.secret;
                awaiting_ack_ = false;
                register_backoff_ = milliseconds{1000};
                next_register_ = now + options_.refresh;
                if (auto const observed = msg.observed.unmapped(); public_ != observed) {
                    public_ = observed;
                    for (auto& [id, p] : peers_) {
                        rebuild_candidates(p);
                        start_punching(p, now);
                    }
                }
                if (static_cast<std::int32_t>(msg.list_version - latest_version_) > 0 ||
                    !have_list_)
                    latest_version_ = msg.list_version;
                // The list usually follows the ack; ask only if it does not.
                if ((!have_list_ || version_ != latest_version_) && !resync_check_)
                    resync_check_ = now + resync_wait;
            } else if constexpr (std::is_same_v<T, wire::refused>) {
                if (msg.why == wire::refused::reason::id_taken && secret_ == 0) {
                    out.errors.push_back("peerchat: id " + options_.id +
                                         " is registered from another address");
                    exit_status_ = 1;
                    done_ = true;
                } else if (msg.why == wire::refused::reason::not_registered) {
                    next_register_ = now; // our registration was lost or moved: renew it
                } else if (msg.why == wire::refused::reason::bad_secret &&
                           exit_ == exit_phase::deregistering) {
                    done_ = true;
                }
            } else if constexpr (std::is_same_v<T, wire::list_page>) {
                if (msg.version != assembling_version_ || pages_.empty() ||
                    pages_.begin()->second.page_count != msg.page_count) {
                    pages_.clear();
                    assembling_version_ = msg.version;
                }
                pages_[msg.page] = msg;
                if (pages_.size() == msg.page_count) {
                    apply_list(now);
                    // A moment for hole punching, so early chats need not take the relay.
                    ready_deadline_ = std::min(ready_deadline_, now + punch_grace);
                }
            } else if constexpr (std::is_same_v<T, wire::peer_joined> ||
                                 std::is_same_v<T, wire::peer_left>) {
                auto const step = static_cast<std::int32_t>(msg.version - version_);
                if (static_cast<std::int32_t>(msg.version - latest_version_) > 0)
                    latest_version_ = msg.version;
                if (!have_list_ || step <= 0)
                    return; // old news, or a full list is on its way
                if (step > 1)
                    return request_resync(now, out);
                version_ = msg.version;
                if constexpr (std::is_same_v<T, wire::peer_joined>) {
                    if (msg.peer.id != options_.id)
                        upsert_peer(msg.peer, now);
                } else {
                    peers_.erase(msg.id);
                }
            } else if constexpr (std::is_same_v<T, wire::deregister_ack>) {
                if (exit_ == exit_phase::deregistering)
                    done_ = true;
            } else if constexpr (std::is_same_v<T, wire::relayed_chat>) {
                // The server verified the sender.
                if (secret_ != 0)
                    send(out, server(),
                         wire::relay_ack{options_.id, secret_, msg.from, msg.message_id});
                if (remember(msg.from, msg.message_id))
                    out.lines.push_back("From " + msg.from + " [" + msg.text + "]");
            } else if constexpr (std::is_same_v<T, wire::relayed_ack>) {
                auto const it = pending_.find(msg.message_id);
                if (it != pending_.end() && it->second.to == msg.from)
                    pending_.erase(it);
            } else if constexpr (std::is_same_v<T, wire::relay_failed>) {
                auto const it = pending_.find(msg.message_id);
                if (it != pending_.end() && it->second.to == msg.to) {
                    out.errors.push_back("message to " + msg.to + " not delivered");
                    pending_.erase(it);
                }
            }
            // Anything else from the server's address is not meant for a client: dropped.
        },
        m);
}

// ---- peers -----------------------------------------------------------------------------------

client_core::candidate& client_core::candidate_for(peer& p, wire::endpoint const& from) {
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

client_core::candidate const* client_core::best_path(peer const& p) const {
    candidate const* best = nullptr;
    for (auto const& c : p.candidates)
        if (c.proven && (best == nullptr || c.kind > best->kind))
            best = &c;
    return best;
}

void client_core::peer_tick(peer& p, time_point now, actions& out) {
    if (auto const* path = best_path(p); path != nullptr && now >= p.next_keepalive) {
        if (p.unanswered >= options_.keepalive_misses) {
            // The path died (NAT mapping expired, peer moved): punch again.
            for (auto& c : p.candidates)
                c.proven = false;
            p.unanswered = 0;
            start_punching(p, now);
        } else {
            send_mac(out, path->ep, p, wire::probe{options_.id, p.entry.id, next_random(), 0});
            ++p.unanswered;
            p.next_keepalive = now + options_.keepalive_interval;
        }
    }
    if (now < p.next_probe)
        return;
    if (now < p.punch_until) {
        for (auto const& c : p.candidates)
            if (!c.proven)
                send_mac(out, c.ep, p, wire::probe{options_.id, p.entry.id, next_random(), 0});
        p.next_probe = now + options_.probe_interval;
    } else if (best_path(p) == nullptr && now >= p.next_repunch) {
        start_punching(p, now);
        peer_tick(p, now, out);
    } else {
        p.next_probe = best_path(p) == nullptr ? p.next_repunch : now + options_.repunch_interval;
    }
}

void client_core::handle_peer(wire::endpoint const& from, wire::message const& m, time_point now,
                              actions& out) {
    std::visit(
        [&](auto const& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::probe> || std::is_same_v<T, wire::probe_reply> ||
                          std::is_same_v<T, wire::chat> || std::is_same_v<T, wire::chat_ack>) {
                if (msg.to != options_.id)
                    return;
                auto const it = peers_.find(msg.from);
                if (it == peers_.end() || !mac_ok(it->second, m, msg.mac))
                    return; // unknown sender or forged: not a word of it is believed
                peer& p = it->second;
                candidate& c = candidate_for(p, from);
                if (c.proven)
                    p.unanswered = 0; // any authentic traffic on the path keeps it alive
                if constexpr (std::is_same_v<T, wire::probe>) {
                    send_mac(out, from, p,
                             wire::probe_reply{options_.id, p.entry.id, msg.nonce, 0});
                    if (!c.proven) {
                        // Prove this source (it may be a mapping we could not predict).
                        send_mac(out, from, p,
                                 wire::probe{options_.id, p.entry.id, next_random(), 0});
                        if (now >= p.punch_until)
                            start_punching(p, now);
                    }
                } else if constexpr (std::is_same_v<T, wire::probe_reply>) {
                    bool const had_path = best_path(p) != nullptr;
                    c.proven = true;
                    p.unanswered = 0;
                    if (!had_path)
                        p.next_keepalive = now + options_.keepalive_interval;
                } else if constexpr (std::is_same_v<T, wire::chat>) {
                    if (!c.proven) {
                        // Not shown (nor acknowledged) until the source proves itself; the
                        // sender retransmits meanwhile.
                        send_mac(out, from, p,
                                 wire::probe{options_.id, p.entry.id, next_random(), 0});
                        return;
                    }
                    send_mac(out, from, p,
                             wire::chat_ack{options_.id, p.entry.id, msg.message_id, 0});
                    if (remember(msg.from, msg.message_id))
                        out.lines.push_back("From " + msg.from + " [" + msg.text + "]");
                } else {
                    auto const pending = pending_.find(msg.message_id);
                    if (pending != pending_.end() && pending->second.to == msg.from)
                        pending_.erase(pending);
                }
            }
        },
        m);
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

void client_core::on_datagram(wire::endpoint const& source, std::span<std::uint8_t const> datagram,
                              time_point now, actions& out) {
    if (done_)
        return;
    auto const m = wire::decode(datagram);
    if (!m)
        return;
    auto const from = source.unmapped();
    // Control messages count only from the server's address (any of them until one answered).
    auto const known = std::find(servers_.begin(), servers_.end(), from);
    auto const index = static_cast<std::size_t>(known - servers_.begin());
    if (known != servers_.end() && (index == server_index_ || !server_settled_))
        handle_server(index, *m, now, out);
    else
        handle_peer(from, *m, now, out);
    if (exit_ == exit_phase::draining && pending_.empty())
        finish_exit(now, out);
}

// ---- chat ------------------------------------------------------------------------------------

void client_core::try_send_chat(std::uint64_t id, pending_chat& c, time_point now, actions& out) {
    c.next_try = now + options_.retransmit_interval;
    if (!c.relayed) {
        auto const it = peers_.find(c.to);
        candidate const* path = it == peers_.end() ? nullptr : best_path(it->second);
        if (path != nullptr && c.direct_tries < options_.direct_attempts) {
            ++c.direct_tries;
            send_mac(out, path->ep, it->second, wire::chat{options_.id, c.to, id, c.text, 0});
            return;
        }
        c.relayed = true;
    }
    if (secret_ != 0)
        send(out, server(), wire::relay_chat{options_.id, secret_, c.to, id, c.text});
}

void client_core::command_chat(std::string_view rest, time_point now, actions& out) {
    rest = trim(rest);
    auto const space = rest.find(' ');
    if (space == std::string_view::npos || trim(rest.substr(space + 1)).empty()) {
        out.errors.push_back("peerchat: usage: @chat <id> <message>");
        return;
    }
    std::string const to{rest.substr(0, space)};
    std::string text{rest.substr(space + 1)};
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

void client_core::show_list(actions& out) const {
    for (auto const& [id, p] : peers_) {
        auto const* path = best_path(p);
        auto const& ep = path != nullptr ? path->ep : p.entry.public_endpoint;
        out.lines.push_back(id + " " + ep.to_string() + " " +
                            to_string(path != nullptr ? path->kind : path_kind::relay));
    }
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
    line = trim(line);
    if (line.empty())
        return;
    if (line == "@show_list")
        return show_list(out);
    if (line == "@exit")
        return shutdown(now, out);
    if (line.starts_with("@chat ") || line == "@chat")
        return command_chat(line.substr(5), now, out);
    auto const word = line.substr(0, line.find(' '));
    out.errors.push_back("peerchat: unknown command '" + std::string{word} +
                         "' (commands: @show_list, @chat <id> <message>, @exit)");
}

// ---- introspection ---------------------------------------------------------------------------

std::vector<std::string> client_core::peer_ids() const {
    std::vector<std::string> ids;
    for (auto const& [id, p] : peers_)
        ids.push_back(id);
    return ids;
}

path_kind client_core::path_to(std::string const& id) const {
    auto const it = peers_.find(id);
    if (it == peers_.end())
        return path_kind::relay;
    auto const* path = best_path(it->second);
    return path != nullptr ? path->kind : path_kind::relay;
}

std::optional<wire::endpoint> client_core::direct_endpoint(std::string const& id) const {
    auto const it = peers_.find(id);
    if (it == peers_.end())
        return std::nullopt;
    auto const* path = best_path(it->second);
    if (path == nullptr)
        return std::nullopt;
    return path->ep;
}

} // namespace netlab::peerchat
