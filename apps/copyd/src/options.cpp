#include <netlab/cli/command_line.hpp>
#include <netlab/copyd/options.hpp>

#include <boost/program_options/value_semantic.hpp>

#include <charconv>
#include <optional>
#include <ostream>

namespace netlab::copyd {
namespace po = boost::program_options;
namespace {

constexpr char const* usage_text = R"(Usage: copyd [OPTIONS] [SRC DST]...

Copies files concurrently. With SRC DST pairs as arguments, copies them all at once and exits
when every copy is done. Without, reads pairs of lines from stdin, a source name then a
destination name (whole lines: spaces are kept, a trailing CR is dropped), and starts each copy
in the background at once; `exit` or end of input waits for the running copies, then quits
(right after a source, where its destination belongs, the source is not copied: exit status 1).
On a terminal it prompts like the original: "input the file name: ", "input the new name: ".
An empty line at a prompt lists the running copies (bytes done / total, %, rate); no file has
an empty name, so this never collides with one. Without prompts every line is a name, an empty
one too (refused), so pairs never shift. A file literally named `exit` is `./exit`.

Each destination is written to a temporary file in its directory and renamed into place when
complete: nobody sees a half-written file and a failed copy leaves nothing behind. A directory
destination receives DIR/<basename of SRC>; mode bits are copied; holes in sparse files stay
holes; an existing device or FIFO destination (/dev/null) is written in place. A symbolic link
destination has its target replaced; a dangling one is refused and left as it is (as cp).
Refused copies print `copyd: cannot copy 'SRC' to 'DST': REASON` and the rest go on; a name
holding a NUL byte is refused so (the system would see it cut short and copy the wrong file).

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

// Values as typed, checked and converted by `convert`.
struct raw_options {
    std::string prompt = "auto";
    std::string chunk = std::to_string(default_chunk_size);
    double interval = 1.0;
    std::vector<std::string> names; ///< SRC DST pairs
};

po::options_description settings_description(options& opt, raw_options& raw) {
    po::options_description settings{"Settings (also in the config file)"};
    settings.add_options()("prompt", po::value(&raw.prompt)->value_name("WHEN"),
                           "print prompts: auto (stdin is a terminal), always, never [auto]")(
        "log", po::value(&opt.log_path)->value_name("PATH"), "log file, appended to [log.txt]")(
        "chunk-size", po::value(&raw.chunk)->value_name("BYTES"),
        "bytes per copy step, e.g. 10000 (the seed's), 64K, 1M [1M]")(
        "threads", po::value(&opt.threads)->value_name("N"),
        "threads running the copies [one per core]")(
        "progress", po::bool_switch(&opt.progress),
        "print progress of running copies to stderr periodically")(
        "progress-interval", po::value(&raw.interval)->value_name("SECS"),
        "seconds between --progress reports [1]");
    return settings;
}

std::optional<prompt_mode> parse_prompt(std::string const& text) {
    if (text == "auto")
        return prompt_mode::automatic;
    if (text == "always")
        return prompt_mode::always;
    if (text == "never")
        return prompt_mode::never;
    return std::nullopt;
}

cli::outcome<options> convert(options opt, raw_options const& raw, cli::command_line const& cli) {
    auto const prompt = parse_prompt(raw.prompt);
    if (!prompt)
        return cli.usage_error("--prompt must be auto, always or never, not '" + raw.prompt + "'");
    opt.prompt = *prompt;
    auto const size = parse_size(raw.chunk);
    if (!size)
        return cli.usage_error("--chunk-size must be 1 byte to 64M, not '" + raw.chunk + "'");
    opt.chunk_size = *size;
    if (cli.given("threads") && (opt.threads == 0 || opt.threads > 256))
        return cli.usage_error("--threads must be 1 to 256");
    if (!(raw.interval >= 0.05 && raw.interval <= 86400))
        return cli.usage_error("--progress-interval must be 0.05 to 86400 seconds");
    opt.progress_interval = std::chrono::milliseconds{static_cast<long>(raw.interval * 1000)};
    if (opt.log_path.empty())
        return cli.usage_error("--log needs a path");
    if (raw.names.size() % 2 != 0)
        return cli.usage_error("arguments come in SRC DST pairs; '" + raw.names.back() +
                               "' has no destination");
    for (std::size_t i = 0; i < raw.names.size(); i += 2)
        opt.copies.emplace_back(raw.names[i], raw.names[i + 1]);
    return opt;
}

} // namespace

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

cli::outcome<options> parse_options(int argc, char const* const* argv, std::ostream& out,
                                    std::ostream& err) {
    options opt;
    raw_options raw;
    po::options_description visible{usage_text};
    cli::add_generic_options(
        visible, {.config = "read options from FILE (`name = value` lines; command line wins)"});
    auto const settings = settings_description(opt, raw);
    po::options_description hidden;
    hidden.add_options()("names", po::value(&raw.names));
    po::positional_options_description positional;
    positional.add("names", -1);
    po::options_description all;
    all.add(visible).add(settings).add(hidden);

    cli::command_line cli{"copyd", out, err};
    auto const read =
        cli.parse(argc, argv,
                  {.options = all,
                   .settings = settings,
                   .help = [&](std::ostream& os) { os << visible << '\n'
                                                      << settings; },
                   .positional = &positional});
    if (read != cli::action::run)
        return read;
    return convert(std::move(opt), raw, cli);
}

} // namespace netlab::copyd
