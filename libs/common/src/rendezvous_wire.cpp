#include <netlab/common/rendezvous_wire.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <utility>

namespace netlab::rendezvous {
namespace {

class category_impl final : public std::error_category {
public:
    char const* name() const noexcept override { return "netlab.rendezvous"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::truncated:
            return "datagram truncated";
        case errc::trailing_bytes:
            return "trailing bytes after the message";
        case errc::bad_magic:
            return "not a rendezvous datagram";
        case errc::bad_version:
            return "unsupported protocol version";
        case errc::unknown_type:
            return "unknown message type";
        case errc::bad_id:
            return "invalid client id";
        case errc::bad_endpoint:
            return "invalid endpoint";
        case errc::bad_text:
            return "invalid chat text";
        case errc::bad_field:
            return "field out of range";
        case errc::too_large:
            return "message larger than one datagram";
        }
        return "unknown rendezvous error";
    }
};

// ---- writing: fields are validated as they are written; the first error sticks -----------

class writer {
public:
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8U));
        u8(static_cast<std::uint8_t>(v & 0xffU));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16U));
        u16(static_cast<std::uint16_t>(v & 0xffffU));
    }
    void u64(std::uint64_t v) {
        u32(static_cast<std::uint32_t>(v >> 32U));
        u32(static_cast<std::uint32_t>(v & 0xffffffffU));
    }
    void id(std::string const& s) {
        if (!valid_id(s))
            return fail(errc::bad_id);
        u8(static_cast<std::uint8_t>(s.size()));
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void text(std::string const& s) {
        if (!valid_text(s))
            return fail(errc::bad_text);
        u16(static_cast<std::uint16_t>(s.size()));
        out_.insert(out_.end(), s.begin(), s.end());
    }
    void ep(endpoint const& e) {
        if (e.port == 0 || (e.fam != endpoint::family::v4 && e.fam != endpoint::family::v6))
            return fail(errc::bad_endpoint);
        u8(static_cast<std::uint8_t>(e.fam));
        std::size_t const n = e.fam == endpoint::family::v4 ? 4 : 16;
        for (std::size_t i = 0; i < n; ++i)
            u8(e.address[i]);
        u16(e.port);
    }
    void eps(std::vector<endpoint> const& v) {
        if (v.size() > max_private_endpoints)
            return fail(errc::bad_field);
        u8(static_cast<std::uint8_t>(v.size()));
        for (auto const& e : v)
            ep(e);
    }
    void entry(peer_entry const& e) {
        id(e.id);
        u64(e.pair_key);
        ep(e.public_endpoint);
        eps(e.private_endpoints);
    }
    void fail(errc e) {
        if (!error_)
            error_ = e;
    }
    boost::system::result<bytes, std::error_code> finish() && {
        if (error_)
            return make_error_code(*error_);
        if (out_.size() > max_datagram)
            return make_error_code(errc::too_large);
        return std::move(out_);
    }

private:
    bytes out_;
    std::optional<errc> error_;
};

// ---- reading: every read is bounds-checked; the first error sticks and later reads yield 0 --

class reader {
public:
    explicit reader(std::span<std::uint8_t const> in)
        : in_{in} {}

