#include <netlab/copyd/options.hpp>
#include <netlab/version.hpp>

#include <boost/program_options.hpp>

#include <charconv>
#include <fstream>
#include <ostream>

namespace netlab::copyd {
namespace po = boost::program_options;
namespace {

class outcome_category final : public std::error_category {
public:
    char const* name() const noexcept override { return "copyd.options"; }
    std::string message(int ev) const override {
        return static_cast<parse_outcome>(ev) == parse_outcome::help_shown ? "help shown"
                                                                           : "usage error";
    }
};

constexpr char const* usage_text = R"(Usage: copyd [OPTIONS] [SRC DST]...

Copies files concurrently. With SRC DST pairs as arguments, copies them all at once and exits
when every copy is done. Without, reads pairs of lines from stdin, a source name then a
destination name (whole lines: spaces are kept, a trailing CR is dropped), and starts each copy
in the background at once; `exit` or end of input waits for the running copies, then quits.
On a terminal it prompts like the original: "input the file name: ", "input the new name: ".
An empty line at a prompt lists the running copies (bytes done / total, %, rate); no file has
an empty name, so this never collides with one. Without prompts every line is a name, an empty
one too (refused), so pairs never shift. A file literally named `exit` is `./exit`.

Each destination is written to a temporary file in its directory and renamed into place when
complete: nobody sees a half-written file and a failed copy leaves nothing behind. A directory
destination receives DIR/<basename of SRC>; mode bits are copied; holes in sparse files stay
holes; an existing device or FIFO destination (/dev/null) is written in place.
Refused copies print `copyd: cannot copy 'SRC' to 'DST': REASON` and the rest go on.

Log: one line per event in the log file (seconds since start, TAB, text):
  Start copying SRC to DST / DST is copied completely / Failed copying SRC to DST: REASON

Exit status: 0 every copy succeeded, 1 some failed, 2 usage error, 130/143/129 interrupted by
SIGINT/SIGTERM/SIGHUP (running copies are cancelled and leave no temporary files; an ignored
SIGHUP, as under nohup, stays ignored).

Options)";

std::string trim(std::string const& s) {
    auto const first = s.find_first_not_of(" \t");
    auto const last = s.find_last_not_of(" \t");
    return first == std::string::npos ? std::string{} : s.substr(first, last - first + 1);
}

} // namespace

std::error_code make_error_code(parse_outcome e) noexcept {
    static outcome_category const category;
    return {static_cast<int>(e), category};
}

boost::system::result<std::size_t, std::error_code> parse_size(std::string const& text) {
    std::string const s = trim(text);
    std::uint64_t value = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end == s.data())
        return std::make_error_code(std::errc::invalid_argument);
    std::string_view suffix{end, static_cast<std::size_t>(s.data() + s.size() - end)};
    std::uint64_t scale = 1;
    if (suffix == "" || suffix == "B")
        scale = 1;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB")
        scale = 1024;
    else if (suffix == "M" || suffix == "MiB")
        scale = std::uint64_t{1024} * 1024;
    else
        return std::make_error_code(std::errc::invalid_argument);
    if (value == 0 || value > max_chunk_size / scale)
        return std::make_error_code(std::errc::result_out_of_range);
    return static_cast<std::size_t>(value * scale);
}

boost::system::result<options, std::error_code>
parse_options(int argc, char const* const* argv, std::ostream& out, std::ostream& err) {
    std::string prompt = "auto";
    std::string chunk = std::to_string(default_chunk_size);
    std::string config_path;
    double interval = 1.0;
    std::vector<std::string> names;
    options opt;

    po::options_description visible{usage_text};
    visible.add_options()("help,h", "show this help and exit")("version",
                                                               "show the version and exit")(
        "config", po::value(&config_path)->value_name("FILE"),
        "read options from FILE (`name = value` lines; command line wins)");
    po::options_description settings{"Settings (also in the config file)"};
    settings.add_options()("prompt", po::value(&prompt)->value_name("WHEN"),
                           "print prompts: auto (stdin is a terminal), always, never [auto]")(
        "log", po::value(&opt.log_path)->value_name("PATH"), "log file, appended to [log.txt]")(
        "chunk-size", po::value(&chunk)->value_name("BYTES"),
        "bytes per copy step, e.g. 10000 (the seed's), 64K, 1M [1M]")(
        "threads", po::value(&opt.threads)->value_name("N"),
        "threads running the copies [one per core]")(
        "progress", po::bool_switch(&opt.progress),
        "print progress of running copies to stderr periodically")(
        "progress-interval", po::value(&interval)->value_name("SECS"),
        "seconds between --progress reports [1]");
    po::options_description hidden;
    hidden.add_options()("names", po::value(&names));
    po::positional_options_description positional;
    positional.add("names", -1);

    po::options_description all;
    all.add(visible).add(settings).add(hidden);
    po::options_description in_file;
    in_file.add(settings);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv)
                      .options(all)
                      .positional(positional)
                      .style(po::command_line_style::unix_style)
                      .run(),
                  vm);
        if (vm.count("help")) {
            out << visible << '\n' << settings;
            return make_error_code(parse_outcome::help_shown);
        }
        if (vm.count("version")) {
            out << "copyd " << netlab::version << '\n';
            return make_error_code(parse_outcome::help_shown);
        }
        if (vm.count("config")) {
            auto const path = vm["config"].as<std::string>();
            std::ifstream file{path};
            if (!file) {
                err << "copyd: cannot read config file '" << path << "'\n";
                return make_error_code(parse_outcome::usage_error);
            }
            po::store(po::parse_config_file(file, in_file), vm);
        }
        po::notify(vm);
    } catch (po::error const& e) {
        err << "copyd: " << e.what() << "\nTry 'copyd --help' for more information.\n";
        return make_error_code(parse_outcome::usage_error);
    }

    auto usage_error = [&](std::string const& message) {
        err << "copyd: " << message << "\nTry 'copyd --help' for more information.\n";
        return make_error_code(parse_outcome::usage_error);
    };
    if (prompt == "auto")
        opt.prompt = prompt_mode::automatic;
    else if (prompt == "always")
        opt.prompt = prompt_mode::always;
    else if (prompt == "never")
        opt.prompt = prompt_mode::never;
    else
        return usage_error("--prompt must be auto, always or never, not '" + prompt + "'");
    auto const size = parse_size(chunk);
    if (!size)
        return usage_error("--chunk-size must be 1 byte to 64M, not '" + chunk + "'");
    opt.chunk_size = *size;
    if (vm.count("threads") && (opt.threads == 0 || opt.threads > 256))
        return usage_error("--threads must be 1 to 256");
    if (!(interval >= 0.05 && interval <= 86400))
        return usage_error("--progress-interval must be 0.05 to 86400 seconds");
    opt.progress_interval = std::chrono::milliseconds{static_cast<long>(interval * 1000)};
    if (opt.log_path.empty())
        return usage_error("--log needs a path");
    if (names.size() % 2 != 0)
        return usage_error("arguments come in SRC DST pairs; '" + names.back() +
                           "' has no destination");
    for (std::size_t i = 0; i < names.size(); i += 2)
        opt.copies.emplace_back(names[i], names[i + 1]);
    return opt;
}

} // namespace netlab::copyd
