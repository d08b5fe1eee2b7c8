// webd: wiring only. Options -> root, log, server -> signals -> run.
#include <netlab/asio/run.hpp>
#include <netlab/sys/journal.hpp>
#include <netlab/sys/systemd.hpp>
#include <netlab/webd/access_log.hpp>
#include <netlab/webd/config.hpp>
#include <netlab/webd/error_log.hpp>
#include <netlab/webd/root_directory.hpp>
#include <netlab/webd/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <functional>
#include <iostream>
#include <sstream>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

// Thousands of keep-alive connections need thousands of descriptors: take the hard limit.
void raise_fd_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}

// Drained: a late second signal must not turn exit status 0 into death by signal while the
// signal sets are torn down (they restore the default dispositions).
void block_late_signals() {
    sigset_t late{};
    sigemptyset(&late);
    sigaddset(&late, SIGTERM);
    sigaddset(&late, SIGINT);
    sigaddset(&late, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &late, nullptr);
}

} // namespace

int main(int argc, char** argv) {
    namespace net = boost::asio;
    namespace webd = netlab::webd;
    namespace journal = netlab::sys::journal;
    std::ostringstream usage_errors;
    auto const parsed = webd::parse_config(argc, argv, std::cout, usage_errors);
    journal::line_writer{STDERR_FILENO}.write_lines(journal::priority::error, usage_errors.str());
    if (!parsed)
        return parsed.exit_status();
    auto const& cfg = *parsed;
    try {
        std::signal(SIGPIPE, SIG_IGN); // sendfile(2) to a closed peer must be an error, not death
        raise_fd_limit();
        webd::root_directory root{cfg.root, cfg.follow_outside_symlinks, cfg.file_cache};
        webd::access_log log{cfg.access_log};
        net::io_context ioc{static_cast<int>(cfg.threads)};
        webd::server server{ioc, cfg, root, log};
        server.listen(netlab::sys::systemd::listen_fds());

        // First SIGTERM/SIGINT: drain gracefully; a second one: stop now.
        net::signal_set stop_signals{ioc, SIGINT, SIGTERM};
        stop_signals.async_wait([&](boost::system::error_code ec, int) {
            if (ec)
                return;
            netlab::sys::systemd::notify("STOPPING=1");
            server.stop();
            stop_signals.async_wait([&](boost::system::error_code again, int) {
                if (!again)
                    ioc.stop();
            });
        });
        net::signal_set hup{ioc, SIGHUP};
        std::function<void(boost::system::error_code, int)> on_hup =
            [&](boost::system::error_code ec, int) {
                if (ec)
                    return;
                if (!log.reopen())
                    webd::log_line(webd::priority::error,
                                   "cannot reopen the access log " + cfg.access_log);
                hup.async_wait(on_hup);
            };
        hup.async_wait(on_hup);

        server.start();
        std::cout << "The TCP server is ready to receive." << std::endl;
        webd::log_line(webd::priority::info, "serving " + cfg.root + " on " +
                                                 server.describe_listeners() + " with " +
                                                 std::to_string(cfg.threads) + " thread(s)");
        netlab::sys::systemd::notify("READY=1\nSTATUS=serving on " + server.describe_listeners());
        netlab::asio::run(ioc, cfg.threads);
        block_late_signals();
        return 0;
    } catch (std::exception const& e) {
        webd::log_line(webd::priority::error, e.what());
        return 1;
    }
}
