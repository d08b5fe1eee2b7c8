// rendezvousd: wiring only. The protocol is in src/server_core, the socket in src/udp_server.

#include <netlab/asio/run.hpp>
#include <netlab/rendezvousd/options.hpp>
#include <netlab/rendezvousd/udp_server.hpp>
#include <netlab/sys/journal.hpp>
#include <netlab/sys/systemd.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <exception>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>

#include <unistd.h>

int main(int argc, char** argv) {
    namespace rd = netlab::rendezvousd;
    namespace journal = netlab::sys::journal;
    // Under systemd each line carries its priority (see README); elsewhere lines are unchanged.
    // Events go to stdout as they are; the daemon's own status and errors to stderr, named.
    journal::line_writer const out{STDOUT_FILENO};
    journal::logger const log{"rendezvousd"};
    std::ostringstream usage_errors;
    auto const options = rd::parse_options(argc, argv, std::cout, usage_errors);
    log.lines().write_lines(journal::priority::error, usage_errors.str()); // already named
    if (!options)
        return options.exit_status();

    try {
        boost::asio::io_context ioc{1};
        // Cookies, secrets and pair keys derive from this key: a restarted server makes every
        // client register again (they do, on their next refresh).
        std::random_device entropy;
        auto const word = [&] { return (std::uint64_t{entropy()} << 32U) | entropy(); };
        netlab::siphash_key const key{word(), word()};

        // One line per event and per stats report, written at once: journald and test
        // harnesses read it live.
        rd::udp_server server{ioc.get_executor(), *options, key, [&out](std::string_view line) {
                                  out.write(journal::priority::info, line);
                              }};
        boost::asio::signal_set stats_signal{ioc, SIGUSR1};
        boost::asio::signal_set stop_signals{ioc, SIGINT, SIGTERM};
        stop_signals.async_wait([&](boost::system::error_code ec, int) {
            if (ec)
                return;
            netlab::sys::systemd::notify("STOPPING=1");
            server.stop();
            stats_signal.cancel(); // with the socket closed, run() returns
        });
        std::function<void()> wait_stats = [&] {
            stats_signal.async_wait([&](boost::system::error_code ec, int) {
                if (ec)
                    return;
                server.report_stats();
                wait_stats();
            });
        };
        wait_stats();
        server.start();
        log.info("listening on UDP port " + std::to_string(server.local_port()));
        netlab::sys::systemd::notify("READY=1");
        netlab::asio::run(ioc, 1);
    } catch (std::exception const& e) {
        log.error(e.what());
        return 1;
    }
    return 0;
}
