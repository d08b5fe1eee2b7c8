#include <netlab/cli/command_line.hpp>
#include <netlab/version.hpp>

#include <boost/program_options/parsers.hpp>

#include <cerrno>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace netlab::cli {
namespace po = boost::program_options;
namespace {

// errno right after the failed open or read: what the user can act on ("No such file ...").
std::string unreadable(std::string const& path, int error) {
    std::string message = "cannot read config file '" + path + "'";
    if (error != 0)
        message += ": " + std::generic_category().message(error);
    return message;
}

} // namespace

void add_generic_options(po::options_description& desc, generic_help const& help) {
    desc.add_options()("help,h", "show this help and exit")("version", help.version)(
        "config", po::value<std::string>()->value_name("FILE"), help.config);
}

po::options_description options_table(std::string const& caption,
                                      po::options_description const& settings,
                                      generic_help const& help) {
    po::options_description table{caption};
    add_generic_options(table, help);
    for (auto const& option : settings.options()) // shared, so values bind as declared
        table.add(option);
    return table;
}

command_line::command_line(std::string program, std::ostream& out, std::ostream& err)
    : program_{std::move(program)}
    , out_{out}
    , err_{err} {}

action command_line::parse(int argc, char const* const* argv, syntax const& s) {
    // A parser that forgot them would answer --help with "unrecognised option": a bug.
    if (s.options.find_nothrow("help", false) == nullptr ||
        s.options.find_nothrow("config", false) == nullptr)
        throw std::logic_error{"cli::command_line: add_generic_options was not called"};
    try {
        // Without a positional description Program_options drops bare arguments silently;
        // an empty one makes them an error ("too many positional options").
        po::positional_options_description const none;
        po::command_line_parser parser{argc, argv};
        parser.options(s.options).positional(s.positional != nullptr ? *s.positional : none);
        po::store(parser.run(), vm_);
    } catch (po::error const& e) {
        return usage_error(e.what());
    }
    if (vm_.count("help") != 0) {
        s.help(out_);
        return action::exit_ok;
    }
    if (vm_.count("version") != 0) {
        out_ << program_ << ' ' << netlab::version << '\n';
        return action::exit_ok;
    }
    if (vm_.count("config") != 0)
        if (auto const a = read_config_file(s); a != action::run)
            return a;
    try {
        po::notify(vm_);
    } catch (po::error const& e) {
        return usage_error(e.what());
    }
    return action::run;
}

action command_line::read_config_file(syntax const& s) {
    auto const path = vm_["config"].as<std::string>();
    errno = 0;
    std::ifstream file{path};
    if (!file)
        return usage_error(unreadable(path, errno));
    // Stored after the command line: po::store keeps the first value, so the command line wins.
    try {
        po::store(po::parse_config_file(file, s.settings), vm_);
    } catch (po::error const& e) {
        return usage_error("config file '" + path + "': " + e.what());
    }
    // A directory opens but cannot be read: not an empty config.
    if (file.bad())
        return usage_error(unreadable(path, errno));
    return action::run;
}

bool command_line::given(std::string const& name) const {
    auto const it = vm_.find(name);
    return it != vm_.end() && !it->second.defaulted();
}

action command_line::usage_error(std::string_view message) const {
    err_ << program_ << ": " << message << "\nTry '" << program_ << " --help'.\n";
    return action::usage_error;
}

} // namespace netlab::cli
