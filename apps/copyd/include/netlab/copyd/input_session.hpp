#pragma once

// The seed's prompt loop as a state machine without I/O: bytes from stdin go in, actions come
// out (text to print, a copy to start, ...). The caller does the reading and the acting, so
// every prompt sequence is tested without a terminal.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace netlab::copyd {

inline constexpr std::string_view source_prompt = "input the file name: ";
inline constexpr std::string_view destination_prompt = "input the new name: ";

namespace action {
/// Write `text` to stdout.
struct print {
    std::string text;
    friend bool operator==(print const&, print const&) = default;
};
/// Start copying `source` to `destination` in the background.
struct start_copy {
    std::string source;
    std::string destination;
    friend bool operator==(start_copy const&, start_copy const&) = default;
};
/// Show the running copies on stdout, then print `then_print` (the prompt again).
struct show_progress {
    std::string then_print;
    friend bool operator==(show_progress const&, show_progress const&) = default;
};
/// Complain on stderr; the run counts as failed (exit status 1).
struct complain {
    std::string message;
    friend bool operator==(complain const&, complain const&) = default;
};
/// `exit` or end of input: read no more, wait for the running copies, quit. (After a source
/// without its destination, a `complain` comes first.)
struct finish {
    friend bool operator==(finish const&, finish const&) = default;
};
} // namespace action

using input_action = std::variant<action::print, action::start_copy, action::show_progress,
                                  action::complain, action::finish>;

class input_session {
public:
    /// `prompts`: print the seed's prompts (stdin is a terminal, or --prompt=always).
    /// Lines longer than `max_line` bytes are refused: no file name is that long.
    explicit input_session(bool prompts, std::size_t max_line = std::size_t{16} * 1024);

    /// The first prompt.
    std::vector<input_action> start();
    /// More bytes from stdin, split into lines at '\n'; a trailing '\r' is dropped.
    std::vector<input_action> feed(std::string_view bytes);
    /// End of input: an unterminated last line still counts, then finish.
    std::vector<input_action> end_of_input();

    bool finished() const noexcept { return state_ == state::done; }

private:
    enum class state { want_source, want_destination, done };

    void on_line(std::string_view line, std::vector<input_action>& out);
    void on_overlong_line(std::vector<input_action>& out);
    /// Complains if a source waits for its destination: input ended (`how`) without one.
    void complain_about_lone_source(std::string_view how, std::vector<input_action>& out) const;
    void prompt(std::vector<input_action>& out) const;
    std::string_view current_prompt() const noexcept;

    bool prompts_;
    std::size_t max_line_;
    state state_ = state::want_source;
    std::string partial_;
    bool overlong_ = false;         ///< discarding the rest of a too-long line
    bool drop_destination_ = false; ///< the next line belongs to a refused source
    std::string source_;
};

} // namespace netlab::copyd
