#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_paging.hpp>
#include <netlab/rendezvousd/server_core.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace netlab::rendezvousd {
namespace {

// Buckets idle for this long hold a full burst again anyway: forgetting them changes nothing.
constexpr std::chrono::seconds bucket_idle{10};
constexpr std::chrono::seconds min_resync_interval{1};
// Changes kept for clients that lag: beyond this many, the whole list is cheaper anyway for
// registries up to ~30,000 clients, and memory stays bounded (~1 MiB) during any storm.
constexpr std::size_t max_log = 4096;

std::array<std::uint8_t, 17> address_key(wire::endpoint const& e) {
    std::array<std::uint8_t, 17> k{};
    k[0] = static_cast<std::uint8_t>(e.fam);
    std::copy(e.address.begin(), e.address.end(), k.begin() + 1);
    return k;
}

} // namespace

std::size_t
server_core::address_hash::operator()(std::array<std::uint8_t, 17> const& a) const noexcept {
    // FNV-1a: the table is bounded and pruned, so collision flooding only costs CPU briefly.
    std::size_t h = 14695981039346656037ULL;
    for (auto const b : a)
        h = (h ^ b) * 1099511628211ULL;
    return h;
}

server_core::server_core(server_options options, siphash_key key)
    : options_{options}
    , keys_{key, options.cookie_period} {}

// ---- the expiry queue --------------------------------------------------------------------

void server_core::link_newest(client& c) {
    c.older = newest_;
    c.newer = nullptr;
    if (newest_ != nullptr)
        newest_->newer = &c;
    newest_ = &c;
    if (oldest_ == nullptr)
        oldest_ = &c;
}

void server_core::unlink(client& c) {
    if (sweep_ == &c)
        sweep_ = c.newer;
    (c.older != nullptr ? c.older->newer : oldest_) = c.newer;
    (c.newer != nullptr ? c.newer->older : newest_) = c.older;
    c.older = c.newer = nullptr;
}

std::optional<time_point> server_core::next_deadline() const {
    if (oldest_ == nullptr)
        return std::nullopt;
    auto deadline = oldest_->last_seen + options_.expiry;
    if (lagging_ > 0 && !notices_held_) {
        // When the notice budget has a token again (now, if it has one), rounded up: a
        // deadline a hair early would fire the timer again and again, for nothing.
        auto const at = options_.notice_rate > 0 ? notice_budget_.next_token(options_.notice_rate)
                                                 : notice_budget_.last_use();
        deadline = std::min(deadline, at);
    }
    return deadline;
}

void server_core::on_timer(time_point now, actions& out) {
    while (oldest_ != nullptr && oldest_->last_seen + options_.expiry <= now) {
        ++stats_.expired;
        remove(*oldest_, out, "disappeared");
    }
    prune_buckets(now);
    pump(now, out);
}

// ---- keys and sending ------------------------------------------------------------------------

std::uint64_t server_core::cookie_for(wire::endpoint const& from, time_point now) const {
    return keys_.cookie_for(from, now);
}

wire::peer_entry server_core::entry_for(client const& c, client const& recipient) const {
    return wire::peer_entry{c.id, pair_key(c, recipient), c.public_endpoint, c.private_endpoints};
}

void server_core::send_signed(actions& out, client const& to, wire::message const& m) {
    // Only fails on a bug (every field was validated on the way in).
    if (auto bytes = wire::encode_signed(m, wire::server_mac_key(to.secret)))
        out.sends.push_back({to.public_endpoint, std::move(*bytes), to.local});
}

void server_core::reply(actions& out, wire::endpoint const& to, siphash_key const& key,
                        wire::message const& m) {
    if (auto bytes = wire::encode_signed(m, key))
        out.sends.push_back({to, std::move(*bytes), request_local_});
}

void server_core::refuse(actions& out, wire::endpoint const& to, wire::refused::reason why,
                         siphash_key const& key) {
    ++stats_.refused;
    reply(out, to, key, wire::refused{why});
}

void server_core::send_list(client const& recipient, actions& out) {
    // The hot path of a registration storm (a list of 100,000 is ~3,500 pages): pages are
    // assembled from each client's cached entry, only the pair key differs per recipient.
    wire::list_builder list{version_};
    for (auto const& [id, c] : clients_)
        if (&c != &recipient)
            list.add(c.entry, pair_key(c, recipient));
    auto pages = std::move(list).finish(wire::server_mac_key(recipient.secret));
    for (auto& page : pages)
        out.sends.push_back({recipient.public_endpoint, std::move(page), recipient.local});
    ++stats_.lists;
    stats_.list_pages += pages.size();
}

