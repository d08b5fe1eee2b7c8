#pragma once

// Log lines for systemd's journal. When systemd connects a daemon's stdout or stderr to the
// journal it sets $JOURNAL_STREAM to that stream's "<st_dev>:<st_ino>"; a "<N>" prefix on a
// line written there sets the line's syslog priority (SyslogLevelPrefix=, on by default).
// Everywhere else (a terminal, a pipe, a file, a harness that inherited the variable but
// redirected the stream) lines stay exactly as they are.

#include <string_view>

namespace netlab::sys::journal {

enum class priority : char { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

/// True when `journal_stream` (the value of $JOURNAL_STREAM; nullptr when unset) names the file
/// that `fd` refers to, as sd-daemon(3) recommends checking.
bool is_journal(int fd, char const* journal_stream) noexcept;
/// The same with the process's $JOURNAL_STREAM.
bool is_journal(int fd) noexcept;

/// Writes whole lines to one descriptor, each with one write(2) (lines from several writers
/// never interleave), with the priority prefix only when the descriptor is the journal.
class line_writer {
public:
    explicit line_writer(int fd) noexcept
        : line_writer{fd, is_journal(fd)} {}
    line_writer(int fd, bool journal) noexcept
        : fd_{fd}
        , journal_{journal} {}

    /// Appends '\n'. Failures are ignored: there is nowhere left to report them.
    void write(priority p, std::string_view line) const noexcept;
    bool journal() const noexcept { return journal_; }

private:
    int fd_;
    bool journal_;
};

} // namespace netlab::sys::journal
