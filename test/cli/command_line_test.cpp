#include <netlab/cli/command_line.hpp>
#include <netlab/version.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace cli = netlab::cli;
namespace po = boost::program_options;

// A small program: two settings, one of them with a default, and optional bare arguments.
class CommandLine : public ::testing::Test {
protected:
    struct settings_t {
        unsigned port = 0;
        std::string name = "anon";
        std::vector<std::string> files;
    } values;

    static po::options_description make_settings(settings_t& v) {
        po::options_description d;
        d.add_options()("port", po::value(&v.port)->value_name("N"),
                        "a port")("name", po::value(&v.name)->default_value(v.name), "a name");
        return d;
    }

    po::options_description settings = make_settings(values);
    po::options_description shown = cli::options_table("Options", settings);
    po::options_description all;
    po::positional_options_description positional;
    std::ostringstream out;
    std::ostringstream err;
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("netlab-cli-test-" + std::to_string(::getpid()));

    void SetUp() override {
        po::options_description hidden;
        hidden.add_options()("files", po::value(&values.files));
        all.add(shown).add(hidden);
        positional.add("files", -1);
        std::filesystem::create_directories(dir);
    }
    void TearDown() override { std::filesystem::remove_all(dir); }

    cli::syntax syntax(bool with_positional = false) const {
        return {.options = all,
                .settings = settings,
                .help = [this](std::ostream& os) { os << "Usage: prog [OPTIONS]\n\n"
                                                      << shown; },
                .positional = with_positional ? &positional : nullptr};
    }
    cli::action parse(std::vector<char const*> args, bool with_positional = false) {
        args.insert(args.begin(), "prog");
        cli_.emplace("prog", out, err);
        return cli_->parse(static_cast<int>(args.size()), args.data(), syntax(with_positional));
    }
    std::string write_file(std::string const& name, std::string const& text) const {
        auto const path = dir / name;
        std::ofstream{path} << text;
        return path.string();
    }

    std::optional<cli::command_line> cli_;
};

TEST_F(CommandLine, RunsWithTheValuesGiven) {
    EXPECT_EQ(parse({"--port", "8", "--name=x"}), cli::action::run);
    EXPECT_EQ(values.port, 8U);
    EXPECT_EQ(values.name, "x");
    EXPECT_TRUE(cli_->given("port"));
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), "");
}

TEST_F(CommandLine, DefaultsAreNotGiven) {
    EXPECT_EQ(parse({}), cli::action::run);
    EXPECT_EQ(values.name, "anon");
    EXPECT_FALSE(cli_->given("name"));
    EXPECT_FALSE(cli_->given("port"));
    EXPECT_FALSE(cli_->given("no-such-option"));
}

TEST_F(CommandLine, HelpPrintsTheProgramsTextAndExitsZero) {
    for (char const* flag : {"--help", "-h"}) {
        out.str("");
        EXPECT_EQ(parse({flag, "--port", "1"}), cli::action::exit_ok) << flag;
        EXPECT_EQ(out.str().rfind("Usage: prog [OPTIONS]\n\nOptions:\n  -h [ --help ]", 0), 0U)
            << out.str();
        EXPECT_NE(out.str().find("--version"), std::string::npos);
        EXPECT_NE(out.str().find("--config FILE"), std::string::npos);
        EXPECT_NE(out.str().find("--port N"), std::string::npos);
        // options_table: one table, the settings right after the generic options.
        EXPECT_EQ(out.str().find("\n\n", out.str().find("Options:")), std::string::npos);
        EXPECT_EQ(err.str(), "");
    }
    EXPECT_EQ(cli::exit_status(cli::action::exit_ok), 0);
}

