#include "rendezvous_fields.hpp"

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_paging.hpp>

#include <utility>

namespace netlab::rendezvous {
namespace {

// A list page's fields after the header: u32 version, u16 page, u16 page count, u8 n.
constexpr std::size_t page_at = header_size + 4;
constexpr std::size_t page_count_at = page_at + 2;
constexpr std::size_t count_at = page_count_at + 2;

void store_u16(bytes& b, std::size_t at, std::size_t v) noexcept {
    b[at] = static_cast<std::uint8_t>(v >> 8U);
    b[at + 1] = static_cast<std::uint8_t>(v & 0xffU);
}

} // namespace

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
    std::vector<list_page> pages(1);
    std::size_t size = list_page_overhead;
    for (auto& e : peers) {
        auto const n = encoded_size(e);
        if (size + n > max_datagram || pages.back().peers.size() == 0xff) {
            pages.emplace_back();
            size = list_page_overhead;
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

boost::system::result<bytes, std::error_code> encode_entry(peer_entry const& e) {
    detail::writer w;
    w.entry(e);
    return std::move(w).finish();
}

void set_pair_key(std::span<std::uint8_t> datagram, std::size_t offset,
                  std::uint64_t pair_key) noexcept {
    if (offset > datagram.size() || datagram.size() - offset < 8)
        return;
    for (std::size_t i = 0; i < 8; ++i)
        datagram[offset + i] = static_cast<std::uint8_t>(pair_key >> (56 - 8 * i));
}

list_builder::list_builder(std::uint32_t version) {
    // The codec writes the head (header, version); page and counts are patched per page.
    auto empty = encode(list_page{version, 0, 1, {}, 0});
    if (empty)
        head_.assign(empty->begin(), empty->end() - static_cast<std::ptrdiff_t>(mac_size));
    open_page();
}

bytes& list_builder::open_page() {
    auto const page = pages_.size();
    auto& p = pages_.emplace_back();
    if (head_.size() != count_at + 1)
        return p; // the version could not be encoded: a bug, the pages stay empty
    p.reserve(max_datagram);
    p = head_;
    store_u16(p, page_at, page);
    return p;
}

void list_builder::add(std::span<std::uint8_t const> entry, std::uint64_t pair_key) {
    if (entry.empty() || entry.size() < 1 + std::size_t{entry[0]} + 8 || head_.empty())
        return;
    auto* page = &pages_.back();
    if (page->size() + entry.size() + mac_size > max_datagram || (*page)[count_at] == 0xff)
        page = &open_page();
    auto const at = page->size() + 1 + entry[0]; // entry_pair_key_offset: after the id
    page->insert(page->end(), entry.begin(), entry.end());
    set_pair_key(*page, at, pair_key);
    ++(*page)[count_at];
}

std::vector<bytes> list_builder::finish(siphash_key const& key) && {
    for (auto& p : pages_) {
        if (p.size() <= count_at)
            continue;
        store_u16(p, page_count_at, pages_.size());
        p.resize(p.size() + mac_size);
        sign(p, key);
    }
    return std::move(pages_);
}

} // namespace netlab::rendezvous
