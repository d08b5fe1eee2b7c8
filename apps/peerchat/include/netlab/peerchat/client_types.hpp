#pragma once

// The vocabulary of peerchat's sans-I/O core (client_core and its parts): the clock, the
// options, and the actions a call hands back to the I/O layer.

#include <netlab/common/rendezvous_wire.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace netlab::peerchat {

namespace wire = netlab::rendezvous;
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using std::chrono::milliseconds;

struct client_options {
    std::string id;
    wire::endpoint server;
    /// More addresses of the server (a name with several), tried in turn while `server` does
    /// not answer; the first that answers is kept.
    std::vector<wire::endpoint> fallback_servers;
    /// The socket reaches IPv6 endpoints (dual-stack); false on an IPv4-only socket.
    bool ipv6 = true;
    /// This host's own addresses with the bound port: the private endpoints.
    std::vector<wire::endpoint> private_endpoints;
    milliseconds refresh{10'000};
    /// Seeds message ids and probe nonces (random in production, fixed in tests).
    std::uint64_t seed = 1;
    /// Sent as the secret of registrations until the server issues one: it keys the mac of the
    /// first replies (challenge, register_ack), so it must be unpredictable (random in
    /// production; 0: derived from `seed`, which peers could reconstruct, for tests).
    std::uint64_t nonce = 0;

    // Timing of the path logic; PROTOCOL.md explains the defaults.
    milliseconds probe_interval{250};
    milliseconds punch_duration{10'000};
    milliseconds repunch_interval{60'000};
    milliseconds keepalive_interval{15'000};
    int keepalive_misses = 3;
    milliseconds retransmit_interval{500};
    int direct_attempts = 4;
    milliseconds delivery_timeout{5'000};
    milliseconds exit_timeout{1'000};
};

struct outgoing {
    wire::endpoint to;
    wire::bytes data;
};

/// What the caller must do after one call. Cleared by the caller.
struct actions {
    std::vector<outgoing> sends;
    std::vector<std::string> lines;  ///< for stdout: chats, the list
    std::vector<std::string> errors; ///< for stderr, one line each
    void clear() {
        sends.clear();
        lines.clear();
        errors.clear();
    }
};

/// splitmix64: tiny, fast, good enough for message ids and probe nonces. One stream per
/// client, seeded by client_options::seed.
class splitmix64 {
public:
    explicit splitmix64(std::uint64_t seed) noexcept
        : state_{seed} {}
    std::uint64_t operator()() noexcept {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31U);
    }

private:
    std::uint64_t state_;
};

} // namespace netlab::peerchat
