// copyd: concurrent file copier. Wiring only; the logic is in src/.
#include <netlab/copyd/app.hpp>
#include <netlab/copyd/options.hpp>
#include <netlab/sys/journal.hpp>

#include <csignal>
#include <iostream>
#include <sstream>

#include <unistd.h>

int main(int argc, char** argv) {
    namespace journal = netlab::sys::journal;
    // A closed stdout or stderr must not kill copies in flight: writes just fail.
    std::signal(SIGPIPE, SIG_IGN);
    std::ostringstream usage_errors;
    auto const opt = netlab::copyd::parse_options(argc, argv, std::cout, usage_errors);
    journal::line_writer{STDERR_FILENO}.write_lines(journal::priority::error, usage_errors.str());
    if (!opt)
        return opt.exit_status();
    return netlab::copyd::run(*opt);
}