TEST_F(CommandLine, GenericHelpKeepsEachProgramsWording) {
    po::options_description desc;
    cli::add_generic_options(desc, {.version = "print the version", .config = "read FILE"});
    std::ostringstream text;
    text << desc;
    EXPECT_NE(text.str().find("show this help and exit"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("print the version"), std::string::npos) << text.str();
    EXPECT_NE(text.str().find("read FILE"), std::string::npos) << text.str();
}

TEST_F(CommandLine, VersionPrintsNameAndVersion) {
    EXPECT_EQ(parse({"--version"}), cli::action::exit_ok);
    EXPECT_EQ(out.str(), std::string{"prog "} + netlab::version + "\n");
    EXPECT_EQ(err.str(), "");
}

TEST_F(CommandLine, AnUnknownOptionIsAUsageErrorWithAHint) {
    EXPECT_EQ(parse({"--bogus"}), cli::action::usage_error);
    EXPECT_EQ(err.str(), "prog: unrecognised option '--bogus'\nTry 'prog --help'.\n");
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(cli::exit_status(cli::action::usage_error), 2);
}

TEST_F(CommandLine, UnknownBeatsHelp) {
    EXPECT_EQ(parse({"--help", "--bogus"}), cli::action::usage_error);
    EXPECT_EQ(out.str(), "");
}

TEST_F(CommandLine, BadValuesAndMissingArgumentsAreUsageErrors) {
    EXPECT_EQ(parse({"--port", "x"}), cli::action::usage_error);
    EXPECT_EQ(err.str(), "prog: the argument ('x') for option '--port' is invalid\n"
                         "Try 'prog --help'.\n");
    err.str("");
    EXPECT_EQ(parse({"--config"}), cli::action::usage_error);
    EXPECT_NE(err.str().find("prog: the required argument for option '--config' is missing"),
              std::string::npos)
        << err.str();
    err.str("");
    EXPECT_EQ(parse({"--port", "1", "--port", "2"}), cli::action::usage_error);
    EXPECT_EQ(err.str().rfind("prog: ", 0), 0U);
}

TEST_F(CommandLine, BareArgumentsOnlyWhereThereArePositionals) {
    EXPECT_EQ(parse({"a", "b"}), cli::action::usage_error);
    EXPECT_EQ(err.str().rfind("prog: ", 0), 0U) << err.str();
    EXPECT_EQ(parse({"a", "--port", "3", "b"}, true), cli::action::run);
    EXPECT_EQ(values.files, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(values.port, 3U);
}

TEST_F(CommandLine, ConfigFileSetsTheSameNamesAndTheCommandLineWins) {
    auto const file = write_file("ok.conf", "# comment\nport = 7\n\nname = from-file\n");
    EXPECT_EQ(parse({"--config", file.c_str(), "--name", "cli"}), cli::action::run) << err.str();
    EXPECT_EQ(values.port, 7U);
    EXPECT_EQ(values.name, "cli");
    EXPECT_TRUE(cli_->given("port")); // from the file counts as given
    EXPECT_EQ(err.str(), "");
}

TEST_F(CommandLine, AMissingConfigFileSaysWhy) {
    auto const missing = (dir / "missing.conf").string();
    EXPECT_EQ(parse({"--config", missing.c_str()}), cli::action::usage_error);
    EXPECT_EQ(err.str(), "prog: cannot read config file '" + missing +
                             "': No such file or directory\nTry 'prog --help'.\n");
}

TEST_F(CommandLine, ADirectoryIsNotAConfigFile) {
    EXPECT_EQ(parse({"--config", dir.c_str()}), cli::action::usage_error);
    EXPECT_EQ(err.str().rfind("prog: cannot read config file '" + dir.string() + "'", 0), 0U)
        << err.str();
}

TEST_F(CommandLine, AMalformedConfigFileNamesTheFile) {
    for (auto const& [text, why] : std::vector<std::pair<std::string, std::string>>{
             {"bogus = 1\n", "unrecognised option 'bogus'"},
             {"port = x\n", "the argument ('x') for option 'port' is invalid"},
             {"just words\n", "invalid line 'just words'"},
             // The generic options belong to the command line only.
             {"help = 1\n", "unrecognised option 'help'"},
             {"config = other.conf\n", "unrecognised option 'config'"}}) {
        err.str("");
        auto const file = write_file("bad.conf", text);
        EXPECT_EQ(parse({"--config", file.c_str()}), cli::action::usage_error) << text;
        EXPECT_EQ(err.str().rfind("prog: config file '" + file + "': ", 0), 0U) << err.str();
        EXPECT_NE(err.str().find(why), std::string::npos) << err.str();
        EXPECT_NE(err.str().find("\nTry 'prog --help'.\n"), std::string::npos) << err.str();
    }
}

TEST_F(CommandLine, UsageErrorPrintsForTheParsersOwnChecks) {
    cli::command_line cli{"prog", out, err};
    EXPECT_EQ(cli.usage_error("--port must be 1 to 9"), cli::action::usage_error);
    EXPECT_EQ(err.str(), "prog: --port must be 1 to 9\nTry 'prog --help'.\n");
}

TEST_F(CommandLine, ForgettingTheGenericOptionsIsABug) {
    cli::command_line cli{"prog", out, err};
    std::vector<char const*> args{"prog"};
    EXPECT_THROW(
        cli.parse(1, args.data(),
                  {.options = settings, .settings = settings, .help = [](std::ostream&) {}}),
        std::logic_error);
}

TEST(Outcome, HoldsOptionsOrTheActionInstead) {
    cli::outcome<int> const run{42};
    ASSERT_TRUE(run);
    EXPECT_EQ(*run, 42);
    EXPECT_EQ(run.action(), cli::action::run);
    EXPECT_EQ(run.exit_status(), 0);

    cli::outcome<std::string> const help{cli::action::exit_ok};
    EXPECT_FALSE(help);
    EXPECT_EQ(help.action(), cli::action::exit_ok);
    EXPECT_EQ(help.exit_status(), 0);

    cli::outcome<std::string> const bad{cli::action::usage_error};
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.action(), cli::action::usage_error);
    EXPECT_EQ(bad.exit_status(), 2);

    cli::outcome<std::string> const text{std::string{"abc"}};
    EXPECT_EQ(text->size(), 3U);

    EXPECT_THROW(cli::outcome<int>{cli::action::run}, std::invalid_argument);
}

} // namespace