    std::uint8_t u8() {
        if (!take(1))
            return 0;
        return in_[pos_ - 1];
    }
    std::uint16_t u16() {
        auto const hi = u8();
        return static_cast<std::uint16_t>((hi << 8U) | u8());
    }
    std::uint32_t u32() {
        std::uint32_t const hi = u16();
        return (hi << 16U) | u16();
    }
    std::uint64_t u64() {
        std::uint64_t const hi = u32();
        return (hi << 32U) | u32();
    }
    std::string id() {
        std::size_t const n = u8();
        std::string s = raw(n);
        if (!error_ && !valid_id(s))
            fail(errc::bad_id);
        return s;
    }
    std::string text() {
        std::size_t const n = u16();
        std::string s = raw(n);
        if (!error_ && !valid_text(s))
            fail(errc::bad_text);
        return s;
    }
    endpoint ep() {
        endpoint e;
        auto const fam = u8();
        std::size_t n = 0;
        if (fam == 4) {
            e.fam = endpoint::family::v4;
            n = 4;
        } else if (fam == 6) {
            e.fam = endpoint::family::v6;
            n = 16;
        } else {
            fail(errc::bad_endpoint);
            return e;
        }
        for (std::size_t i = 0; i < n; ++i)
            e.address[i] = u8();
        e.port = u16();
        if (!error_ && e.port == 0)
            fail(errc::bad_endpoint);
        return e;
    }
    std::vector<endpoint> eps() {
        std::size_t const n = u8();
        std::vector<endpoint> v;
        if (n > max_private_endpoints) {
            fail(errc::bad_field);
            return v;
        }
        for (std::size_t i = 0; i < n && !error_; ++i)
            v.push_back(ep());
        return v;
    }
    peer_entry entry() {
        peer_entry e;
        e.id = id();
        e.pair_key = u64();
        e.public_endpoint = ep();
        e.private_endpoints = eps();
        return e;
    }
    bool ok() const noexcept { return !error_; }
    std::size_t remaining() const noexcept { return in_.size() - pos_; }
    void fail(errc e) {
        if (!error_)
            error_ = e;
    }
    std::error_code error() const { return make_error_code(error_.value_or(errc::truncated)); }

private:
    bool take(std::size_t n) {
        if (error_)
            return false;
        if (in_.size() - pos_ < n) {
            fail(errc::truncated);
            return false;
        }
        pos_ += n;
        return true;
    }
    std::string raw(std::size_t n) {
        if (!take(n))
            return {};
        auto const* const p = in_.data() + (pos_ - n);
        return std::string(reinterpret_cast<char const*>(p), n);
    }

    std::span<std::uint8_t const> in_;
    std::size_t pos_ = 0;
    std::optional<errc> error_;
};

// ---- one pair of functions per message: the layout in PROTOCOL.md, field by field --------