void server_core::remove(client& c, actions& out, char const* verb) {
    if (verb != nullptr)
        out.lines.push_back(c.id + " is " + verb + " " + c.public_endpoint.to_string());
    unlink(c);
    entry_bytes_ -= c.entry.size();
    std::string const id = c.id;
    clients_.erase(id); // `c` is gone from here on
    record_leave(id);
}

// ---- fan-out -------------------------------------------------------------------------------

std::size_t server_core::list_pages() const noexcept {
    // An estimate (entries do not split across pages), close enough to choose between a list
    // and replaying notices.
    return std::max(entry_bytes_ / (wire::max_datagram - wire::list_page_overhead),
                    clients_.size() / 255) +
           1;
}

void server_core::record_join(client& c) {
    ++version_;
    // Encoded once; each recipient's copy differs only in the pair key and the mac.
    auto const peer = entry_for(c, c);
    auto notice = wire::encode(wire::peer_joined{version_, peer});
    auto entry = wire::encode_entry(peer);
    entry_bytes_ -= c.entry.size(); // a rebinding replaces the old entry
    c.entry.clear();
    if (notice && entry) // else a bug (fields were validated): no notice, no list entry
        c.entry = std::move(*entry);
    entry_bytes_ += c.entry.size();
    log_.push_back({version_, c.id, c.secret, notice ? std::move(*notice) : wire::bytes{}});
    recorded();
}

void server_core::record_leave(std::string const& id) {
    ++version_;
    auto encoded = wire::encode(wire::peer_left{version_, id});
    log_.push_back({version_, id, 0, encoded ? std::move(*encoded) : wire::bytes{}});
    recorded();
}

void server_core::recorded() {
    if (log_.size() > max_log)
        log_.pop_front();
    lagging_ = clients_.size(); // nobody has heard of the new version yet
}

void server_core::mark_needs_list(client& c) {
    if (!c.needs_list && c.synced == version_)
        ++lagging_;
    c.needs_list = true;
}

void server_core::pump(time_point now, actions& out) {
    if (lagging_ == 0 || notices_held_)
        return;
    auto const rate = options_.notice_rate;
    if (rate > 0)
        notice_budget_.refill(rate, rate, now); // a second's worth saved up
    auto const start = out.sends.size();
    auto const slice = std::max<std::size_t>(1, options_.max_sends_per_call); // 0 would spin
    std::size_t idle = 0;
    // Each pass over the clients visits every one that lags; clients that refresh meanwhile
    // move to the far end of the expiry order, ahead of the cursor, so none is skipped.
    while (lagging_ > 0 && out.sends.size() - start < slice &&
           (rate <= 0 || notice_budget_.tokens() >= 1)) {
        if (sweep_ == nullptr)
            sweep_ = oldest_;
        client& c = *sweep_;
        sweep_ = c.newer;
        if (!c.needs_list && c.synced == version_) {
            if (++idle > clients_.size()) {
                lagging_ = 0; // a full pass found nobody: the count was off (a bug); recover
                break;
            }
            continue;
        }
        idle = 0;
        auto const before = out.sends.size();
        catch_up(c, out);
        notice_budget_.spend(static_cast<double>(out.sends.size() - before));
    }
}

void server_core::catch_up(client& c, actions& out) {
    // Replay the changes it missed, unless the whole list is cheaper, the log no longer has
    // them all, or one of them is its own (a rebinding: only the list moves its version on).
    auto const lag = version_ - c.synced; // wraps like the versions
    bool list =
        c.needs_list || log_.empty() || lag > log_.size() || (lag > 1 && lag > list_pages());
    auto const first = log_.size() - std::min<std::size_t>(lag, log_.size());
    if (!list)
        for (auto i = first; i < log_.size(); ++i)
            if (log_[i].id == c.id) {
                list = true;
                break;
            }
    if (list) {
        send_list(c, out);
    } else {
        auto const mac_key = wire::server_mac_key(c.secret);
        for (auto i = first; i < log_.size(); ++i) {
            auto const& ch = log_[i];
            if (ch.notice.empty())
                continue; // could not be encoded: a bug, not a reason to stop
            auto& o = out.sends.emplace_back(outgoing{c.public_endpoint, ch.notice, c.local});
            if (ch.secret != 0)
                wire::set_pair_key(o.data, wire::peer_joined_pair_key_offset(ch.id),
                                   keys_.pair_key(ch.id, ch.secret, c.id, c.secret));
            wire::sign(o.data, mac_key);
            ++stats_.notices;
        }
    }
    c.synced = version_;
    c.needs_list = false;
    --lagging_;
}

