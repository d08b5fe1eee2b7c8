#pragma once

// What reading a program's command line ends in: options to run with, or the reason to stop
// first (help shown, usage error), with the exit status for each. Light on purpose: the
// options headers and main() include it, Program_options stays in the parsers.

#include <optional>
#include <stdexcept>
#include <utility>

namespace netlab::cli {

/// What a program does once its command line is read.
enum class action {
    run,         ///< the options are valid: run with them
    exit_ok,     ///< --help or --version was printed: exit 0
    usage_error, ///< "prog: message" and a hint were printed: exit 2
};

/// The exit status of a program that stops at `a` instead of running: 0, or 2 after a usage
/// error (scripts rely on 2).
constexpr int exit_status(action a) noexcept {
    return a == action::usage_error ? 2 : 0;
}

/// A program's options, or the action that replaces running.
template <class Options>
class outcome {
public:
    // Implicit both ways: a parser returns its options, or what command_line said.
    outcome(Options options)
        : options_{std::move(options)} {}
    outcome(cli::action stop)
        : stop_{stop} {
        if (stop == cli::action::run)
            throw std::invalid_argument{"cli::outcome: running needs options"};
    }

    explicit operator bool() const noexcept { return options_.has_value(); }
    cli::action action() const noexcept { return options_ ? cli::action::run : stop_; }
    int exit_status() const noexcept { return cli::exit_status(action()); }

    Options const& operator*() const noexcept { return *options_; }
    Options const* operator->() const noexcept { return &*options_; }

private:
    std::optional<Options> options_;
    cli::action stop_ = cli::action::run;
};

} // namespace netlab::cli
