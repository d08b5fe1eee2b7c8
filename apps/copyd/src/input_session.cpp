#include <netlab/common/copy_log.hpp>
#include <netlab/copyd/input_session.hpp>

namespace netlab::copyd {

input_session::input_session(bool prompts, std::size_t max_line)
    : prompts_{prompts}
    , max_line_{max_line} {}

std::string_view input_session::current_prompt() const noexcept {
    switch (state_) {
    case state::want_source:
        return source_prompt;
    case state::want_destination:
        return destination_prompt;
    case state::done:
        break;
    }
    return {};
}

void input_session::prompt(std::vector<input_action>& out) const {
    if (prompts_ && state_ != state::done)
        out.emplace_back(action::print{std::string{current_prompt()}});
}

std::vector<input_action> input_session::start() {
    std::vector<input_action> out;
    prompt(out);
    return out;
}

std::vector<input_action> input_session::feed(std::string_view bytes) {
    std::vector<input_action> out;
    while (!bytes.empty() && state_ != state::done) {
        auto const nl = bytes.find('\n');
        std::string_view const piece = bytes.substr(0, nl);
        if (!overlong_) {
            if (partial_.size() + piece.size() > max_line_ + 1) { // +1: a '\r' may follow
                overlong_ = true;
                partial_.clear();
            } else {
                partial_.append(piece);
            }
        }
        if (nl == std::string_view::npos)
            break;
        bytes.remove_prefix(nl + 1);
        if (overlong_) {
            overlong_ = false;
            on_overlong_line(out);
            continue;
        }
        std::string line = std::move(partial_);
        partial_.clear();
        on_line(line, out);
    }
    return out;
}

std::vector<input_action> input_session::end_of_input() {
    std::vector<input_action> out;
    if (state_ == state::done)
        return out;
    if (!partial_.empty() && !overlong_) {
        std::string line = std::move(partial_);
        partial_.clear();
        on_line(line, out);
    }
    complain_about_lone_source("input ended", out);
    if (prompts_ && state_ != state::done)
        out.emplace_back(action::print{"\n"}); // end the prompt's line, as shells do
    if (state_ != state::done) {
        state_ = state::done;
        out.emplace_back(action::finish{});
    }
    return out;
}

void input_session::complain_about_lone_source(std::string_view how,
                                               std::vector<input_action>& out) const {
    // An empty source is a blank last line (or a dropped pair): nothing is lost.
    if (state_ == state::want_destination && !source_.empty())
        out.emplace_back(action::complain{"copyd: " + std::string{how} + " after source '" +
                                          copy_log::escape(source_) +
                                          "' without a destination; not copied"});
}

void input_session::on_overlong_line(std::vector<input_action>& out) {
    std::string message =
        "copyd: input line longer than " + std::to_string(max_line_) + " bytes ignored";
    if (state_ == state::want_destination) {
        message += " (so is its source '" + copy_log::escape(source_) + "')";
        state_ = state::want_source;
    } else if (!prompts_) {
        // Without prompts lines pair up by count: skip its destination too, or every later
        // destination would be read as a source (and a source overwritten as a destination).
        message += " (so is the next line, its destination)";
        source_.clear();
        state_ = state::want_destination;
        drop_destination_ = true;
    }
    out.emplace_back(action::complain{std::move(message)});
    prompt(out);
}

void input_session::on_line(std::string_view line, std::vector<input_action>& out) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    if (line == "exit") {
        // The source is dropped as at end of input, so the run fails alike.
        complain_about_lone_source("input ended (exit)", out);
        state_ = state::done;
        out.emplace_back(action::finish{});
        return;
    }
    if (line.empty() && prompts_) {
        // No file has an empty name, so an empty line cannot be mistaken for one.
        out.emplace_back(action::show_progress{std::string{current_prompt()}});
        return;
    }
    if (drop_destination_) {
        // The line after a source too long to use: its destination, dropped with it.
        drop_destination_ = false;
        state_ = state::want_source;
        return;
    }
    if (state_ == state::want_source) {
        source_ = line;
        state_ = state::want_destination;
        prompt(out);
        return;
    }
    out.emplace_back(action::start_copy{std::move(source_), std::string{line}});
    source_.clear();
    state_ = state::want_source;
    if (prompts_)
        out.emplace_back(action::print{"\n"});
    prompt(out);
}

} // namespace netlab::copyd
