#include <netlab/rendezvousd/options.hpp>
#include <netlab/version.hpp>

#include <boost/program_options.hpp>

#include <fstream>
#include <ostream>

namespace netlab::rendezvousd {

namespace po = boost::program_options;

boost::system::result<daemon_options, std::error_code>
parse_options(int argc, char const* const* argv, std::ostream& out, std::ostream& err) {
    daemon_options o;
    unsigned port = o.port;
    double expiry = 30;
    unsigned stats = 60;
    std::string config;
    po::options_description desc{"Options"};
    desc.add_options()("help,h", "show this help and exit")("version", "show the version and exit")(
        "config", po::value(&config)->value_name("FILE"),
        "read options from FILE (same names, `name = value`)")(
        "port", po::value(&port)->default_value(port),
        "UDP port, on all interfaces (IPv4 and IPv6); 0: any free port")(
        "expiry", po::value(&expiry)->default_value(expiry),
        "seconds without a refresh before a client is removed")(
        "rate-limit", po::value(&o.server.rate_limit)->default_value(o.server.rate_limit),
        "datagrams per second accepted from one IP address (0: unlimited)")(
        "relay-rate", po::value(&o.server.relay_rate)->default_value(o.server.relay_rate),
        "relayed chats per second per client (0: unlimited)")(
        "notice-rate", po::value(&o.server.notice_rate)->default_value(o.server.notice_rate),
        "datagrams per second for peer lists and join/leave notices, all clients together "
        "(0: unlimited); clients that fall behind get what they missed in one go")(
        "max-clients", po::value(&o.server.max_clients)->default_value(o.server.max_clients),
        "registrations at most")("stats-interval", po::value(&stats)->default_value(stats),
                                 "seconds between stats lines (0: only on SIGUSR1)");

    auto const usage = [&](std::ostream& os) {
        os << "Usage: rendezvousd [OPTIONS]\n\n"
              "UDP rendezvous server for peerchat: registers clients, tells each about the\n"
              "others (public and private endpoints) so they can punch holes through their\n"
              "NATs, and relays chats between clients that cannot reach each other.\n"
              "Prints `<id> <ip>:<port>` when a client registers, `<id> is disappeared ...`\n"
              "when it expires and `<id> is deregistered ...` when it leaves; a stats line\n"
              "periodically and on SIGUSR1.\n\n"
           << desc << '\n';
    };
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, desc), vm);
        if (vm.count("help")) {
            usage(out);
            return std::make_error_code(std::errc::interrupted);
        }
        if (vm.count("version")) {
            out << "rendezvousd " << netlab::version << '\n';
            return std::make_error_code(std::errc::interrupted);
        }
        if (vm.count("config")) {
            auto const& file = vm["config"].as<std::string>();
            std::ifstream in{file};
            if (!in) {
                err << "rendezvousd: cannot read config file " << file << '\n';
                return std::make_error_code(std::errc::invalid_argument);
            }
            po::store(po::parse_config_file(in, desc), vm);
        }
        po::notify(vm);
    } catch (po::error const& e) {
        err << "rendezvousd: " << e.what() << "\nTry 'rendezvousd --help'.\n";
        return std::make_error_code(std::errc::invalid_argument);
    }
    auto const bad = [&](char const* what) {
        err << "rendezvousd: " << what << "\n";
        return std::make_error_code(std::errc::invalid_argument);
    };
    if (port > 65535)
        return bad("--port must be 0..65535 (0: any free port)");
    if (!(expiry > 0 && expiry <= 86400))
        return bad("--expiry must be more than 0 and at most 86400 seconds");
    if (!(o.server.rate_limit >= 0) || !(o.server.relay_rate >= 0) || !(o.server.notice_rate >= 0))
        return bad("--rate-limit, --relay-rate and --notice-rate must be >= 0");
    if (o.server.max_clients == 0)
        return bad("--max-clients must be at least 1");
    o.port = static_cast<std::uint16_t>(port);
    o.server.expiry = std::chrono::milliseconds{static_cast<std::int64_t>(expiry * 1000)};
    o.stats_interval = std::chrono::seconds{stats};
    return o;
}

} // namespace netlab::rendezvousd
