#include <netlab/webd/access_log.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace {

namespace w = netlab::webd;
using namespace std::chrono_literals;

TEST(AccessLog, CombinedLogFormat) {
    w::access_entry e;
    e.remote = "127.0.0.1";
    e.time = std::chrono::sys_seconds{971185536s}; // 2000-10-10 13:45:36 UTC
    e.method = "GET";
    e.target = "/apache_pb.gif";
    e.version = 10;
    e.status = 200;
    e.bytes = 2326;
    e.referer = "http://www.example.com/start.html";
    e.user_agent = "Mozilla/4.08";
    EXPECT_EQ(w::format_combined(e),
              "127.0.0.1 - - [10/Oct/2000:13:45:36 +0000] \"GET /apache_pb.gif HTTP/1.0\" 200 "
              "2326 \"http://www.example.com/start.html\" \"Mozilla/4.08\"\n");
}

TEST(AccessLog, EscapesAndDashes) {
    w::access_entry e;
    e.remote = "::1";
    e.time = std::chrono::sys_seconds{0s};
    e.status = 400;
    e.user_agent = "evil\"\n\\agent";
    auto const line = w::format_combined(e);
    EXPECT_EQ(line, "::1 - - [01/Jan/1970:00:00:00 +0000] \"-\" 400 0 \"-\" "
                    "\"evil\\x22\\x0A\\x5Cagent\"\n");
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(AccessLog, WritesAndReopensAfterRotation) {
    namespace fs = std::filesystem;
    auto const dir = fs::temp_directory_path() / ("webd-log-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto const path = dir / "access.log";
    {
        w::access_log log{path.string()};
        EXPECT_TRUE(log.enabled());
        log.write("one\n");
        fs::rename(path, dir / "access.log.1"); // logrotate
        log.write("two\n");                     // still into the rotated file
        EXPECT_TRUE(log.reopen());
        log.write("three\n");
    }
    auto slurp = [](fs::path const& p) {
        std::ifstream in{p};
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    EXPECT_EQ(slurp(dir / "access.log.1"), "one\ntwo\n");
    EXPECT_EQ(slurp(path), "three\n");
    EXPECT_FALSE(w::access_log{"off"}.enabled());
    EXPECT_THROW(w::access_log{(dir / "no" / "such" / "dir.log").string()}, std::system_error);
    fs::remove_all(dir);
}

} // namespace