// ---- admission ----------------------------------------------------------------------------

bool server_core::admit(wire::endpoint const& from, time_point now) {
    if (options_.rate_limit <= 0)
        return true;
    return buckets_[address_key(from)].take(options_.rate_limit, 2 * options_.rate_limit, now);
}

void server_core::prune_buckets(time_point now) {
    if (now - last_prune_ < bucket_idle)
        return;
    last_prune_ = now;
    std::erase_if(buckets_,
                  [&](auto const& kv) { return now - kv.second.last_use() > bucket_idle; });
}

void server_core::on_datagram(wire::endpoint const& from, std::span<std::uint8_t const> datagram,
                              time_point now, actions& out, local_tag local) {
    ++stats_.received;
    request_local_ = local;
    if (!admit(from, now)) {
        ++stats_.rate_limited;
        return;
    }
    // Bounds the bucket table under a flood of sources without waiting for the timer.
    if (buckets_.size() > 100'000)
        prune_buckets(now);
    auto decoded = wire::decode(datagram);
    if (!decoded) {
        ++stats_.malformed;
        return;
    }
    std::visit(
        [&](auto const& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, wire::register_request> ||
                          std::is_same_v<T, wire::deregister_request> ||
                          std::is_same_v<T, wire::resync_request> ||
                          std::is_same_v<T, wire::relay_chat> || std::is_same_v<T, wire::relay_ack>)
                handle(from, m, now, out);
            else
                ++stats_.unexpected;
        },
        *decoded);
    pump(now, out);
}

// ---- the requests --------------------------------------------------------------------------

void server_core::handle(wire::endpoint const& from, wire::register_request const& m,
                         time_point now, actions& out) {
    auto const key = wire::reply_mac_key(m.secret, m.cookie);
    if (!keys_.cookie_valid(from, m.cookie, now)) {
        // Smaller than any register request: no amplification toward a forged source. Signed
        // with the request's secret (a client's nonce on first contact): unforgeable off-path.
        ++stats_.challenges;
        reply(out, from, key, wire::challenge{cookie_for(from, now)});
        return;
    }
    // From here on the source has proved it receives at `from`.
    auto const it = clients_.find(m.id);
    if (it != clients_.end()) {
        client& c = it->second;
        if (m.secret != 0 && m.secret == c.secret)
            return refresh(c, from, m, now, key, out);
        if (c.public_endpoint != from)
            return refuse(out, from, wire::refused::reason::id_taken, key);
        // The same public endpoint without the secret: the client restarted. Its old
        // registration goes; the new one is announced like any newcomer, in one line that
        // says what happened.
        remove(c, out, nullptr);
        return enroll(from, m, now, key, out, true);
    }
    enroll(from, m, now, key, out, false);
}

void server_core::refresh(client& c, wire::endpoint const& from, wire::register_request const& m,
                          time_point now, siphash_key const& key, actions& out) {
    ++stats_.refreshes;
    c.last_seen = now;
    c.local = request_local_; // the host's addresses can change too
    unlink(c);
    link_newest(c);
    if (c.public_endpoint != from || c.private_endpoints != m.private_endpoints) {
        // NAT rebinding (or new interfaces): the peers must learn the new endpoints.
        ++stats_.rebindings;
        c.public_endpoint = from;
        c.private_endpoints = m.private_endpoints;
        out.lines.push_back(c.id + " " + from.to_string());
        record_join(c);
        // It is owed a list now (its own change): the latest version, so that it asks again
        // if that list is lost.
        c.needs_list = true;
    }
    // The version it was brought to, not the latest: a client that the paced fan-out has not
    // reached yet has missed nothing and must not resync (a whole list instead of a notice or
    // two). One it is owed a list for gets the latest: if the list is lost, it asks again.
    reply(out, from, key, wire::register_ack{c.secret, from, c.needs_list ? version_ : c.synced});
}

