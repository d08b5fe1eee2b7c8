// The copy job machinery on a real io_context run by the test thread: no sleeps. Copies that
// must still be running when the next request arrives use one chunk per slice (slice 0), so
// they need thousands of turns while the copier's strand needs one.
#include <netlab/common/copy_log.hpp>
#include <netlab/copyd/copier.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace netlab::copyd;

constexpr std::chrono::microseconds one_chunk{0};

/// Concatenation by append(): GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
template <class... Parts>
std::string cat(Parts const&... parts) {
    std::string out;
    (out.append(parts), ...);
    return out;
}

class Copier : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "copyd-copier-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        auto log = log_file::open(path("log.txt"), log_file::clock::now());
        ASSERT_TRUE(log);
        log_.emplace(std::move(*log));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(std::string const& name) const { return (dir_ / name).string(); }

    void make_file(std::string const& name, std::size_t size) const {
        std::ofstream{path(name), std::ios::binary} << std::string(size, 'x');
    }

    /// The texts of the log lines, in order (each line must parse).
    std::vector<std::string> log_texts() const {
        std::ifstream in{path("log.txt")};
        std::vector<std::string> texts;
        for (std::string line; std::getline(in, line);) {
            auto parsed = netlab::copy_log::parse_line(line);
            EXPECT_TRUE(parsed) << line;
            if (parsed)
                texts.push_back(parsed->text);
        }
        return texts;
    }

    /// Runs `c` until every copy has ended.
    void run_until_idle(copier& c) {
        bool idle = false;
        c.when_idle([&] { idle = true; });
        ioc_.run();
        EXPECT_TRUE(idle);
    }

    fs::path dir_;
    boost::asio::io_context ioc_;
    std::optional<log_file> log_;
};

TEST_F(Copier, CopiesAndLogsTheSeedsLines) {
    make_file("a", 3'000'000);
    copier c{ioc_.get_executor(), {.chunk_size = 65536}, *log_};
    c.start(path("a"), path("b"));
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 0U);
    EXPECT_EQ(fs::file_size(path("b")), 3'000'000U);
    EXPECT_EQ(log_texts(),
              (std::vector<std::string>{cat("Start copying ", path("a"), " to ", path("b")),
                                        cat(path("b"), " is copied completely")}));
}

TEST_F(Copier, RefusalsAreCountedAndLoggedAndOthersGoOn) {
    make_file("a", 10);
    copier c{ioc_.get_executor(), {}, *log_};
    c.start(path("missing"), path("x"));
    c.start(path("a"), path("b"));
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 1U);
    EXPECT_TRUE(fs::exists(path("b")));
    auto const texts = log_texts();
    ASSERT_FALSE(texts.empty());
    EXPECT_EQ(texts[0], cat("Failed copying ", path("missing"), " to ", path("x"),
                            ": No such file or directory"));
}

TEST_F(Copier, SecondCopyToARunningDestinationIsRefused) {
    make_file("big", 8'000'000);
    make_file("small", 10);
    copier c{ioc_.get_executor(), {.chunk_size = 4096, .slice = one_chunk}, *log_};
    c.start(path("big"), path("out"));
    c.start(path("small"), path("out"));                   // while the first is running
    c.start(path("out"), path("else"));                    // the first's unfinished destination
    c.start(path("small"), (dir_ / "." / "out").string()); // the same, spelled otherwise
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 3U);
    EXPECT_EQ(fs::file_size(path("out")), 8'000'000U);
    EXPECT_FALSE(fs::exists(path("else")));
    auto const texts = log_texts();
    ASSERT_GE(texts.size(), 4U);
    EXPECT_NE(texts[1].find("a running copy is writing the same destination"), std::string::npos)
        << texts[1];
    EXPECT_NE(texts[2].find("source is the unfinished destination of a running copy"),
              std::string::npos)
        << texts[2];
}

TEST_F(Copier, CancelRemovesEverythingAndRefusesLaterCopies) {
    make_file("big", 8'000'000);
    copier c{ioc_.get_executor(), {.chunk_size = 4096, .slice = one_chunk}, *log_};
    c.start(path("big"), path("out"));
    c.cancel_all();
    c.start(path("big"), path("later"));
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 2U);
    EXPECT_FALSE(fs::exists(path("out")));
    EXPECT_FALSE(fs::exists(path("later")));
    std::vector<std::string> names;
    for (auto const& e : fs::directory_iterator{dir_})
        names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"big", "log.txt"}));
    auto const texts = log_texts();
    EXPECT_EQ(texts.back(),
              cat("Failed copying ", path("big"), " to ", path("out"), ": interrupted"));
}

TEST_F(Copier, CopiesOverTheLimitWaitTheirTurn) {
    make_file("a", 100'000);
    copier c{ioc_.get_executor(), {.chunk_size = 4096, .max_running = 2}, *log_};
    for (int i = 0; i < 7; ++i)
        c.start(path("a"), path(cat("copy", std::to_string(i))));
    c.start(path("missing"), path("x")); // a refusal while waiting still frees its turn
    c.start(path("a"), path("last"));
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 1U);
    for (int i = 0; i < 7; ++i)
        EXPECT_EQ(fs::file_size(path(cat("copy", std::to_string(i)))), 100'000U);
    EXPECT_EQ(fs::file_size(path("last")), 100'000U);
    // The seed's order: starts are logged in input order.
    auto const texts = log_texts();
    std::vector<std::string> starts;
    for (auto const& t : texts)
        if (t.rfind("Start copying ", 0) == 0)
            starts.push_back(t);
    ASSERT_EQ(starts.size(), 8U);
    EXPECT_EQ(starts.back(), cat("Start copying ", path("a"), " to ", path("last")));
}

TEST_F(Copier, CancelRefusesWaitingCopies) {
    make_file("big", 4'000'000);
    copier c{
        ioc_.get_executor(), {.chunk_size = 4096, .slice = one_chunk, .max_running = 1}, *log_};
    c.start(path("big"), path("one"));
    c.start(path("big"), path("two"));
    c.cancel_all();
    run_until_idle(c);
    EXPECT_EQ(c.failures(), 2U);
    EXPECT_FALSE(fs::exists(path("one")));
    EXPECT_FALSE(fs::exists(path("two")));
}

TEST_F(Copier, SnapshotListsRunningCopies) {
    make_file("big", 8'000'000);
    copier c{ioc_.get_executor(), {.chunk_size = 4096, .slice = one_chunk}, *log_};
    c.start(path("big"), path("out"));
    std::vector<progress_snapshot> seen;
    std::size_t waiting = 99;
    c.snapshot([&](std::vector<progress_snapshot> list, std::size_t w) {
        seen = std::move(list);
        waiting = w;
    });
    run_until_idle(c);
    ASSERT_EQ(seen.size(), 1U);
    EXPECT_EQ(seen[0].source, path("big"));
    EXPECT_EQ(seen[0].total, 8'000'000U);
    EXPECT_LT(seen[0].done, seen[0].total);
    EXPECT_EQ(waiting, 0U);
}

} // namespace
