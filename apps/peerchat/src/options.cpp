#include <netlab/common/rendezvous_wire.hpp>
#include <netlab/peerchat/options.hpp>
#include <netlab/version.hpp>

#include <boost/program_options.hpp>

#include <charconv>
#include <fstream>
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

boost::system::result<program_options, std::error_code>
parse_options(int argc, char const* const* argv, std::ostream& out, std::ostream& err) {
    program_options o;
    std::string id;
    std::string server = o.server_host;
    unsigned port = o.port;
    double refresh = 10;
    std::string config;
    po::options_description desc{"Options"};
    desc.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
        "config", po::value(&config)->value_name("FILE"),
        "read options from FILE (same names, `name = value`)")(
        "id", po::value(&id)->value_name("ID"),
        "my id (1-32 printable characters, no spaces); "
        "without it the first input line is the id")(
        "server", po::value(&server)->default_value(server)->value_name("HOST[:PORT]"),
        "rendezvousd's HOST[:PORT], [IPV6]:PORT or IPV6 (port 10080 by default); a name "
        "resolving to several addresses: each is tried in turn until one answers")(
        "port", po::value(&port)->default_value(port),
        "local UDP port (0: any free port), IPv6 and IPv4 alike")(
        "refresh", po::value(&refresh)->default_value(refresh),
        "seconds between registration refreshes");

    auto const usage = [&](std::ostream& os) {
        os << "Usage: peerchat [--id ID] [--server HOST[:PORT]] [OPTIONS]\n\n"
              "Chat client that talks to its peers directly through NATs (hole punching),\n"
              "with rendezvousd as the meeting point and, when no direct path opens, relay.\n"
              "Reads commands from standard input:\n"
              "  @show_list              one line per peer: <id> <ip>:<port> <path>,\n"
              "                          path being private, public or relay; IPv6\n"
              "                          addresses print as [addr]:port\n"
              "  @chat <id> <message>    send a message; the peer prints From <me> [<message>]\n"
              "  @exit                   deregister and quit (so do end of input, Ctrl-C)\n\n"
           << desc << '\n';
    };
    auto const bad = [&](std::string const& what) {
        err << "peerchat: " << what << "\nTry 'peerchat --help'.\n";
        return std::make_error_code(std::errc::invalid_argument);
    };
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, desc), vm);
        if (vm.count("help")) {
            usage(out);
            return std::make_error_code(std::errc::interrupted);
        }
        if (vm.count("version")) {
            out << "peerchat " << netlab::version << '\n';
            return std::make_error_code(std::errc::interrupted);
        }
        if (vm.count("config")) {
            auto const& file = vm["config"].as<std::string>();
            std::ifstream in{file};
            if (!in)
                return bad("cannot read config file " + file);
            po::store(po::parse_config_file(in, desc), vm);
        }
        po::notify(vm);
        if (vm.count("id")) {
            if (!rendezvous::valid_id(id))
                return bad("invalid id '" + id + "': 1-32 printable characters, no spaces");
            o.id = id;
        }
    } catch (po::error const& e) {
        return bad(e.what());
    }
    auto const hp = split_host_port(server, 10080);
    if (!hp)
        return bad("invalid --server '" + server +
                   "': expected HOST[:PORT], [IPV6]:PORT or IPV6 (a port needs the brackets)");
    o.server_host = hp->first;
    o.server_port = hp->second;
    if (port > 65535)
        return bad("--port must be 0..65535");
    o.port = static_cast<std::uint16_t>(port);
    if (!(refresh >= 0.1 && refresh <= 3600))
        return bad("--refresh must be 0.1..3600 seconds");
    o.refresh = std::chrono::milliseconds{static_cast<std::int64_t>(refresh * 1000)};
    return o;
}

} // namespace netlab::peerchat
