#include <netlab/asio/run.hpp>
#include <netlab/cli/command_line.hpp>
#include <netlab/webd/config.hpp>

#include <boost/program_options/value_semantic.hpp>

#include <ostream>

namespace netlab::webd {
namespace {

namespace po = boost::program_options;

constexpr char const* usage_head = R"(Usage: webd [OPTIONS]

A static HTTP/1.1 web server: serves the files under --root on port 10080, with persistent
connections, conditional and range requests, an access log, graceful shutdown on SIGTERM
and systemd integration (Type=notify, socket activation).)";

// Timeouts as typed (whole seconds), converted by `convert`.
struct raw_timeouts {
    unsigned header = 15;
    unsigned keepalive = 75;
    unsigned send = 60;
    unsigned shutdown = 10;
};

po::options_description settings_description(config& cfg, raw_timeouts& t) {
    po::options_description opts{"Options (command line or config file)"};
    opts.add_options()("root", po::value(&cfg.root)->default_value(cfg.root)->value_name("DIR"),
                       "document root: the files served")(
        "port", po::value(&cfg.port)->default_value(cfg.port)->value_name("N"),
        "TCP port")("bind", po::value(&cfg.bind)->value_name("ADDR"),
                    "listen address (default: all interfaces, IPv6 and IPv4)")(
        "threads", po::value(&cfg.threads)->default_value(cfg.threads)->value_name("N"),
        "threads running the event loop (default: the core count)")(
        "access-log",
        po::value(&cfg.access_log)->default_value(cfg.access_log)->value_name("PATH|-|off"),
        "Combined Log Format access log: a file, - for stdout, or off")(
        "max-connections",
        po::value(&cfg.max_connections)->default_value(cfg.max_connections)->value_name("N"),
        "open connections at most; more are closed at once")(
        "header-timeout", po::value(&t.header)->default_value(t.header)->value_name("SEC"),
        "time to receive a request head (then 408 and close)")(
        "keepalive-timeout", po::value(&t.keepalive)->default_value(t.keepalive)->value_name("SEC"),
        "idle time allowed between requests on a connection")(
        "send-timeout", po::value(&t.send)->default_value(t.send)->value_name("SEC"),
        "time a response may make no progress (not a total deadline)")(
        "shutdown-timeout", po::value(&t.shutdown)->default_value(t.shutdown)->value_name("SEC"),
        "on SIGTERM/SIGINT, time to finish responses in flight before exiting")(
        "max-body-size", po::value(&cfg.max_body)->default_value(cfg.max_body)->value_name("BYTES"),
        "request bodies above this get 413 and the connection closes")(
        "file-cache",
        po::value(&cfg.file_cache)->default_value(cfg.file_cache)->value_name("BYTES"),
        "memory for copies of small files (up to 32 KiB each), revalidated by stat() on "
        "every request; 0 disables")(
        "follow-outside-symlinks", po::bool_switch(&cfg.follow_outside_symlinks),
        "serve symlinks that point outside the root (refused by default)");
    return opts;
}

cli::outcome<config> convert(config cfg, raw_timeouts const& t, cli::command_line const& cli) {
    if (cfg.threads == 0)
        return cli.usage_error("--threads must be at least 1");
    if (cfg.max_connections == 0)
        return cli.usage_error("--max-connections must be at least 1");
    cfg.header_timeout = std::chrono::seconds{t.header};
    cfg.keepalive_timeout = std::chrono::seconds{t.keepalive};
    cfg.send_timeout = std::chrono::seconds{t.send};
    cfg.shutdown_timeout = std::chrono::seconds{t.shutdown};
    return cfg;
}

} // namespace

cli::outcome<config> parse_config(int argc, char const* const* argv, std::ostream& out,
                                  std::ostream& err) {
    config cfg;
    cfg.threads = netlab::asio::default_thread_count();
    raw_timeouts timeouts;
    po::options_description generic{"Command line only"};
    cli::add_generic_options(
        generic,
        {.version = "print the version and exit",
         .config = "read options from FILE (`name = value` lines; the command line wins)"});
    auto const settings = settings_description(cfg, timeouts);
    po::options_description all;
    all.add(generic).add(settings);

    cli::command_line cli{"webd", out, err};
    auto const read =
        cli.parse(argc, argv, {.options = all, .settings = settings, .help = [&](std::ostream& os) {
                                   os << usage_head << "\n" << all << '\n';
                               }});
    if (read != cli::action::run)
        return read;
    return convert(std::move(cfg), timeouts, cli);
}

} // namespace netlab::webd
