#include <netlab/sys/journal.hpp>
#include <netlab/webd/error_log.hpp>

#include <string>

#include <unistd.h>

namespace netlab::webd {

void log_line(priority p, std::string_view message) noexcept {
    // Fixed at first use. Only when stderr really is the journal: a harness that inherited
    // $JOURNAL_STREAM but redirected stderr gets plain lines.
    static bool const journal = netlab::sys::journal::is_journal(STDERR_FILENO);
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
