#include "server_core.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace netlab::rendezvousd {
namespace {

// Domain separation: one server key, three unrelated uses.
constexpr std::uint8_t cookie_domain = 'c';
constexpr std::uint8_t secret_domain = 's';
constexpr std::uint8_t pair_domain = 'p';

// Buckets idle for this long hold a full burst again anyway: forgetting them changes nothing.
constexpr std::chrono::seconds bucket_idle{10};
constexpr std::chrono::seconds min_resync_interval{1};

void put_u64(std::vector<std::uint8_t>& v, std::uint64_t x) {
    for (int shift = 56; shift >= 0; shift -= 8)
        v.push_back(static_cast<std::uint8_t>(x >> shift));
}

std::array<std::uint8_t, 17> address_key(wire::endpoint const& e) {
    std::array<std::uint8_t, 17> k{};
    k[0] = static_cast<std::uint8_t>(e.fam);
    std::copy(e.address.begin(), e.address.end(), k.begin() + 1);
    return k;
}

// The mac is the last 8 bytes of every signed message: computed over the bytes before it.
void sign(wire::bytes& b, siphash_key const& key) {
    if (b.size() < wire::header_size + 8)
        return; // every signed type ends in a mac; a shorter one would be a bug, not a crash
    auto const n = b.size() - 8;
    auto const mac = siphash24(key, std::span{b.data(), n});
    for (std::size_t i = 0; i < 8; ++i)
        b[n + i] = static_cast<std::uint8_t>(mac >> (56 - 8 * i));
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
    , key_{key} {}

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
    (c.older != nullptr ? c.older->newer : oldest_) = c.newer;
    (c.newer != nullptr ? c.newer->older : newest_) = c.older;
    c.older = c.newer = nullptr;
}

std::optional<time_point> server_core::next_deadline() const {
    if (oldest_ == nullptr)
        return std::nullopt;
    return oldest_->last_seen + options_.expiry;
}

void server_core::on_timer(time_point now, actions& out) {
    while (oldest_ != nullptr && oldest_->last_seen + options_.expiry <= now) {
        ++stats_.expired;
        remove(*oldest_, out, "disappeared");
    }
    prune_buckets(now);
}

// ---- keys, cookies, secrets ----------------------------------------------------------------

std::uint64_t server_core::cookie_at(wire::endpoint const& from, std::int64_t epoch) const {
    // On every register datagram: a fixed buffer, no allocation.
    std::array<std::uint8_t, 1 + 8 + 1 + 16 + 2> in{};
    in[0] = cookie_domain;
    for (std::size_t i = 0; i < 8; ++i)
        in[1 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(epoch) >> (56 - 8 * i));
    in[9] = static_cast<std::uint8_t>(from.fam);
    std::copy(from.address.begin(), from.address.end(), in.begin() + 10);
    in[26] = static_cast<std::uint8_t>(from.port >> 8U);
    in[27] = static_cast<std::uint8_t>(from.port & 0xffU);
    auto const c = siphash24(key_, in);
    return c == 0 ? 1 : c; // 0 means "no cookie" on the wire
}

std::uint64_t server_core::cookie_for(wire::endpoint const& from, time_point now) const {
    return cookie_at(from, now.time_since_epoch() / options_.cookie_period);
}

bool server_core::cookie_valid(wire::endpoint const& from, std::uint64_t cookie,
                               time_point now) const {
    if (cookie == 0)
        return false;
    auto const epoch = now.time_since_epoch() / options_.cookie_period;
    return cookie == cookie_at(from, epoch) || cookie == cookie_at(from, epoch - 1);
}

std::uint64_t server_core::new_secret() {
    std::vector<std::uint8_t> in{secret_domain};
    put_u64(in, ++secret_counter_);
    auto const s = siphash24(key_, in);
    return s == 0 ? 1 : s; // 0 means "no secret" on the wire
}

std::uint64_t server_core::pair_key(client const& a, client const& b) const {
    // Once per recipient of every join: a fixed buffer, no allocation.
    auto const& [lo, hi] = a.id < b.id ? std::pair{&a, &b} : std::pair{&b, &a};
    std::array<std::uint8_t, 1 + 2 * (1 + wire::max_id_length + 8)> in{};
    std::size_t n = 0;
    in[n++] = pair_domain;
    for (auto const* c : {lo, hi}) {
        in[n++] = static_cast<std::uint8_t>(c->id.size());
        std::memcpy(in.data() + n, c->id.data(), c->id.size());
        n += c->id.size();
        for (int shift = 56; shift >= 0; shift -= 8)
            in[n++] = static_cast<std::uint8_t>(c->secret >> shift);
    }
    return siphash24(key_, std::span{in.data(), n});
}

wire::peer_entry server_core::entry_for(client const& c, client const& recipient) const {
    return wire::peer_entry{c.id, pair_key(c, recipient), c.public_endpoint, c.private_endpoints};
}

// ---- sending -------------------------------------------------------------------------------

void server_core::send(actions& out, wire::endpoint const& to, wire::message const& m) {
    auto bytes = wire::encode(m);
    if (bytes) // only fails on a bug (every field was validated on the way in)
        out.sends.push_back({to, std::move(*bytes)});
}

void server_core::send_signed(actions& out, wire::endpoint const& to, std::uint64_t secret,
                              wire::message const& m) {
    auto bytes = wire::encode(m);
    if (!bytes)
        return;
    sign(*bytes, wire::server_mac_key(secret));
    out.sends.push_back({to, std::move(*bytes)});
}

void server_core::reply(actions& out, wire::endpoint const& to, siphash_key const& key,
                        wire::message const& m) {
    auto bytes = wire::encode(m);
    if (!bytes)
        return;
    sign(*bytes, key);
    out.sends.push_back({to, std::move(*bytes)});
}

void server_core::refuse(actions& out, wire::endpoint const& to, wire::refused::reason why,
                         siphash_key const& key) {
    ++stats_.refused;
    reply(out, to, key, wire::refused{why});
}

void server_core::send_list(client const& recipient, actions& out) {
    if (!options_.send_lists)
        return;
    std::vector<wire::peer_entry> peers;
    peers.reserve(clients_.size());
    for (auto const& [id, c] : clients_)
        if (&c != &recipient)
            peers.push_back(entry_for(c, recipient));
    for (auto const& page : wire::paginate(version_, std::move(peers)))
        send_signed(out, recipient.public_endpoint, recipient.secret, page);
}

void server_core::announce_join(client const& c, actions& out) {
    if (!options_.send_lists)
        return;
    // One encoding; each recipient's copy differs only in the pair key.
    auto const encoded = wire::encode(wire::peer_joined{version_, entry_for(c, c)});
    if (!encoded)
        return;
    auto const at = wire::peer_joined_pair_key_offset(c.id);
    for (auto const& [id, other] : clients_) {
        if (&other == &c)
            continue;
        auto& o = out.sends.emplace_back(outgoing{other.public_endpoint, *encoded});
        auto const key = pair_key(c, other);
        for (std::size_t i = 0; i < 8; ++i)
            o.data[at + i] = static_cast<std::uint8_t>(key >> (56 - 8 * i));
        sign(o.data, wire::server_mac_key(other.secret));
    }
}

void server_core::remove(client& c, actions& out, char const* verb) {
    out.lines.push_back(c.id + " is " + verb + " " + c.public_endpoint.to_string());
    ++version_;
    unlink(c);
    std::string const id = c.id;
    clients_.erase(id); // `c` is gone from here on
    for (auto const& [other_id, other] : clients_)
        send_signed(out, other.public_endpoint, other.secret, wire::peer_left{version_, id});
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
                              time_point now, actions& out) {
    ++stats_.received;
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
}

// ---- the requests --------------------------------------------------------------------------

void server_core::handle(wire::endpoint const& from, wire::register_request const& m,
                         time_point now, actions& out) {
    if (!cookie_valid(from, m.cookie, now)) {
        // Smaller than any register request: no amplification toward a forged source. Signed
        // with the request's secret (a client's nonce on first contact): unforgeable off-path.
        ++stats_.challenges;
        reply(out, from, wire::reply_mac_key(m.secret, m.cookie),
              wire::challenge{cookie_for(from, now)});
        return;
    }
    // From here on the source has proved it receives at `from`.
    auto const key = wire::reply_mac_key(m.secret, m.cookie);
    auto const it = clients_.find(m.id);
    if (it != clients_.end()) {
        client& c = it->second;
        bool const same_secret = m.secret != 0 && m.secret == c.secret;
        if (!same_secret && c.public_endpoint != from)
            return refuse(out, from, wire::refused::reason::id_taken, key);
        if (same_secret) {
            ++stats_.refreshes;
            c.last_seen = now;
            unlink(c);
            link_newest(c);
            if (c.public_endpoint != from || c.private_endpoints != m.private_endpoints) {
                // NAT rebinding (or new interfaces): the peers must learn the new endpoints.
                ++stats_.rebindings;
                c.public_endpoint = from;
                c.private_endpoints = m.private_endpoints;
                ++version_;
                out.lines.push_back(c.id + " " + from.to_string());
                announce_join(c, out);
            }
            reply(out, from, key, wire::register_ack{c.secret, from, version_});
            return;
        }
        // The same public endpoint without the secret: the client restarted. Its old
        // registration goes; the new one is announced like any newcomer.
        remove(c, out, "deregistered");
    }
    if (clients_.size() >= options_.max_clients)
        return refuse(out, from, wire::refused::reason::server_full, key);

    ++stats_.registrations;
    auto [pos, inserted] = clients_.try_emplace(m.id);
    client& c = pos->second;
    c.id = m.id;
    c.public_endpoint = from;
    c.private_endpoints = m.private_endpoints;
    c.secret = new_secret();
    c.last_seen = now;
    link_newest(c);
    ++version_;
    out.lines.push_back(c.id + " " + from.to_string());
    reply(out, from, key, wire::register_ack{c.secret, from, version_});
    send_list(c, out);
    announce_join(c, out);
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
    send_list(*c, out);
}

server_core::client* server_core::verified_sender(wire::endpoint const& from, std::string const& id,
                                                  std::uint64_t secret) {
    auto const it = clients_.find(id);
    if (it == clients_.end() || secret == 0 || it->second.secret != secret ||
        it->second.public_endpoint != from)
        return nullptr;
    return &it->second;
}

void server_core::handle(wire::endpoint const& from, wire::relay_chat const& m, time_point now,
                         actions& out) {
    auto* const sender = verified_sender(from, m.from, m.secret);
    if (sender == nullptr)
        return refuse(out, from, wire::refused::reason::not_registered,
                      wire::reply_mac_key(m.secret, 0));
    if (!sender->relay_bucket.take(options_.relay_rate, 2 * options_.relay_rate, now)) {
        ++stats_.relay_dropped;
        return;
    }
    auto const target = clients_.find(m.to);
    if (target == clients_.end() || &target->second == sender) {
        ++stats_.relay_dropped;
        send_signed(out, from, sender->secret, wire::relay_failed{m.to, m.message_id});
        return;
    }
    ++stats_.relayed;
    send_signed(out, target->second.public_endpoint, target->second.secret,
                wire::relayed_chat{m.from, m.message_id, m.text});
}

void server_core::handle(wire::endpoint const& from, wire::relay_ack const& m, time_point now,
                         actions& out) {
    auto* const sender = verified_sender(from, m.from, m.secret);
    if (sender == nullptr)
        return refuse(out, from, wire::refused::reason::not_registered,
                      wire::reply_mac_key(m.secret, 0));
    if (!sender->relay_bucket.take(options_.relay_rate, 2 * options_.relay_rate, now)) {
        ++stats_.relay_dropped;
        return;
    }
    auto const target = clients_.find(m.to);
    if (target == clients_.end() || &target->second == sender) {
        ++stats_.relay_dropped;
        return;
    }
    ++stats_.relayed;
    send_signed(out, target->second.public_endpoint, target->second.secret,
                wire::relayed_ack{m.from, m.message_id});
}

std::string server_core::stats_line() const {
    auto const& s = stats_;
    std::string line = "stats clients=" + std::to_string(clients_.size());
    auto const add = [&](char const* name, std::uint64_t v) {
        line += ' ';
        line += name;
        line += '=';
        line += std::to_string(v);
    };
    add("version", version_);
    add("received", s.received);
    add("malformed", s.malformed);
    add("rate_limited", s.rate_limited);
    add("unexpected", s.unexpected);
    add("challenges", s.challenges);
    add("registrations", s.registrations);
    add("refreshes", s.refreshes);
    add("rebindings", s.rebindings);
    add("refused", s.refused);
    add("expired", s.expired);
    add("deregistered", s.deregistered);
    add("resyncs", s.resyncs);
    add("relayed", s.relayed);
    add("relay_dropped", s.relay_dropped);
    return line;
}

} // namespace netlab::rendezvousd
