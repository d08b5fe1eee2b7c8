#pragma once

// The command line every netlab program shares, over Boost.Program_options: --help,
// --version ("<prog> <version>"), --config FILE (`name = value` lines with the same names as
// the options; the command line wins) and usage errors ("prog: message" and a hint on the
// error stream, exit status 2). A program declares its own options, lets command_line::parse
// read them, then checks and converts the values, reporting through usage_error().

#include <netlab/cli/outcome.hpp>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/variables_map.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace netlab::cli {

/// How --help words the options add_generic_options declares: each program keeps its own.
struct generic_help {
    char const* version = "show the version and exit";
    char const* config = "read options from FILE (same names, `name = value`)";
};

/// Declares --help (-h), --version and --config FILE in `desc`, where --help lists them;
/// command_line::parse acts on them.
void add_generic_options(boost::program_options::options_description& desc,
                         generic_help const& help = {});

/// A --help table with `caption`: the generic options, then `settings`, aligned together.
boost::program_options::options_description
options_table(std::string const& caption,
              boost::program_options::options_description const& settings,
              generic_help const& help = {});

/// What one program's command line is made of.
struct syntax {
    /// Every option the command line takes, add_generic_options' included.
    boost::program_options::options_description const& options;
    /// What a config file may set: the settings, without --help, --version and --config.
    boost::program_options::options_description const& settings;
    /// Prints --help's text.
    std::function<void(std::ostream&)> help;
    /// Where bare arguments go; without, a bare argument is a usage error.
    boost::program_options::positional_options_description const* positional = nullptr;
};

/// Reads one program's command line and speaks for it: help and the version to `out`,
/// usage errors to `err`.
class command_line {
public:
    /// `program` starts every message and --version's line.
    command_line(std::string program, std::ostream& out, std::ostream& err);

    /// Stores argv, then the --config file's settings, into the variables the options are
    /// bound to. exit_ok after --help or --version; usage_error (printed) after an unknown
    /// option, a bad value, or a config file that cannot be read or parsed.
    action parse(int argc, char const* const* argv, syntax const& s);

    /// True when `name` was set on the command line or in the config file, not by default.
    bool given(std::string const& name) const;

    /// Prints "program: message" and "Try 'program --help'." to `err`; returns usage_error,
    /// for a parser to return as its outcome.
    action usage_error(std::string_view message) const;

private:
    action read_config_file(syntax const& s);

    std::string program_;
    std::ostream& out_;
    std::ostream& err_;
    boost::program_options::variables_map vm_;
};

} // namespace netlab::cli
