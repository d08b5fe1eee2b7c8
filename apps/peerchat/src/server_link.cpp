#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/peerchat/server_link.hpp>

#include <algorithm>
#include <type_traits>
#include <utility>

namespace netlab::peerchat {
namespace {

constexpr milliseconds resync_wait{1000};
constexpr milliseconds deregister_retry{250};
constexpr milliseconds unreachable_warning{5000};
// Registers sent to one server address (at 0, 1 s) before the next address is tried.
constexpr int tries_per_server = 2;

} // namespace

server_link::server_link(client_options options, std::uint64_t nonce)
    : options_{std::move(options)}
    , nonce_{nonce != 0 ? nonce : 1} { // 0 would sign the first replies with a known key
    // Endpoints are compared and printed in one form only: IPv4-mapped ones as plain IPv4.
    servers_.push_back(options_.server.unmapped());
    for (auto const& e : options_.fallback_servers)
        if (auto const u = e.unmapped();
            std::find(servers_.begin(), servers_.end(), u) == servers_.end())
            servers_.push_back(u);
    for (auto& e : options_.private_endpoints)
        e = e.unmapped();
}

// ---- sending -------------------------------------------------------------------------------

void server_link::send(actions& out, wire::message const& m) const {
    if (auto bytes = wire::encode(m))
        out.sends.push_back({server(), std::move(*bytes)});
}

void server_link::send_register(actions& out) {
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
    send(out,
         wire::register_request{options_.id, cookie_, sent_secret_, options_.private_endpoints});
}

void server_link::request_resync(time_point now, actions& out) {
    if (secret_ != 0)
        send(out, wire::resync_request{options_.id, secret_});
    resync_check_ = now + 2 * resync_wait;
}

void server_link::relay(actions& out, std::string const& to, std::uint64_t message_id,
                        std::string const& text) const {
    if (secret_ != 0)
        send(out, wire::relay_chat{options_.id, secret_, to, message_id, text});
}

// ---- timers --------------------------------------------------------------------------------

void server_link::start(time_point now, actions& out) {
    started_ = now;
    send_register(out);
    awaiting_ack_ = true;
    next_register_ = now + register_backoff_;
}

void server_link::deregister(time_point now, actions& out) {
    deregistering_ = true;
    send(out, wire::deregister_request{options_.id, secret_});
    next_deregister_ = now + deregister_retry;
    exit_deadline_ = now + options_.exit_timeout;
}

void server_link::on_timer(time_point now, actions& out) {
    if (deregistering_ && now >= next_deregister_) {
        send(out, wire::deregister_request{options_.id, secret_});
        next_deregister_ = now + deregister_retry;
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
}

time_point server_link::next_deadline() const {
    time_point t = next_register_;
    if (deregistering_)
        t = std::min({t, next_deregister_, exit_deadline_});
    if (resync_check_)
        t = std::min(t, *resync_check_);
    return t;
}

// ---- what the server sends -----------------------------------------------------------------

std::optional<std::size_t> server_link::server_index(wire::endpoint const& from) const {
    auto const known = std::find(servers_.begin(), servers_.end(), from);
    auto const index = static_cast<std::size_t>(known - servers_.begin());
    if (known != servers_.end() && (index == server_index_ || !server_settled_))
        return index;
    return std::nullopt;
}

bool server_link::signed_by_server(std::span<std::uint8_t const> datagram) const {
    return secret_ != 0 && wire::verify(datagram, wire::server_mac_key(secret_));
}

bool server_link::answers_last_register(std::span<std::uint8_t const> datagram) const {
    // A key without a secret (or nonce) would be known to anybody: never accepted.
    return sent_secret_ != 0 &&
           wire::verify(datagram, wire::reply_mac_key(sent_secret_, sent_cookie_));
}

bool server_link::reply_ok(std::span<std::uint8_t const> datagram) const {
    return answers_last_register(datagram) ||
           (secret_ != 0 && wire::verify(datagram, wire::reply_mac_key(secret_, 0)));
}

bool server_link::authentic(std::span<std::uint8_t const> datagram, wire::message const& m) const {
    // What could be forged from the server's address must carry the server's mac.
    return std::visit(
        [&](auto const& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::challenge>)
                return answers_last_register(datagram);
            else if constexpr (std::is_same_v<T, wire::register_ack> ||
                               std::is_same_v<T, wire::refused> ||
                               std::is_same_v<T, wire::deregister_ack>)
                return reply_ok(datagram);
            else if constexpr (requires { msg.mac; })
                return signed_by_server(datagram);
            else
                return true;
        },
        m);
}

// Defined before the generic lambda that calls it: clang 14 does not instantiate it otherwise.
template <class Notice>
server_event server_link::on_notice(Notice const& m, time_point now, actions& out) {
    auto const step = static_cast<std::int32_t>(m.version - version_);
    if (static_cast<std::int32_t>(m.version - latest_version_) > 0)
        latest_version_ = m.version;
    if (!have_list_ || step <= 0)
        return {}; // old news, or a full list is on its way
    if (step > 1) {
        request_resync(now, out);
        return {};
    }
    version_ = m.version;
    return m;
}

server_event server_link::on_datagram(std::size_t index, std::span<std::uint8_t const> datagram,
                                      wire::message const& m, time_point now, actions& out) {
    if (!authentic(datagram, m)) {
        ++forged_;
        return {};
    }
    if (!server_settled_) {
        // The first authentic answer picks the address (it may be a slow one we already moved
        // away from: the mac proves it answers our register).
        server_settled_ = true;
        server_index_ = index;
    }
    return std::visit(
        [&](auto const& msg) -> server_event {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::challenge>) {
                cookie_ = msg.cookie;
                send_register(out);
                return {};
            } else if constexpr (std::is_same_v<T, wire::register_ack>) {
                return on_register_ack(msg, now);
            } else if constexpr (std::is_same_v<T, wire::refused>) {
                return on_refused(msg, now);
            } else if constexpr (std::is_same_v<T, wire::list_page>) {
                return on_list_page(msg);
            } else if constexpr (std::is_same_v<T, wire::peer_joined> ||
                                 std::is_same_v<T, wire::peer_left>) {
                return on_notice(msg, now, out);
            } else if constexpr (std::is_same_v<T, wire::deregister_ack>) {
                return deregistering_ ? server_event{deregistered{}} : server_event{};
            } else if constexpr (std::is_same_v<T, wire::relayed_chat>) {
                // The server verified the sender.
                if (secret_ != 0)
                    send(out, wire::relay_ack{options_.id, secret_, msg.from, msg.message_id});
                return msg;
            } else if constexpr (std::is_same_v<T, wire::relayed_ack> ||
                                 std::is_same_v<T, wire::relay_failed>) {
                return msg;
            } else {
                return {}; // anything else from the server's address is not meant for a client
            }
        },
        m);
}

