// peerchat: wiring only. The protocol is in src/client_core, the I/O in src/chat_client.

#include <netlab/asio/run.hpp>
#include <netlab/peerchat/chat_client.hpp>
#include <netlab/peerchat/options.hpp>
#include <netlab/sys/journal.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <sstream>

#include <unistd.h>

int main(int argc, char** argv) {
    namespace pc = netlab::peerchat;
    namespace journal = netlab::sys::journal;
    journal::logger const log{"peerchat"};
    std::ostringstream usage_errors;
    auto const options = pc::parse_options(argc, argv, std::cout, usage_errors);
    log.lines().write_lines(journal::priority::error, usage_errors.str()); // already named
    if (!options)
        return options.exit_status();
    try {
        boost::asio::io_context ioc{1};
        // Chat lines and the answers to commands are the user interface, not log lines: they
        // stay exactly as client_core words them.
        auto const write_line = [](std::FILE* f) {
            return [f](std::string_view line) {
                std::fwrite(line.data(), 1, line.size(), f);
                std::fputc('\n', f);
                std::fflush(f);
            };
        };
        pc::chat_client client{ioc.get_executor(), *options, STDIN_FILENO, write_line(stdout),
                               write_line(stderr)};
        client.start();
        netlab::asio::run(ioc, 1);
        return client.exit_status();
    } catch (std::exception const& e) {
        log.error(e.what());
        return 1;
    }
}
