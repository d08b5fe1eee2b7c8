#include <netlab/copyd/file_copy.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using namespace netlab::copyd;

class FileCopy : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "copyd-test-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(std::string const& name) const { return (dir_ / name).string(); }

    std::string make_file(std::string const& name, std::size_t size, unsigned seed = 1) const {
        std::string data(size, '\0');
        std::mt19937 rng{seed};
        for (auto& c : data)
            c = static_cast<char>(rng());
        std::ofstream{path(name), std::ios::binary} << data;
        return data;
    }

    static std::string read(std::string const& p) {
        std::ifstream in{p, std::ios::binary};
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }

    std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (auto const& e : fs::directory_iterator{dir_})
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    /// Copies to the end; returns the error reason or "" on success.
    std::string copy(std::string const& src, std::string const& dst, std::size_t chunk = 4096) {
        auto fc = file_copy::open(src, dst);
        if (!fc)
            return fc.error().reason;
        if (auto r = (*fc)->create_destination(++unique_); !r)
            return r.error().reason;
        for (;;) {
            auto step = (*fc)->step(chunk, buffers_);
            if (!step)
                return step.error().reason;
            if (*step)
                break;
        }
        if (auto r = (*fc)->commit(); !r)
            return r.error().reason;
        return {};
    }

    fs::path dir_;
    buffer_pool buffers_{4096};
    std::uint64_t unique_ = 0;
};