void server_core::enroll(wire::endpoint const& from, wire::register_request const& m,
                         time_point now, siphash_key const& key, actions& out, bool restart) {
    // A list must fit the protocol's 65,535 pages (u16): with the largest entries that is
    // ~524,000 clients, below the default --max-clients.
    constexpr std::size_t max_list_bytes =
        0xffff * (wire::max_datagram - wire::list_page_overhead - wire::max_entry_size);
    if (clients_.size() >= options_.max_clients ||
        entry_bytes_ + wire::max_entry_size > max_list_bytes)
        return refuse(out, from, wire::refused::reason::server_full, key);

    ++stats_.registrations;
    auto [pos, inserted] = clients_.try_emplace(m.id);
    client& c = pos->second;
    c.id = m.id;
    c.public_endpoint = from;
    c.private_endpoints = m.private_endpoints;
    c.secret = keys_.new_secret();
    c.local = request_local_;
    c.last_seen = now;
    link_newest(c);
    out.lines.push_back(restart ? c.id + " is re-registered " + from.to_string() + " (restarted)"
                                : c.id + " " + from.to_string());
    record_join(c); // the pump sends it the list and everyone else the news
    reply(out, from, key, wire::register_ack{c.secret, from, version_});
}

void server_core::handle(wire::endpoint const& from, wire::deregister_request const& m, time_point,
                         actions& out) {
    auto const key = wire::reply_mac_key(m.secret, 0);
    auto const it = clients_.find(m.id);
    if (it == clients_.end()) {
        reply(out, from, key, wire::deregister_ack{}); // a retransmission after success
        return;
    }
    if (m.secret == 0 || m.secret != it->second.secret)
        return refuse(out, from, wire::refused::reason::bad_secret, key);
    ++stats_.deregistered;
    remove(it->second, out, "deregistered");
    reply(out, from, key, wire::deregister_ack{});
}

void server_core::handle(wire::endpoint const& from, wire::resync_request const& m, time_point now,
                         actions& out) {
    auto* const c = verified_sender(from, m.id, m.secret);
    if (c == nullptr)
        return refuse(out, from, wire::refused::reason::not_registered,
                      wire::reply_mac_key(m.secret, 0));
    // The list can be long: at most one per client per second.
    if (c->last_resync != time_point{} && now - c->last_resync < min_resync_interval) {
        ++stats_.rate_limited;
        return;
    }
    c->last_resync = now;
    ++stats_.resyncs;
    mark_needs_list(*c);
}

server_core::client* server_core::verified_sender(wire::endpoint const& from, std::string const& id,
                                                  std::uint64_t secret) {
    auto const it = clients_.find(id);
    if (it == clients_.end() || secret == 0 || it->second.secret != secret ||
        it->second.public_endpoint != from)
        return nullptr;
    return &it->second;
}

template <class Relay>
server_core::relay_route server_core::route(wire::endpoint const& from, Relay const& m,
                                            time_point now, actions& out) {
    auto* const sender = verified_sender(from, m.from, m.secret);
    if (sender == nullptr) {
        refuse(out, from, wire::refused::reason::not_registered, wire::reply_mac_key(m.secret, 0));
        return {};
    }
    if (!sender->relay_bucket.take(options_.relay_rate, 2 * options_.relay_rate, now)) {
        ++stats_.relay_dropped;
        return {};
    }
    auto const it = clients_.find(m.to);
    if (it == clients_.end() || &it->second == sender) {
        ++stats_.relay_dropped;
        return {sender, nullptr};
    }
    ++stats_.relayed;
    return {sender, &it->second};
}

void server_core::handle(wire::endpoint const& from, wire::relay_chat const& m, time_point now,
                         actions& out) {
    auto const r = route(from, m, now, out);
    if (r.target != nullptr)
        send_signed(out, *r.target, wire::relayed_chat{m.from, m.message_id, m.text});
    else if (r.sender != nullptr)
        send_signed(out, *r.sender, wire::relay_failed{m.to, m.message_id});
}

void server_core::handle(wire::endpoint const& from, wire::relay_ack const& m, time_point now,
                         actions& out) {
    // A lost ack costs a retransmission of the chat, not a report: no relay_failed here.
    if (auto const r = route(from, m, now, out); r.target != nullptr)
        send_signed(out, *r.target, wire::relayed_ack{m.from, m.message_id});
}

std::string server_core::stats_line() const {
    return rendezvousd::stats_line(stats_, {clients_.size(), version_, lagging_});
}

} // namespace netlab::rendezvousd