void put(writer& w, register_request const& m) {
    w.id(m.id);
    w.u64(m.cookie);
    w.u64(m.secret);
    w.eps(m.private_endpoints);
}
void get(reader& r, register_request& m) {
    m.id = r.id();
    m.cookie = r.u64();
    m.secret = r.u64();
    m.private_endpoints = r.eps();
}
void put(writer& w, challenge const& m) {
    w.u64(m.cookie);
    w.u64(m.mac);
}
void get(reader& r, challenge& m) {
    m.cookie = r.u64();
    m.mac = r.u64();
}
void put(writer& w, register_ack const& m) {
    w.u64(m.secret);
    w.ep(m.observed);
    w.u32(m.list_version);
    w.u64(m.mac);
}
void get(reader& r, register_ack& m) {
    m.secret = r.u64();
    m.observed = r.ep();
    m.list_version = r.u32();
    m.mac = r.u64();
}
void put(writer& w, refused const& m) {
    w.u8(static_cast<std::uint8_t>(m.why));
    w.u64(m.mac);
}
void get(reader& r, refused& m) {
    auto const v = r.u8();
    if (r.ok() && (v < 1 || v > 5))
        r.fail(errc::bad_field);
    m.why = static_cast<refused::reason>(v);
    m.mac = r.u64();
}
void put(writer& w, list_page const& m) {
    if (m.page_count == 0 || m.page >= m.page_count || m.peers.size() > 0xff)
        w.fail(errc::bad_field);
    w.u32(m.version);
    w.u16(m.page);
    w.u16(m.page_count);
    w.u8(static_cast<std::uint8_t>(m.peers.size()));
    for (auto const& e : m.peers)
        w.entry(e);
    w.u64(m.mac);
}
void get(reader& r, list_page& m) {
    m.version = r.u32();
    m.page = r.u16();
    m.page_count = r.u16();
    if (r.ok() && (m.page_count == 0 || m.page >= m.page_count))
        r.fail(errc::bad_field);
    std::size_t const n = r.u8();
    for (std::size_t i = 0; i < n && r.ok(); ++i)
        m.peers.push_back(r.entry());
    m.mac = r.u64();
}
void put(writer& w, peer_joined const& m) {
    w.u32(m.version);
    w.entry(m.peer);
    w.u64(m.mac);
}
void get(reader& r, peer_joined& m) {
    m.version = r.u32();
    m.peer = r.entry();
    m.mac = r.u64();
}
void put(writer& w, peer_left const& m) {
    w.u32(m.version);
    w.id(m.id);
    w.u64(m.mac);
}
void get(reader& r, peer_left& m) {
    m.version = r.u32();
    m.id = r.id();
    m.mac = r.u64();
}
void put(writer& w, deregister_request const& m) {
    w.id(m.id);
    w.u64(m.secret);
}
void get(reader& r, deregister_request& m) {
    m.id = r.id();
    m.secret = r.u64();
}
void put(writer& w, deregister_ack const& m) {
    w.u64(m.mac);
}
void get(reader& r, deregister_ack& m) {
    m.mac = r.u64();
}
void put(writer& w, resync_request const& m) {
    w.id(m.id);
    w.u64(m.secret);
}
void get(reader& r, resync_request& m) {
    m.id = r.id();
    m.secret = r.u64();
}
template <class M>
void put_probe(writer& w, M const& m) {
    w.id(m.from);
    w.id(m.to);
    w.u64(m.nonce);
    w.u64(m.mac);
}
template <class M>
void get_probe(reader& r, M& m) {
    m.from = r.id();
    m.to = r.id();
    m.nonce = r.u64();
    m.mac = r.u64();
}
void put(writer& w, probe const& m) {
    put_probe(w, m);
}
void get(reader& r, probe& m) {
    get_probe(r, m);
}
void put(writer& w, probe_reply const& m) {
    put_probe(w, m);
}
void get(reader& r, probe_reply& m) {
    get_probe(r, m);
}
void put(writer& w, chat const& m) {
    w.id(m.from);
    w.id(m.to);
    w.u64(m.message_id);
    w.text(m.text);
    w.u64(m.mac);
}
void get(reader& r, chat& m) {
    m.from = r.id();
    m.to = r.id();
    m.message_id = r.u64();
    m.text = r.text();
    m.mac = r.u64();
}
void put(writer& w, chat_ack const& m) {
    w.id(m.from);
    w.id(m.to);
    w.u64(m.message_id);
    w.u64(m.mac);
}
void get(reader& r, chat_ack& m) {
    m.from = r.id();
    m.to = r.id();
    m.message_id = r.u64();
    m.mac = r.u64();
}
void put(writer& w, relay_chat const& m) {
    w.id(m.from);
    w.u64(m.secret);
    w.id(m.to);
    w.u64(m.message_id);
    w.text(m.text);
}
void get(reader& r, relay_chat& m) {
    m.from = r.id();
    m.secret = r.u64();
    m.to = r.id();
    m.message_id = r.u64();
    m.text = r.text();
}
void put(writer& w, relay_ack const& m) {
    w.id(m.from);
    w.u64(m.secret);
    w.id(m.to);
    w.u64(m.message_id);
}
void get(reader& r, relay_ack& m) {
    m.from = r.id();
    m.secret = r.u64();
    m.to = r.id();
    m.message_id = r.u64();
}
void put(writer& w, relayed_chat const& m) {
    w.id(m.from);
    w.u64(m.message_id);
    w.text(m.text);
    w.u64(m.mac);
}
void get(reader& r, relayed_chat& m) {
    m.from = r.id();
    m.message_id = r.u64();
    m.text = r.text();
    m.mac = r.u64();
}
void put(writer& w, relayed_ack const& m) {
    w.id(m.from);
    w.u64(m.message_id);
    w.u64(m.mac);
}
void get(reader& r, relayed_ack& m) {
    m.from = r.id();
    m.message_id = r.u64();
    m.mac = r.u64();
}
void put(writer& w, relay_failed const& m) {
    w.id(m.to);
    w.u64(m.message_id);
    w.u64(m.mac);
}
void get(reader& r, relay_failed& m) {
    m.to = r.id();
    m.message_id = r.u64();
    m.mac = r.u64();
}

template <std::size_t I>
message decode_as(reader& r) {
    std::variant_alternative_t<I, message> m{};
    get(r, m);
    return message{std::in_place_index<I>, std::move(m)};
}

template <std::size_t... I>
constexpr auto make_decoders(std::index_sequence<I...>) {
    return std::array<message (*)(reader&), sizeof...(I)>{&decode_as<I>...};
}
constexpr auto decoders = make_decoders(std::make_index_sequence<std::variant_size_v<message>>{});

} // namespace

