// peerchat: wiring only. The protocol is in src/client_core, the I/O in src/chat_client.

#include <netlab/asio/run.hpp>
#include <netlab/peerchat/chat_client.hpp>
#include <netlab/peerchat/options.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv) {
    namespace pc = netlab::peerchat;
    auto const options = pc::parse_options(argc, argv, std::cout, std::cerr);
    if (!options)
        return options.error() == std::errc::interrupted ? 0 : 2;
    try {
        boost::asio::io_context ioc{1};
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
        std::cerr << "peerchat: " << e.what() << '\n';
        return 1;
    }
}
