#pragma once

// The field types of the rendezvous format (PROTOCOL.md, "Field types"), written and read.
// Internal to libs/common: the message codec (rendezvous_wire.cpp) and the list assembly
// (rendezvous_paging.cpp) share them.
//
// A writer and a reader have the same member names, so one layout function per message serves
// both directions: `io.u64(m.cookie)` writes the field from a const message or reads it into a
// mutable one. Both validate as they go and keep the first error; after it a reader yields
// zeros and empty values, and nothing read or written counts any more.

#include <netlab/common/rendezvous_wire.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace netlab::rendezvous::detail {

// What writer and reader share: the first error, range checks, and the composite field types
// in terms of the primitives.
template <class Io>
class field_codec {
public:
    /// `endpoints`: u8 count 0..max_private_endpoints, then that many endpoints.
    template <class Endpoints>
    void eps(Endpoints& v) {
        self().count(v, max_private_endpoints);
        for (auto& e : v)
            self().ep(e);
    }
    /// `entry`: id, u64 pair key, endpoint public, endpoints private.
    template <class Entry>
    void entry(Entry& e) {
        self().id(e.id);
        self().u64(e.pair_key);
        self().ep(e.public_endpoint);
        eps(e.private_endpoints);
    }
    /// A list of `entry`s after a u8 count.
    template <class Entries>
    void entries(Entries& v) {
        self().count(v, 0xff);
        for (auto& e : v)
            entry(e);
    }

    /// A range check of fields already written or read.
    void check(bool in_range) {
        if (!in_range)
            fail(errc::bad_field);
    }
    void fail(errc e) {
        if (!error_)
            error_ = e;
    }
    bool ok() const noexcept { return !error_; }

protected:
    std::optional<errc> error_;

private:
    Io& self() { return static_cast<Io&>(*this); }
};

class writer : public field_codec<writer> {
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
    /// A u8 field whose values are an enum's.
    template <class Enum>
    void u8_enum(Enum e, std::uint8_t, std::uint8_t) {
        u8(static_cast<std::uint8_t>(e));
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
    /// The u8 count before a list of at most `max` elements.
    template <class T>
    void count(std::vector<T> const& v, std::size_t max) {
        if (v.size() > max)
            return fail(errc::bad_field);
        u8(static_cast<std::uint8_t>(v.size()));
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
};

class reader : public field_codec<reader> {
public:
    explicit reader(std::span<std::uint8_t const> in)
        : in_{in} {}

    void u8(std::uint8_t& v) { v = take(1) ? in_[pos_ - 1] : 0; }
    void u16(std::uint16_t& v) {
        std::uint8_t hi = 0, lo = 0;
        u8(hi);
        u8(lo);
        v = static_cast<std::uint16_t>((hi << 8U) | lo);
    }
    void u32(std::uint32_t& v) {
        std::uint16_t hi = 0, lo = 0;
        u16(hi);
        u16(lo);
        v = (std::uint32_t{hi} << 16U) | lo;
    }
    void u64(std::uint64_t& v) {
        std::uint32_t hi = 0, lo = 0;
        u32(hi);
        u32(lo);
        v = (std::uint64_t{hi} << 32U) | lo;
    }
    /// A u8 field whose values are an enum's, `lo`..`hi`.
    template <class Enum>
    void u8_enum(Enum& e, std::uint8_t lo, std::uint8_t hi) {
        std::uint8_t v = 0;
        u8(v);
        if (v < lo || v > hi)
            fail(errc::bad_field);
        e = static_cast<Enum>(v);
    }
    void id(std::string& s) {
        std::uint8_t n = 0;
        u8(n);
        s = raw(n);
        if (!error_ && !valid_id(s))
            fail(errc::bad_id);
    }
    void text(std::string& s) {
        std::uint16_t n = 0;
        u16(n);
        s = raw(n);
        if (!error_ && !valid_text(s))
            fail(errc::bad_text);
    }
    void ep(endpoint& e) {
        std::uint8_t fam = 0;
        u8(fam);
        if (fam != 4 && fam != 6)
            return fail(errc::bad_endpoint);
        e.fam = fam == 4 ? endpoint::family::v4 : endpoint::family::v6;
        for (std::size_t i = 0; i < (fam == 4 ? 4U : 16U); ++i)
            u8(e.address[i]);
        u16(e.port);
        if (e.port == 0)
            fail(errc::bad_endpoint);
    }
    /// The u8 count before a list of at most `max` elements: makes room for them.
    template <class T>
    void count(std::vector<T>& v, std::size_t max) {
        std::uint8_t n = 0;
        u8(n);
        if (n > max)
            return fail(errc::bad_field);
        if (!error_)
            v.resize(n);
    }
    std::size_t remaining() const noexcept { return in_.size() - pos_; }
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
};

} // namespace netlab::rendezvous::detail
