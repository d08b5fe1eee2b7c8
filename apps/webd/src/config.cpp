#include <netlab/asio/run.hpp>
#include <netlab/version.hpp>
#include <netlab/webd/config.hpp>

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

namespace netlab::webd {
namespace {

namespace po = boost::program_options;

constexpr char const* usage_head = R"(Usage: webd [OPTIONS]

A static HTTP/1.1 web server: serves the files under --root on port 10080, with persistent
connections, conditional and range requests, an access log, graceful shutdown on SIGTERM
and systemd integration (Type=notify, socket activation).)";

} // namespace

parse_outcome parse_config(int argc, char const* const* argv) {
    config cfg;
    cfg.threads = netlab::asio::default_thread_count();
    unsigned header_s = 0;
    unsigned keepalive_s = 0;
    unsigned send_s = 0;
    unsigned shutdown_s = 0;
    std::string config_file;

    po::options_description generic{"Command line only"};
    generic.add_options()("help,h", "show this help and exit")("version",
                                                               "print the version and exit")(
        "config", po::value(&config_file)->value_name("FILE"),
        "read options from FILE (`name = value` lines; the command line wins)");

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
        "header-timeout", po::value(&header_s)->default_value(15)->value_name("SEC"),
        "time to receive a request head (then 408 and close)")(
        "keepalive-timeout", po::value(&keepalive_s)->default_value(75)->value_name("SEC"),
        "idle time allowed between requests on a connection")(
        "send-timeout", po::value(&send_s)->default_value(60)->value_name("SEC"),
        "time a response may make no progress (not a total deadline)")(
        "shutdown-timeout", po::value(&shutdown_s)->default_value(10)->value_name("SEC"),
        "on SIGTERM/SIGINT, time to finish responses in flight before exiting")(
        "max-body-size", po::value(&cfg.max_body)->default_value(cfg.max_body)->value_name("BYTES"),
        "request bodies above this get 413 and the connection closes")(
        "file-cache",
        po::value(&cfg.file_cache)->default_value(cfg.file_cache)->value_name("BYTES"),
        "memory for copies of small files (up to 32 KiB each), revalidated by stat() on "
        "every request; 0 disables")(
        "follow-outside-symlinks", po::bool_switch(&cfg.follow_outside_symlinks),
        "serve symlinks that point outside the root (refused by default)");

    po::options_description all;
    all.add(generic).add(opts);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
        if (vm.count("help")) {
            std::cout << usage_head << "\n" << all << '\n';
            return {std::nullopt, 0};
        }
        if (vm.count("version")) {
            std::cout << "webd " << netlab::version << '\n';
            return {std::nullopt, 0};
        }
        if (vm.count("config")) {
            auto const& file = vm["config"].as<std::string>();
            std::ifstream in{file};
            if (!in) {
                std::cerr << "webd: cannot read config file " << file << '\n';
                return {std::nullopt, 2};
            }
            po::store(po::parse_config_file(in, opts), vm);
        }
        po::notify(vm);
    } catch (po::error const& e) {
        std::cerr << "webd: " << e.what() << "\nTry 'webd --help'.\n";
        return {std::nullopt, 2};
    }
    if (cfg.threads == 0) {
        std::cerr << "webd: --threads must be at least 1\n";
        return {std::nullopt, 2};
    }
    if (cfg.max_connections == 0) {
        std::cerr << "webd: --max-connections must be at least 1\n";
        return {std::nullopt, 2};
    }
    cfg.header_timeout = std::chrono::seconds{header_s};
    cfg.keepalive_timeout = std::chrono::seconds{keepalive_s};
    cfg.send_timeout = std::chrono::seconds{send_s};
    cfg.shutdown_timeout = std::chrono::seconds{shutdown_s};
    return {cfg, 0};
}

} // namespace netlab::webd
