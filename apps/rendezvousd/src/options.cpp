#include <netlab/cli/command_line.hpp>
#include <netlab/rendezvousd/options.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <ostream>

namespace netlab::rendezvousd {
namespace po = boost::program_options;
namespace {

constexpr char const* usage_text =
    "Usage: rendezvousd [OPTIONS]\n\n"
    "UDP rendezvous server for peerchat: registers clients, tells each about the\n"
    "others (public and private endpoints) so they can punch holes through their\n"
    "NATs, and relays chats between clients that cannot reach each other.\n"
    "Prints `<id> <ip>:<port>` when a client registers, `<id> is disappeared ...`\n"
    "when it expires and `<id> is deregistered ...` when it leaves; a stats line\n"
    "periodically and on SIGUSR1.\n\n";

// Values as typed, checked and converted by `convert`.
struct raw_options {
    unsigned port = 10080;
    double expiry = 30;
    unsigned stats = 60;
};

po::options_description settings_description(daemon_options& o, raw_options& raw) {
    po::options_description settings;
    settings.add_options()("bind", po::value(&o.bind)->value_name("ADDR"),
                           "IP address to listen on (default: every interface, IPv6 and IPv4 "
                           "on one socket)")("port", po::value(&raw.port)->default_value(raw.port),
                                             "UDP port; 0: any free port")(
        "expiry", po::value(&raw.expiry)->default_value(raw.expiry),
        "seconds without a refresh before a client is removed")(
        "rate-limit", po::value(&o.server.rate_limit)->default_value(o.server.rate_limit),
        "datagrams per second accepted from one IP address (0: unlimited)")(
        "relay-rate", po::value(&o.server.relay_rate)->default_value(o.server.relay_rate),
        "relayed chats per second per client (0: unlimited)")(
        "notice-rate", po::value(&o.server.notice_rate)->default_value(o.server.notice_rate),
        "datagrams per second for peer lists and join/leave notices, all clients together "
        "(0: unlimited); clients that fall behind get what they missed in one go")(
        "max-clients", po::value(&o.server.max_clients)->default_value(o.server.max_clients),
        "registrations at most")("stats-interval", po::value(&raw.stats)->default_value(raw.stats),
                                 "seconds between stats lines (0: only on SIGUSR1)");
    return settings;
}

cli::outcome<daemon_options> convert(daemon_options o, raw_options const& raw,
                                     cli::command_line const& cli) {
    if (!o.bind.empty()) {
        boost::system::error_code ec;
        boost::asio::ip::make_address(o.bind, ec);
        if (ec)
            return cli.usage_error("--bind must be an IP address, not '" + o.bind + "'");
    }
    if (raw.port > 65535)
        return cli.usage_error("--port must be 0..65535 (0: any free port)");
    if (!(raw.expiry > 0 && raw.expiry <= 86400))
        return cli.usage_error("--expiry must be more than 0 and at most 86400 seconds");
    if (!(o.server.rate_limit >= 0) || !(o.server.relay_rate >= 0) || !(o.server.notice_rate >= 0))
        return cli.usage_error("--rate-limit, --relay-rate and --notice-rate must be >= 0");
    if (o.server.max_clients == 0)
        return cli.usage_error("--max-clients must be at least 1");
    o.port = static_cast<std::uint16_t>(raw.port);
    o.server.expiry = std::chrono::milliseconds{static_cast<std::int64_t>(raw.expiry * 1000)};
    o.stats_interval = std::chrono::seconds{raw.stats};
    return o;
}

} // namespace

cli::outcome<daemon_options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                           std::ostream& err) {
    daemon_options o;
    raw_options raw;
    auto const settings = settings_description(o, raw);
    auto const shown = cli::options_table("Options", settings); // as --help always showed it

    cli::command_line cli{"rendezvousd", out, err};
    auto const read = cli.parse(
        argc, argv, {.options = shown, .settings = settings, .help = [&](std::ostream& os) {
                         os << usage_text << shown << '\n';
                     }});
    if (read != cli::action::run)
        return read;
    return convert(std::move(o), raw, cli);
}

} // namespace netlab::rendezvousd
