#include <netlab/webd/error_log.hpp>

namespace netlab::webd {

void log_line(priority p, std::string_view message) noexcept {
    // Decided at first use and immutable after: only when stderr really is the journal (a
    // harness that inherited $JOURNAL_STREAM but redirected stderr gets plain lines). "webd: "
    // fits the string's inline buffer, so this cannot throw.
    static sys::journal::logger const log{"webd"};
    log.write(p, message);
}

} // namespace netlab::webd