std::error_category const& category() noexcept {
    static category_impl const instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

endpoint endpoint::v4(std::array<std::uint8_t, 4> const& a, std::uint16_t port) {
    endpoint e;
    e.fam = family::v4;
    for (std::size_t i = 0; i < 4; ++i)
        e.address[i] = a[i];
    e.port = port;
    return e;
}

endpoint endpoint::v6(std::array<std::uint8_t, 16> const& a, std::uint16_t port) {
    endpoint e;
    e.fam = family::v6;
    e.address = a;
    e.port = port;
    return e;
}

endpoint endpoint::unmapped() const noexcept {
    constexpr std::array<std::uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (fam != family::v6 || !std::equal(prefix.begin(), prefix.end(), address.begin()))
        return *this;
    return v4({address[12], address[13], address[14], address[15]}, port);
}

std::string endpoint::to_string() const {
    std::array<char, 64> buf{};
    int n = 0;
    if (fam == family::v4) {
        n = std::snprintf(buf.data(), buf.size(), "%u.%u.%u.%u:%u", address[0], address[1],
                          address[2], address[3], unsigned{port});
        return std::string(buf.data(), static_cast<std::size_t>(n));
    }
    // RFC 5952 shortening: the longest run (>= 2) of zero groups becomes "::".
    std::array<unsigned, 8> g{};
    for (std::size_t i = 0; i < 8; ++i)
        g[i] = (unsigned{address[2 * i]} << 8U) | address[2 * i + 1];
    std::size_t best = 8, best_len = 0;
    for (std::size_t i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && g[j] == 0)
            ++j;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out = "[";
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != '[' && out.back() != ':')
            out += ':';
        n = std::snprintf(buf.data(), buf.size(), "%x", g[i]);
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    out += "]:";
    out += std::to_string(port);
    return out;
}

bool valid_id(std::string_view id) noexcept {
    if (id.empty() || id.size() > max_id_length)
        return false;
    for (char const c : id) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e)
            return false;
    }
    return true;
}

bool valid_text(std::string_view text) noexcept {
    if (text.size() > max_text_length)
        return false;
    for (char const c : text) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return false;
    }
    return true;
}

std::size_t encoded_size(peer_entry const& e) noexcept {
    auto const ep_size = [](endpoint const& p) -> std::size_t {
        return p.fam == endpoint::family::v4 ? 7 : 19;
    };
    std::size_t n = 1 + e.id.size() + 8 + ep_size(e.public_endpoint) + 1;
    for (auto const& p : e.private_endpoints)
        n += ep_size(p);
    return n;
}

std::vector<list_page> paginate(std::uint32_t version, std::vector<peer_entry> peers) {
    constexpr std::size_t page_header = header_size + 4 + 2 + 2 + 1 + 8; // + the mac
    std::vector<list_page> pages(1);
    std::size_t size = page_header;
    for (auto& e : peers) {
        auto const n = encoded_size(e);
        if (size + n > max_datagram || pages.back().peers.size() == 0xff) {
            pages.emplace_back();
            size = page_header;
        }
        size += n;
        pages.back().peers.push_back(std::move(e));
    }
    for (std::size_t i = 0; i < pages.size(); ++i) {
        pages[i].version = version;
        pages[i].page = static_cast<std::uint16_t>(i);
        pages[i].page_count = static_cast<std::uint16_t>(pages.size());
    }
    return pages;
}

boost::system::result<bytes, std::error_code> encode(message const& m) {
    writer w;
    w.u8(magic0);
    w.u8(magic1);
    w.u8(protocol_version);
    w.u8(static_cast<std::uint8_t>(m.index() + 1));
    std::visit([&](auto const& body) { put(w, body); }, m);
    return std::move(w).finish();
}

boost::system::result<bytes, std::error_code> mac_input(message const& m) {
    auto out = encode(m);
    if (!out)
        return out;
    out->resize(out->size() - 8);
    return out;
}

std::uint8_t peek_type(std::span<std::uint8_t const> datagram) noexcept {
    if (datagram.size() < header_size || datagram[0] != magic0 || datagram[1] != magic1 ||
        datagram[2] != protocol_version || datagram[3] == 0 ||
        datagram[3] > std::variant_size_v<message>)
        return 0;
    return datagram[3];
}

boost::system::result<message, std::error_code> decode(std::span<std::uint8_t const> datagram) {
    if (datagram.size() > max_datagram)
        return make_error_code(errc::too_large);
    if (datagram.size() < header_size)
        return make_error_code(errc::truncated);
    if (datagram[0] != magic0 || datagram[1] != magic1)
        return make_error_code(errc::bad_magic);
    if (datagram[2] != protocol_version)
        return make_error_code(errc::bad_version);
    std::size_t const type = datagram[3];
    if (type == 0 || type > decoders.size())
        return make_error_code(errc::unknown_type);
    reader r{datagram.subspan(header_size)};
    message m = decoders[type - 1](r);
    if (!r.ok())
        return r.error();
    if (r.remaining() != 0)
        return make_error_code(errc::trailing_bytes);
    return m;
}

} // namespace netlab::rendezvous
