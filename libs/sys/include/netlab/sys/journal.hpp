#pragma once

// Log lines for systemd's journal. When systemd connects a daemon's stdout or stderr to the
// journal it sets $JOURNAL_STREAM to that stream's "<st_dev>:<st_ino>"; a "<N>" prefix on a
// line written there sets the line's syslog priority (SyslogLevelPrefix=, on by default).
// Everywhere else (a terminal, a pipe, a file, a harness that inherited the variable but
// redirected the stream) lines stay exactly as they are.

#include <string>
#include <string_view>

namespace netlab::sys::journal {

/// syslog's levels (`error` is LOG_ERR) as far as the daemons use them.
enum class priority : char { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

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
    void write(priority p, std::string_view line) const noexcept { write(p, {}, line); }
    /// `head` then `line`, as one line and one write(2).
    void write(priority p, std::string_view head, std::string_view line) const noexcept;
    /// Each '\n'-separated line of `text` (say, what went to an ostringstream) as a line.
    void write_lines(priority p, std::string_view text) const noexcept;
    bool journal() const noexcept { return journal_; }

private:
    int fd_;
    bool journal_;
};

/// A program's own status and error lines, "<program>: <message>" (rendezvousd: listening on
/// UDP port 10080), on stderr unless told otherwise, priority-prefixed only for the journal.
/// Output that is the program's product (chat lines, event lines) belongs on a line_writer.
class logger {
public:
    /// To stderr, deciding now whether it is the journal.
    explicit logger(std::string_view program);
    logger(std::string_view program, line_writer out);

    void write(priority p, std::string_view message) const noexcept {
        out_.write(p, prefix_, message);
    }
    void error(std::string_view message) const noexcept { write(priority::error, message); }
    void warning(std::string_view message) const noexcept { write(priority::warning, message); }
    void info(std::string_view message) const noexcept { write(priority::info, message); }

    /// The lines underneath, for text that already names the program (usage errors).
    line_writer const& lines() const noexcept { return out_; }

private:
    std::string prefix_; ///< "program: "
    line_writer out_;
};

} // namespace netlab::sys::journal
