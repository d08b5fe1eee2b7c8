// Arbitrary datagrams from a handful of sources into server_core (the bytes also steer the
// source and the clock): nothing crashes, and a source that never proved its address (no
// valid cookie ever reached the server from it) never gets a reply larger than its request.

#include <netlab/rendezvousd/server_core.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    namespace rv = netlab::rendezvous;
    namespace rd = netlab::rendezvousd;
    rd::server_options o;
    o.expiry = std::chrono::seconds{3};
    rd::server_core server{o, {1, 2}};
    rd::actions out;
    rd::time_point now{std::chrono::hours{1}};
    std::span<std::uint8_t const> in{data, size};
    // Framing: [source 0..3][time step][length][bytes...] repeated.
    while (in.size() >= 3) {
        auto const source = static_cast<std::uint8_t>(in[0] % 4);
        now += std::chrono::milliseconds{in[1] * 50};
        std::size_t const n = std::min<std::size_t>(in[2], in.size() - 3);
        auto const datagram = in.subspan(3, n);
        in = in.subspan(3 + n);
        auto const from = rv::endpoint::v4({198, 51, 100, source}, 1000);
        out.clear();
        server.on_timer(now, out);
        out.clear();
        server.on_datagram(from, datagram, now, out);
        for (auto const& s : out.sends) {
            if (s.data.size() > rv::max_datagram || !rv::decode(s.data))
                std::abort();
            // Fuzzed bytes cannot contain a valid cookie (it is a keyed hash), so every
            // reply toward the sender itself must be no larger than what it sent.
            if (s.to == from && s.data.size() > datagram.size())
                std::abort();
        }
    }
    return 0;
}