TEST_F(FileCopy, CopiesContentAndModeBits) {
    auto const data = make_file("a", 100'000);
    ::chmod(path("a").c_str(), 0640);
    EXPECT_EQ(copy(path("a"), path("b")), "");
    EXPECT_EQ(read(path("b")), data);
    EXPECT_EQ(fs::status(path("b")).permissions(), fs::perms{0640});
}

TEST_F(FileCopy, ChunkBoundarySizes) {
    for (std::size_t const chunk : {4096U, 10000U}) {
        for (std::size_t const size :
             {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, 3 * chunk}) {
            auto const data = make_file("src", size, static_cast<unsigned>(size));
            ASSERT_EQ(copy(path("src"), path("dst"), chunk), "") << size;
            EXPECT_EQ(read(path("dst")), data) << "chunk " << chunk << " size " << size;
        }
    }
}

TEST_F(FileCopy, CopyingTwiceGivesTheSameFile) {
    auto const data = make_file("a", 5000);
    ASSERT_EQ(copy(path("a"), path("b")), "");
    ASSERT_EQ(copy(path("a"), path("b")), "");
    EXPECT_EQ(read(path("b")), data); // the seed appended: 10000 bytes
}

TEST_F(FileCopy, NothingIsVisibleBeforeCommitAndAbortLeavesNoDebris) {
    make_file("a", 50'000);
    std::ofstream{path("b")} << "old";
    auto fc = file_copy::open(path("a"), path("b"));
    ASSERT_TRUE(fc);
    ASSERT_TRUE((*fc)->create_destination(1));
    ASSERT_TRUE((*fc)->step(4096, buffers_));
    EXPECT_EQ(read(path("b")), "old");
    EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
    (*fc)->abort();
    fc->reset();
    EXPECT_EQ(read(path("b")), "old");
    EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(FileCopy, ReplacingIsAtomicAndLeavesNoTemporaryName) {
    auto const data = make_file("a", 50'000);
    std::ofstream{path("b")} << "old";
    ASSERT_EQ(copy(path("a"), path("b")), "");
    EXPECT_EQ(read(path("b")), data);
    EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(FileCopy, HiddenTemporaryNameWhereOTmpfileIsMissing) {
    auto const data = make_file("a", 50'000);
    std::ofstream{path("b")} << "old";
    for (bool const commit : {false, true}) {
        auto fc = file_copy::open(path("a"), path("b"));
        ASSERT_TRUE(fc);
        ASSERT_TRUE((*fc)->create_destination(7, false));
        auto const tmp = (*fc)->temporary_name();
        ASSERT_FALSE(tmp.empty());
        EXPECT_EQ(tmp[0], '.');
        EXPECT_TRUE(fs::exists(path(tmp)));
        while (!(*fc)->step(4096, buffers_).value()) {
        }
        if (commit) {
            ASSERT_TRUE((*fc)->commit());
            EXPECT_EQ(read(path("b")), data);
        } else {
            fc->reset(); // destroyed without commit: like a failed copy
            EXPECT_EQ(read(path("b")), "old");
        }
        EXPECT_FALSE(fs::exists(path(tmp)));
        EXPECT_EQ(entries(), (std::vector<std::string>{"a", "b"}));
    }
}

TEST_F(FileCopy, DirectoryDestinationReceivesTheBasename) {
    auto const data = make_file("a", 10);
    fs::create_directory(path("d"));
    ASSERT_EQ(copy(path("a"), path("d")), "");
    EXPECT_EQ(read(path("d/a")), data);
    ASSERT_EQ(copy(path("a"), path("d") + "/"), "");
}

TEST_F(FileCopy, Refusals) {
    make_file("a", 10);
    fs::create_directory(path("d"));
    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
    EXPECT_EQ(copy(path("missing"), path("x")), "No such file or directory");
    EXPECT_EQ(copy(path("d"), path("x")), "source is a directory");
    EXPECT_EQ(copy(path("fifo"), path("x")), "source is not a regular file");
    EXPECT_EQ(copy("/dev/zero", path("x")), "source is not a regular file");
    EXPECT_EQ(copy(path("a"), path("a")), "source and destination are the same file");
    fs::create_hard_link(path("a"), path("hard"));
    fs::create_symlink(path("a"), path("soft"));
    EXPECT_EQ(copy(path("a"), path("hard")), "source and destination are the same file");
    EXPECT_EQ(copy(path("a"), path("soft")), "source and destination are the same file");
    EXPECT_EQ(copy(path("a"), path("nodir/x")), "destination directory: No such file or directory");
    EXPECT_EQ(copy(path("a"), path("newdir/")), "Not a directory");
    fs::create_directory(path("d/a"));
    EXPECT_EQ(copy(path("a"), path("d")), "destination is a directory");
    EXPECT_FALSE(fs::exists(path("x")));
}

TEST_F(FileCopy, NamesWithANulByteAreRefused) {
    // open(2) would see only the part before the NUL: "a" instead of "a\0.bin".
    make_file("a", 10);
    std::string const nul{"\0.bin", 5};
    EXPECT_EQ(copy(path("a") + nul, path("x")), "file name contains a NUL byte");
    EXPECT_EQ(copy(path("a"), path("x") + nul), "file name contains a NUL byte");
    EXPECT_FALSE(fs::exists(path("x")));
    EXPECT_FALSE(key_of(path("a") + nul));
}

TEST_F(FileCopy, SymlinkDestinationWritesItsTarget) {
    auto const data = make_file("a", 10);
    std::ofstream{path("target")} << "old";
    fs::create_symlink("target", path("link"));
    ASSERT_EQ(copy(path("a"), path("link")), "");
    EXPECT_TRUE(fs::is_symlink(path("link")));
    EXPECT_EQ(read(path("target")), data);
}

TEST_F(FileCopy, DanglingSymlinkDestinationIsRefusedAndKept) {
    // As cp: writing a new file where the link points is surprising, replacing the link loses it.
    make_file("a", 10);
    fs::create_symlink("nosuchdir/t", path("link"));
    fs::create_symlink("missing", path("link2")); // its directory exists
    fs::create_directory(path("d"));
    fs::create_symlink("../missing", path("d/a")); // found as DIR/<basename>
    for (auto const* dst : {"link", "link2", "d"})
        EXPECT_EQ(copy(path("a"), path(dst)), "not writing through dangling symbolic link") << dst;
    EXPECT_TRUE(fs::is_symlink(path("link")));
    EXPECT_EQ(fs::read_symlink(path("link")), "nosuchdir/t");
    EXPECT_TRUE(fs::is_symlink(path("link2")));
    EXPECT_TRUE(fs::is_symlink(path("d/a")));
    EXPECT_FALSE(fs::exists(path("missing")));
}

TEST_F(FileCopy, DeviceDestinationIsWrittenInPlace) {
    make_file("a", 100'000);
    ASSERT_EQ(copy(path("a"), "/dev/null"), "");
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST_F(FileCopy, FifoDestinationWithoutReaderDoesNotHang) {
    make_file("a", 10);
    ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
    EXPECT_EQ(copy(path("a"), path("fifo")), "no process is reading the destination FIFO");
}

TEST_F(FileCopy, ProcFilesWithSizeZeroAreCopied) {
    ASSERT_EQ(copy("/proc/self/mounts", path("m")), "");
    EXPECT_GT(fs::file_size(path("m")), 0U);
}

TEST_F(FileCopy, HolesStayHolesAndLargeFilesCopy) {
    // 5 GiB, data at 0, across the 4 GiB boundary and at the end: cheap because sparse.
    std::uint64_t const size = 5ULL << 30;
    {
        int const fd = ::open(path("sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        std::string const block(8192, 'x');
        for (std::uint64_t const at :
             {std::uint64_t{0}, (std::uint64_t{4} << 30) - 4096, size - 8192})
            ASSERT_EQ(::pwrite(fd, block.data(), block.size(), static_cast<off_t>(at)),
                      static_cast<ssize_t>(block.size()));
        ::close(fd);
    }
    ASSERT_EQ(copy(path("sparse"), path("copy"), 1 << 20), "");
    struct stat src {};
    struct stat dst {};
    ASSERT_EQ(::stat(path("sparse").c_str(), &src), 0);
    ASSERT_EQ(::stat(path("copy").c_str(), &dst), 0);
    EXPECT_EQ(dst.st_size, src.st_size);
    EXPECT_LE(dst.st_blocks, src.st_blocks + 64); // holes kept: a few blocks, not 5 GiB
    int const fd = ::open(path("copy").c_str(), O_RDONLY);
    std::string buf(8192, '\0');
    for (std::uint64_t const at :
         {std::uint64_t{0}, (std::uint64_t{4} << 30) - 4096, size - 8192}) {
        ASSERT_EQ(::pread(fd, buf.data(), buf.size(), static_cast<off_t>(at)), 8192);
        EXPECT_EQ(buf, std::string(8192, 'x')) << at;
    }
    ASSERT_EQ(::pread(fd, buf.data(), 1, static_cast<off_t>(4ULL << 30) + 8192), 1);
    EXPECT_EQ(buf[0], '\0');
    ::close(fd);
}

TEST_F(FileCopy, TrailingHoleKeepsTheSize) {
    { std::ofstream{path("sparse"), std::ios::binary} << std::string(8192, 'x'); }
    fs::resize_file(path("sparse"), std::uint64_t{3} << 20); // ends in a 3 MiB hole
    ASSERT_EQ(copy(path("sparse"), path("copy")), "");
    EXPECT_EQ(fs::file_size(path("copy")), std::uint64_t{3} << 20);
    EXPECT_EQ(read(path("copy")), read(path("sparse")));
}

TEST_F(FileCopy, SourceShorterThanItsSizeIsNotPaddedWithZeros) {
    // As sysfs files do (size 4096, no blocks, a few bytes of text), or a sparse source
    // truncated while it is copied: the copy ends where reading ends.
    { std::ofstream{path("sparse"), std::ios::binary} << std::string(8192, 'x'); }
    fs::resize_file(path("sparse"), std::uint64_t{1} << 20);
    auto fc = file_copy::open(path("sparse"), path("copy"));
    ASSERT_TRUE(fc);
    ASSERT_TRUE((*fc)->create_destination(1));
    auto first = (*fc)->step(1000, buffers_);
    ASSERT_TRUE(first);
    ASSERT_FALSE(*first);
    fs::resize_file(path("sparse"), 2000);
    for (int i = 0; i < 100; ++i) {
        auto step = (*fc)->step(1000, buffers_);
        ASSERT_TRUE(step) << step.error().reason;
        if (*step)
            break;
    }
    ASSERT_TRUE((*fc)->commit());
    EXPECT_EQ(read(path("copy")), std::string(2000, 'x'));
}

TEST_F(FileCopy, SysfsFilesCopyTheirTextOnly) {
    char const* const file = "/sys/kernel/mm/transparent_hugepage/enabled";
    if (!fs::exists(file))
        GTEST_SKIP() << "no " << file;
    ASSERT_EQ(copy(file, path("copy")), "");
    EXPECT_EQ(read(path("copy")), read(file));
}

TEST_F(FileCopy, PathKeysIgnoreSpelling) {
    make_file("a", 1);
    fs::create_directory(path("d"));
    auto const k1 = key_of(path("a"));
    auto const k2 = key_of(path("d") + "/../a");
    ASSERT_TRUE(k1 && k2);
    EXPECT_EQ(*k1, *k2);
}

} // namespace
