// Arbitrary datagrams, from the server's address or elsewhere, and arbitrary input lines into
// client_core: nothing crashes and everything it sends decodes and fits a datagram.

#include <netlab/peerchat/client_core.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace rv = netlab::rendezvous;
    namespace pc = netlab::peerchat;
    pc::client_options o;
    o.id = "me";
    o.server = rv::endpoint::v4({203, 0, 113, 1}, 10080);
    o.private_endpoints = {rv::endpoint::v4({10, 0, 0, 2}, 10081)};
    pc::client_core core{o};
    pc::actions out;
    pc::time_point now{std::chrono::hours{1}};
    core.start(now, out);
    std::span<std::uint8_t const> in{data, size};
    // Framing: [kind][time step][length][bytes...]; kind 0: from the server, 1: from a peer,
    // 2: an input line.
    while (in.size() >= 3) {
        auto const kind = in[0] % 3;
        now += std::chrono::milliseconds{in[1] * 20};
        std::size_t const n = std::min<std::size_t>(in[2], in.size() - 3);
        auto const chunk = in.subspan(3, n);
        in = in.subspan(3 + n);
        out.clear();
        if (kind == 2)
            core.on_line({reinterpret_cast<char const*>(chunk.data()), chunk.size()}, now, out);
        else
            core.on_datagram(kind == 0 ? o.server : rv::endpoint::v4({198, 51, 100, 7}, 4000),
                             chunk, now, out);
        core.on_timer(now, out);
        for (auto const& s : out.sends)
            if (s.data.size() > rv::max_datagram || !rv::decode(s.data))
                std::abort();
    }
    return 0;
}
