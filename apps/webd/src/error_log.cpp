#include "error_log.hpp"

#include <cstdlib>
#include <string>

#include <unistd.h>

namespace netlab::webd {

void log_line(priority p, std::string_view message) noexcept {
    static bool const journal = std::getenv("JOURNAL_STREAM") != nullptr; // fixed at first use
    try {
        std::string line;
        line.reserve(message.size() + 12);
        if (journal) {
            line += '<';
            line += static_cast<char>('0' + static_cast<int>(p));
            line += '>';
        }
        line += "webd: ";
        line += message;
        line += '\n';
        auto const n = ::write(STDERR_FILENO, line.data(), line.size());
        (void)n; // nowhere left to report a failing stderr
    } catch (...) {
        // Out of memory while logging: drop the line rather than end the daemon.
    }
}

} // namespace netlab::webd
