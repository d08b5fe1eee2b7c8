// copyd: concurrent file copier. Wiring only; the logic is in src/.
#include <netlab/copyd/app.hpp>
#include <netlab/copyd/options.hpp>

#include <csignal>
#include <iostream>

int main(int argc, char** argv) {
    // A closed stdout or stderr must not kill copies in flight: writes just fail.
    std::signal(SIGPIPE, SIG_IGN);
    auto const opt = netlab::copyd::parse_options(argc, argv, std::cout, std::cerr);
    if (!opt)
        return opt.error() == netlab::copyd::parse_outcome::help_shown ? 0 : 2;
    return netlab::copyd::run(*opt);
}