server_event server_link::on_register_ack(wire::register_ack const& m, time_point now) {
    secret_ = m.secret;
    awaiting_ack_ = false;
    register_backoff_ = milliseconds{1000};
    next_register_ = now + options_.refresh;
    server_event event;
    if (auto const observed = m.observed.unmapped(); public_ != observed) {
        public_ = observed;
        event = public_endpoint_changed{observed};
    }
    if (static_cast<std::int32_t>(m.list_version - latest_version_) > 0 || !have_list_)
        latest_version_ = m.list_version;
    // The list usually follows the ack; ask only if it does not.
    if ((!have_list_ || version_ != latest_version_) && !resync_check_)
        resync_check_ = now + resync_wait;
    return event;
}

server_event server_link::on_refused(wire::refused const& m, time_point now) {
    using reason = wire::refused::reason;
    if (m.why == reason::id_taken && secret_ == 0)
        return id_taken{};
    if (m.why == reason::not_registered)
        next_register_ = now; // our registration was lost or moved: renew it
    else if (m.why == reason::bad_secret && deregistering_)
        return deregistered{};
    return {};
}

server_event server_link::on_list_page(wire::list_page const& m) {
    if (m.version != assembling_version_ || pages_.empty() ||
        pages_.begin()->second.page_count != m.page_count) {
        pages_.clear();
        assembling_version_ = m.version;
    }
    pages_[m.page] = m;
    if (pages_.size() != m.page_count)
        return {};
    list_arrived list;
    for (auto const& [n, page] : pages_)
        list.peers.insert(list.peers.end(), page.peers.begin(), page.peers.end());
    version_ = assembling_version_;
    latest_version_ = version_; // a complete list is the server's state when it was sent
    have_list_ = true;
    pages_.clear();
    resync_check_.reset();
    return list;
}

} // namespace netlab::peerchat
