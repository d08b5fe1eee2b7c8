#include <netlab/cli/command_line.hpp>
#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/peerchat/options.hpp>

#include <boost/program_options/value_semantic.hpp>

#include <charconv>
#include <ostream>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace netlab::peerchat {

namespace po = boost::program_options;

namespace {

bool ipv6_literal(std::string const& s) {
    in6_addr a{};
    return ::inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

constexpr char const* usage_text =
    "Usage: peerchat [--id ID] [--server HOST[:PORT]] [OPTIONS]\n\n"
    "Chat client that talks to its peers directly through NATs (hole punching),\n"
    "with rendezvousd as the meeting point and, when no direct path opens, relay.\n"
    "Reads commands from standard input:\n"
    "  @show_list              one line per peer: <id> <ip>:<port> <path>,\n"
    "                          path being private, public or relay; IPv6\n"
    "                          addresses print as [addr]:port\n"
    "  @chat <id> <message>    send a message; the peer prints From <me> [<message>]\n"
    "  @exit                   deregister and quit (so do end of input, Ctrl-C)\n\n"
    "Exit status: 0 after a normal exit; 1 when the id is registered from another\n"
    "address, rendezvousd never answered, or a second Ctrl-C cut the goodbye short;\n"
    "2 for usage errors.\n\n";

// Values as typed, checked and converted by `convert`.
struct raw_options {
    std::string id;
    std::string server = "127.0.0.1";
    unsigned port = 10081;
    double refresh = 10;
};

po::options_description settings_description(raw_options& raw) {
    po::options_description settings;
    settings.add_options()("id", po::value(&raw.id)->value_name("ID"),
                           "my id (1-32 printable characters, no spaces); "
                           "without it the first input line is the id")(
        "server", po::value(&raw.server)->default_value(raw.server)->value_name("HOST[:PORT]"),
        "rendezvousd's HOST[:PORT], [IPV6]:PORT or IPV6 (port 10080 by default); a name "
        "resolving to several addresses: each is tried in turn until one answers")(
        "port", po::value(&raw.port)->default_value(raw.port),
        "local UDP port (0: any free port), IPv6 and IPv4 alike")(
        "refresh", po::value(&raw.refresh)->default_value(raw.refresh),
        "seconds between registration refreshes");
    return settings;
}

} // namespace

boost::system::result<std::pair<std::string, std::uint16_t>, std::error_code>
split_host_port(std::string const& s, std::uint16_t default_port) {
    auto const bad = std::make_error_code(std::errc::invalid_argument);
    std::string host = s;
    std::string port;
    bool has_port = false;
    if (!s.empty() && s.front() == '[') {
        // [IPV6] or [IPV6]:PORT, as in URLs: only an IPv6 literal goes in brackets.
        auto const close = s.find(']');
        if (close == std::string::npos)
            return bad;
        host = s.substr(1, close - 1);
        if (!ipv6_literal(host))
            return bad;
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':')
                return bad;
            port = s.substr(close + 2);
            has_port = true;
        }
    } else if (auto const colon = s.find(':'); colon == std::string::npos) {
        // HOST
    } else if (s.find(':', colon + 1) == std::string::npos) {
        host = s.substr(0, colon); // HOST:PORT
        port = s.substr(colon + 1);
        has_port = true;
    } else if (!ipv6_literal(s)) {
        return bad; // several colons: only a bare IPv6 address (no port: its last group could
                    // not be told from one) makes sense
    }
    if (host.empty())
        return bad;
    std::uint16_t p = default_port;
    if (has_port) {
        unsigned v = 0;
        auto const [end, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
        if (ec != std::errc{} || end != port.data() + port.size() || v == 0 || v > 65535)
            return bad;
        p = static_cast<std::uint16_t>(v);
    }
    return std::pair{host, p};
}

namespace {

cli::outcome<program_options> convert(raw_options const& raw, cli::command_line const& cli) {
    program_options o;
    if (cli.given("id")) {
        if (!rendezvous::valid_id(raw.id))
            return cli.usage_error("invalid id '" + raw.id +
                                   "': 1-32 printable characters, no spaces");
        o.id = raw.id;
    }
    auto const hp = split_host_port(raw.server, 10080);
    if (!hp)
        return cli.usage_error("invalid --server '" + raw.server +
                               "': expected HOST[:PORT], [IPV6]:PORT or IPV6 (a port needs the "
                               "brackets)");
    o.server_host = hp->first;
    o.server_port = hp->second;
    if (raw.port > 65535)
        return cli.usage_error("--port must be 0..65535");
    o.port = static_cast<std::uint16_t>(raw.port);
    if (!(raw.refresh >= 0.1 && raw.refresh <= 3600))
        return cli.usage_error("--refresh must be 0.1..3600 seconds");
    o.refresh = std::chrono::milliseconds{static_cast<std::int64_t>(raw.refresh * 1000)};
    return o;
}

} // namespace

cli::outcome<program_options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                            std::ostream& err) {
    program_options o;
    raw_options raw;
    auto const settings = settings_description(raw);
    auto const shown = cli::options_table("Options", settings); // as --help always showed it

    cli::command_line cli{"peerchat", out, err};
    auto const read = cli.parse(
        argc, argv, {.options = shown, .settings = settings, .help = [&](std::ostream& os) {
                         os << usage_text << shown << '\n';
                     }});
    if (read != cli::action::run)
        return read;
    return convert(raw, cli);
}

} // namespace netlab::peerchat
