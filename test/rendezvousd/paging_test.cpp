// The peer list's pages and the pieces a server assembles them from (libs/common
// rendezvous_paging.hpp): list_builder must give exactly what rendezvousd has always sent,
// encode() of paginate()'s pages, each signed for its recipient.

#include "wire_samples.hpp"

#include <netlab/common/rendezvous_auth.hpp>
#include <netlab/common/rendezvous_paging.hpp>
#include <netlab/common/rendezvous_wire.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace rv = netlab::rendezvous;
using netlab::test::entry;
using netlab::test::v6_loopback;

netlab::siphash_key const key = rv::server_mac_key(0x5ec7e7);

// What the server sent before list_builder: each page of paginate(), encoded and signed.
std::vector<rv::bytes> reference(std::uint32_t version, std::vector<rv::peer_entry> const& peers) {
    std::vector<rv::bytes> out;
    for (auto const& page : rv::paginate(version, peers))
        out.push_back(rv::encode_signed(page, key).value());
    return out;
}

std::vector<rv::bytes> built(std::uint32_t version, std::vector<rv::peer_entry> const& peers) {
    rv::list_builder b{version};
    for (auto e : peers) {
        auto const key_of_it = e.pair_key;
        e.pair_key = 0; // encoded once for every recipient; the key differs per recipient
        b.add(rv::encode_entry(e).value(), key_of_it);
    }
    return std::move(b).finish(key);
}

std::vector<rv::peer_entry> many(std::size_t n, std::size_t id_length, std::size_t privates) {
    std::vector<rv::peer_entry> v;
    for (std::size_t i = 0; i < n; ++i) {
        std::string id = std::to_string(i);
        id.resize(std::max(id.size(), id_length), '-');
        auto e = entry(id, privates);
        e.pair_key = 0x1000 + i;
        if (i % 3 == 0)
            e.public_endpoint = v6_loopback(static_cast<std::uint16_t>(1000 + i));
        v.push_back(std::move(e));
    }
    return v;
}

TEST(RendezvousPaging, TheBuilderMatchesPaginateAndEncode) {
    EXPECT_EQ(built(1, {}), reference(1, {}));
    EXPECT_EQ(built(0xffffffffU, many(1, 1, 0)), reference(0xffffffffU, many(1, 1, 0)));
    for (std::size_t privates : {0U, 1U, 4U}) {
        auto const peers = many(1000, 20, privates);
        auto const pages = built(4, peers);
        EXPECT_GT(pages.size(), 1U);
        EXPECT_EQ(pages, reference(4, peers)) << privates << " private endpoints";
    }
}

TEST(RendezvousPaging, APageCanBeExactlyFull) {
    // Entries of 131 bytes: 1 + 26 (id) + 8 (key) + 19 (IPv6 public) + 1 + 4 * 19 (private):
    // nine of them and the page's 21 make 1200; the tenth starts a page.
    std::vector<rv::peer_entry> peers;
    for (std::uint16_t i = 0; i < 10; ++i) {
        std::string id = "fit" + std::to_string(i);
        id.resize(26, '.');
        rv::peer_entry e{id, i, v6_loopback(i + 1), {}};
        for (std::uint16_t k = 0; k < 4; ++k)
            e.private_endpoints.push_back(v6_loopback(static_cast<std::uint16_t>(100 + k)));
        ASSERT_EQ(rv::encoded_size(e), 131U);
        peers.push_back(std::move(e));
    }
    auto const pages = built(3, peers);
    ASSERT_EQ(pages.size(), 2U);
    EXPECT_EQ(pages[0].size(), rv::max_datagram);
    EXPECT_EQ(pages, reference(3, peers));
}

TEST(RendezvousPaging, AnEncodedEntryIsWhatANoticeCarries) {
    auto e = entry("someone", 2);
    e.pair_key = 0x0102030405060708ULL;
    auto const bytes = rv::encode_entry(e).value();
    EXPECT_EQ(bytes.size(), rv::encoded_size(e));
    auto const notice = rv::encode(rv::peer_joined{7, e}).value();
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), notice.begin() + rv::header_size + 4));
    auto const at = rv::entry_pair_key_offset(e.id);
    EXPECT_EQ(rv::bytes(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                        bytes.begin() + static_cast<std::ptrdiff_t>(at + 8)),
              (rv::bytes{1, 2, 3, 4, 5, 6, 7, 8}));
    EXPECT_EQ(rv::encode_entry(entry("no spaces")).error(), rv::errc::bad_id);
    EXPECT_LE(rv::encoded_size(entry(std::string(rv::max_id_length, 'x'), 4)), rv::max_entry_size);
}

TEST(RendezvousPaging, SetPairKeyPatchesANoticeAndNothingPastItsEnd) {
    auto e = entry("bob");
    auto notice = rv::encode(rv::peer_joined{1, e}).value();
    e.pair_key = 42;
    rv::set_pair_key(notice, rv::peer_joined_pair_key_offset(e.id), 42);
    EXPECT_EQ(notice, rv::encode(rv::peer_joined{1, e}).value());
    auto const before = notice;
    rv::set_pair_key(notice, notice.size() - 7, 1);
    rv::set_pair_key(notice, notice.size() + 1, 1);
    EXPECT_EQ(notice, before);
}

TEST(RendezvousPaging, TheBuilderIgnoresWhatIsNotAnEntry) {
    rv::list_builder b{1};
    b.add({}, 1);
    b.add(rv::bytes{5, 'a'}, 1); // an id of five bytes, one there
    EXPECT_EQ(std::move(b).finish(key), reference(1, {}));
}

} // namespace
