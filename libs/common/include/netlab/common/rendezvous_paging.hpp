#pragma once

// The peer list on the wire: how it splits into list_page datagrams, and the pieces a server
// needs to send it to many recipients fast. Every recipient's copy of a list or of a join
// notice differs only in the pair keys and the mac, so entries and notices are encoded once
// and each copy is assembled by copying bytes and patching those fields in. Pure code: no
// sockets, no clocks.

#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/common/siphash.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

namespace netlab::rendezvous {

/// A list page besides its entries: header, version, page, page count, entry count, mac.
inline constexpr std::size_t list_page_overhead = header_size + 4 + 2 + 2 + 1 + 8;
/// The largest entry: an id of max_id_length, IPv6 public and private endpoints.
inline constexpr std::size_t max_entry_size =
    1 + max_id_length + 8 + 19 + 1 + max_private_endpoints * 19;

/// Encoded size of one entry, for paging.
std::size_t encoded_size(peer_entry const& e) noexcept;

/// Splits `peers` into as few pages of `version` as fit max_datagram each (one empty page for
/// an empty list). Entries must be valid (else encode() of a page fails later).
std::vector<list_page> paginate(std::uint32_t version, std::vector<peer_entry> peers);

/// `e` as it stands in a list_page or a peer_joined, for list_builder::add. Fails like
/// encode() on an invalid entry.
boost::system::result<bytes, std::error_code> encode_entry(peer_entry const& e);

/// Where the pair key (8 bytes, big-endian) sits in an encoded entry of a peer `id`.
constexpr std::size_t entry_pair_key_offset(std::string_view id) noexcept {
    return 1 + id.size();
}
/// Where the pair key sits in an encoded peer_joined for a peer `id`.
constexpr std::size_t peer_joined_pair_key_offset(std::string_view id) noexcept {
    return header_size + 4 + entry_pair_key_offset(id);
}
/// Writes `pair_key` at `offset` of an encoded datagram (nothing past its end).
void set_pair_key(std::span<std::uint8_t> datagram, std::size_t offset,
                  std::uint64_t pair_key) noexcept;

/// One recipient's copy of a list of `version`, assembled from entries encoded once: the same
/// bytes as encode() of paginate()'s pages with their macs, at the cost of copying bytes.
class list_builder {
public:
    explicit list_builder(std::uint32_t version);

    /// Appends an entry from encode_entry() with `pair_key` in place of its own, on a new page
    /// where paginate() would start one. Ignores anything too short to be an entry.
    void add(std::span<std::uint8_t const> entry, std::uint64_t pair_key);
    /// The pages, numbered, counted and signed with `key` (one empty page for an empty list).
    std::vector<bytes> finish(siphash_key const& key) &&;

private:
    bytes& open_page();

    bytes head_; ///< an empty page without its mac
    std::vector<bytes> pages_;
};

} // namespace netlab::rendezvous
