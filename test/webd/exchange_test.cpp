// The HTTP/1.1 exchange without sockets: the test is the transport. Requests arrive split at
// every byte, responses leave split at every byte, and every deadline, linger and close is
// the one the exchange asks for.
#include <netlab/webd/http1_exchange.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>

namespace {

namespace w = netlab::webd;
using namespace std::chrono_literals;

constexpr std::string_view date = "Wed, 25 Nov 2026 12:00:00 GMT";

/// "small.txt" is cached in memory, "mid.bin" (20,000 bytes) and "big.bin" (100,000 bytes)
/// are plain files (a /dev/null descriptor: the transport under test never reads it).
class fake_files final : public w::file_opener {
public:
    boost::system::result<w::opened_file, std::error_code> open(std::string_view path) override {
        w::opened_file f;
        f.info.regular = true;
        f.info.mtime = std::chrono::sys_seconds{784111777s};
        if (path == "" || path == "dir") {
            f.info.regular = false;
            f.info.directory = true;
            return f;
        }
        if (path == "small.txt" || path == "index.html") {
            f.content = small;
            f.info.size = small->size();
            return f;
        }
        if (path == "mid.bin" || path == "big.bin") {
            f.fd = netlab::sys::unique_fd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
            f.info.size = path == "mid.bin" ? 20000 : 100000;
            return f;
        }
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }
    std::shared_ptr<std::string const> small = std::make_shared<std::string const>("hello\n");
};

struct logged {
    std::string method;
    unsigned status = 0;
    std::uint64_t bytes = 0;
};

/// A transport that does exactly what it is asked, with the sizes the test chooses.
class Exchange : public ::testing::Test {
protected:
    w::action next(bool draining = false) { return ex.next({date, draining}); }

    /// Delivers `bytes` as one read (as much as read_space() takes, repeatedly).
    void receive(std::string_view bytes) {
        while (!bytes.empty()) {
            auto const space = ex.read_space();
            ASSERT_FALSE(space.empty());
            auto const n = std::min(space.size(), bytes.size());
            std::copy_n(bytes.data(), n, space.data());
            ex.on_read(n);
            bytes.remove_prefix(n);
        }
    }

    /// Performs writes (at most `chunk` bytes each), file reads and sendfiles (recorded as
    /// "<file N bytes>") until the exchange asks for something else; returns that action.
    w::action transmit(std::string& out, std::size_t chunk = 1 << 30) {
        for (;;) {
            auto const a = next();
            if (a.what == w::io::write || a.what == w::io::write_final) {
                std::string all{a.data[0]};
                all += a.data[1];
                auto const n = std::min(chunk, all.size());
                out.append(all, 0, n);
                ex.on_sent(n);
                if (a.what == w::io::write_final)
                    return next();
            } else if (a.what == w::io::read_file) {
                auto const buf = ex.file_buffer();
                EXPECT_EQ(buf.size(), a.length);
                std::fill(buf.begin(), buf.end(), 'f');
                ex.on_file_read();
            } else if (a.what == w::io::send_file) {
                auto const n = std::min<std::uint64_t>(chunk, a.length);
                out += "<file " + std::to_string(n) + " bytes>";
                ex.on_sent(n);
            } else {
                return a;
            }
        }
    }

    fake_files files;
    w::exchange_settings settings;
    std::vector<logged> log;
    w::http1_exchange ex{settings, files, [this](w::access_entry& e) {
                             log.push_back({std::string{e.method}, e.status, e.bytes});
                         }};
};

constexpr std::string_view get_small = "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n";

std::string expected_small(bool keep_alive = true) {
    return std::string{"HTTP/1.1 200 OK\r\nServer: webd\r\nDate: "} + std::string{date} +
           "\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
           "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\nETag: \"2ebc98a1-6\"\r\n"
           "Accept-Ranges: bytes\r\nConnection: " +
           (keep_alive ? "keep-alive" : "close") + "\r\n\r\nhello\n";
}

TEST_F(Exchange, StartsByWaitingAndAnswersARequestThenWaitsUnderKeepAlive) {
    auto a = next();
    EXPECT_EQ(a.what, w::io::wait);
    EXPECT_EQ(a.restart, w::deadline::keep); // the transport armed the first header timeout
    receive(get_small);
    a = next();
    ASSERT_EQ(a.what, w::io::write);
    EXPECT_EQ(a.restart, w::deadline::send);
    EXPECT_FALSE(a.more);
    EXPECT_EQ(std::string{a.data[0]} + std::string{a.data[1]}, expected_small());
    ex.on_sent(expected_small().size());
    a = next();
    EXPECT_EQ(a.what, w::io::wait);
    EXPECT_EQ(a.restart, w::deadline::keepalive);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].method, "GET");
    EXPECT_EQ(log[0].status, 200u);
    EXPECT_EQ(log[0].bytes, 6u);
}

TEST_F(Exchange, NextIsTheSameActionUntilSomethingIsReported) {
    receive(get_small);
    auto const a = next();
    auto const b = next();
    EXPECT_EQ(a.what, b.what);
    EXPECT_EQ(a.data, b.data);
    EXPECT_EQ(b.restart, w::deadline::keep); // a deadline starts once
    EXPECT_TRUE(log.empty());
}

TEST_F(Exchange, ARequestSplitAtEveryByteGetsTheSameResponse) {
    for (std::size_t cut = 1; cut < get_small.size(); ++cut) {
        w::http1_exchange e{settings, files};
        auto step = [&] { return e.next({date, false}); };
        auto feed = [&](std::string_view part) {
            auto const space = e.read_space();
            std::copy(part.begin(), part.end(), space.begin());
            e.on_read(part.size());
        };
        ASSERT_EQ(step().what, w::io::wait);
        feed(get_small.substr(0, cut));
        auto a = step();
        ASSERT_EQ(a.what, w::io::read) << cut;
        EXPECT_EQ(a.restart, w::deadline::header) << cut; // the head must now come whole
        feed(get_small.substr(cut));
        a = step();
        ASSERT_EQ(a.what, w::io::write) << cut;
        EXPECT_EQ(std::string{a.data[0]} + std::string{a.data[1]}, expected_small()) << cut;
    }
}

TEST_F(Exchange, AHeadInManyPiecesStartsTheHeaderTimeoutOnce) {
    next();
    int header_restarts = 0;
    for (std::size_t i = 0; i + 1 < get_small.size(); ++i) {
        receive(get_small.substr(i, 1));
        auto const a = next();
        ASSERT_EQ(a.what, w::io::read);
        header_restarts += a.restart == w::deadline::header;
    }
    EXPECT_EQ(header_restarts, 1);
}

TEST_F(Exchange, AResponseSentInPiecesOfEverySizeArrivesWhole) {
    for (std::size_t chunk = 1; chunk <= expected_small().size(); ++chunk) {
        log.clear();
        receive(get_small);
        std::string out;
        auto const a = transmit(out, chunk);
        EXPECT_EQ(a.what, w::io::wait) << chunk;
        EXPECT_EQ(out, expected_small()) << chunk;
        ASSERT_EQ(log.size(), 1u);
        EXPECT_EQ(log[0].bytes, 6u);
    }
}

TEST_F(Exchange, PipelinedRequestsAreAnsweredInOrder) {
    receive(std::string{get_small} + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
            std::string{get_small});
    std::string out;
    EXPECT_EQ(transmit(out).what, w::io::wait);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].status, 200u);
    EXPECT_EQ(log[1].status, 404u);
    EXPECT_EQ(log[2].status, 200u);
    EXPECT_TRUE(out.starts_with(expected_small()));
    EXPECT_TRUE(out.ends_with(expected_small()));
}

TEST_F(Exchange, ALargeFileIsACorkedHeadThenSendfileFromWhereItStopped) {
    receive("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    auto a = next();
    ASSERT_EQ(a.what, w::io::write);
    EXPECT_TRUE(a.more);
    EXPECT_TRUE(a.data[1].empty());
    EXPECT_NE(a.data[0].find("Content-Length: 100000\r\n"), std::string_view::npos);
    ex.on_sent(a.data[0].size());
    a = next();
    ASSERT_EQ(a.what, w::io::send_file);
    EXPECT_GE(a.fd, 0);
    EXPECT_EQ(a.offset, 0u);
    EXPECT_EQ(a.length, 100000u);
    ex.on_sent(30000);
    a = next();
    ASSERT_EQ(a.what, w::io::send_file);
    EXPECT_EQ(a.offset, 30000u);
    EXPECT_EQ(a.length, 70000u);
    ex.on_sent(70000);
    EXPECT_EQ(next().what, w::io::wait);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].bytes, 100000u);
}

TEST_F(Exchange, ARangeOfALargeFileStartsAtItsOffset) {
    receive("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=50000-\r\n\r\n");
    std::string out;
    EXPECT_EQ(transmit(out).what, w::io::wait);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 206 Partial Content\r\n"));
    EXPECT_TRUE(out.ends_with("<file 50000 bytes>"));
}

TEST_F(Exchange, ASmallUncachedFileIsReadAndLeavesWithItsHead) {
    receive("GET /mid.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    auto a = next();
    ASSERT_EQ(a.what, w::io::read_file);
    EXPECT_EQ(a.length, 20000u);
    auto const buf = ex.file_buffer();
    std::fill(buf.begin(), buf.end(), 'm');
    ex.on_file_read();
    a = next();
    ASSERT_EQ(a.what, w::io::write);
    EXPECT_FALSE(a.more);
    EXPECT_EQ(a.data[1], std::string(20000, 'm'));
}

TEST_F(Exchange, AFileThatCannotBeReadEndsTheConnection) {
    receive("GET /mid.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(next().what, w::io::read_file);
    ex.on_failed();
    EXPECT_EQ(next().what, w::io::close);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].bytes, 0u);
}

TEST_F(Exchange, AWriteErrorClosesAndLogsWhatWentOut) {
    receive(get_small);
    auto const a = next();
    ex.on_sent(a.data[0].size() + 2);
    ex.on_failed();
    EXPECT_EQ(next().what, w::io::close);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].bytes, 2u);
}

TEST_F(Exchange, ConnectionCloseLingersAfterTheResponse) {
    receive("GET /small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string out;
    auto const a = transmit(out);
    EXPECT_EQ(a.what, w::io::linger);
    EXPECT_EQ(a.restart, w::deadline::linger);
    EXPECT_EQ(out, expected_small(false));
}

TEST_F(Exchange, AMalformedRequestGetsAFinal400ThenLingers) {
    receive("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    auto a = next();
    ASSERT_EQ(a.what, w::io::write_final);
    EXPECT_TRUE(a.data[0].starts_with("HTTP/1.1 400 Bad Request\r\n"));
    EXPECT_NE(a.data[0].find("Connection: close\r\n"), std::string_view::npos);
    ex.on_sent(a.data[0].size() + a.data[1].size());
    a = next();
    EXPECT_EQ(a.what, w::io::linger);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].method, ""); // no request to name
    EXPECT_EQ(log[0].status, 400u);
}

TEST_F(Exchange, AFinalErrorThatCouldNotBeSentStillEnds) {
    receive("GET / HTTP/9.9\r\n\r\n");
    ASSERT_EQ(next().what, w::io::write_final);
    ex.on_sent(0); // the socket took nothing: no waiting for it
    EXPECT_EQ(next().what, w::io::linger);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].bytes, 0u);
}

TEST_F(Exchange, AHeadThatTimesOutGets408AndClosesWithoutLinger) {
    receive("GET /small.txt HTTP/1.1\r\nHo");
    ASSERT_EQ(next().what, w::io::read);
    ex.on_timeout();
    auto a = next();
    ASSERT_EQ(a.what, w::io::write_final);
    EXPECT_TRUE(a.data[0].starts_with("HTTP/1.1 408 Request Timeout\r\n"));
    ex.on_sent(a.data[0].size());
    EXPECT_EQ(next().what, w::io::close);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].status, 408u);
}

TEST_F(Exchange, AnIdleTimeoutClosesWithoutAnAnswer) {
    ASSERT_EQ(next().what, w::io::wait);
    ex.on_timeout();
    EXPECT_EQ(next().what, w::io::close);
    EXPECT_TRUE(log.empty());
}

TEST_F(Exchange, EndOfInputMidHeadCloses) {
    receive("GET /small.txt HTTP/1.1\r\n");
    ASSERT_EQ(next().what, w::io::read);
    ex.on_read(0);
    EXPECT_EQ(next().what, w::io::close);
    EXPECT_TRUE(log.empty());
}

TEST_F(Exchange, EmptyLinesBetweenRequestsLeaveTheConnectionIdle) {
    receive(std::string{get_small} + "\r\n");
    std::string out;
    auto const a = transmit(out);
    EXPECT_EQ(a.what, w::io::wait); // not a "slow head" that would earn a 408
    EXPECT_EQ(a.restart, w::deadline::keepalive);
}

TEST_F(Exchange, DrainingClosesAnIdleConnectionAndEndsABusyOneAfterItsResponse) {
    ASSERT_EQ(next().what, w::io::wait);
    receive(get_small);
    auto a = ex.next({date, true});
    ASSERT_EQ(a.what, w::io::write);
    std::string const out = std::string{a.data[0]} + std::string{a.data[1]};
    EXPECT_EQ(out, expected_small(false));
    ex.on_sent(out.size());
    EXPECT_EQ(ex.next({date, true}).what, w::io::linger);

    w::http1_exchange idle{settings, files};
    ASSERT_EQ(idle.next({date, false}).what, w::io::wait);
    EXPECT_EQ(idle.next({date, true}).what, w::io::close);
}

// Idle after a response, the exchange keeps its read buffer (a warm transport reads into it
// without allocating) until the transport gives it back; both ways the next request is
// answered the same.
TEST_F(Exchange, KeepsItsBuffersAtWaitUntilTheTransportReleasesThem) {
    EXPECT_FALSE(ex.holds_buffers()); // a new connection holds nothing
    ASSERT_EQ(next().what, w::io::wait);
    std::uint32_t sent = 0;
    for (bool const release : {false, true, false}) {
        receive(get_small);
        std::string out;
        ASSERT_EQ(transmit(out).what, w::io::wait);
        EXPECT_EQ(out, expected_small(true));
        EXPECT_EQ(ex.responses(), ++sent);
        EXPECT_TRUE(ex.holds_buffers());
        EXPECT_EQ(ex.read_space().size(), w::http1_exchange::first_buffer);
        if (release) {
            ex.release_idle_buffers();
            EXPECT_FALSE(ex.holds_buffers());
        }
    }
}

// A head that grew the read buffer does not keep it: that would cost an idle connection
// 16 KiB.
TEST_F(Exchange, AGrownReadBufferIsNotKeptAtWait) {
    ASSERT_EQ(next().what, w::io::wait);
    std::string const big_head =
        "GET /small.txt HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(3000, 'p') + "\r\n\r\n";
    receive(big_head);
    std::string out;
    ASSERT_EQ(transmit(out).what, w::io::wait);
    EXPECT_EQ(out, expected_small(true));
    EXPECT_FALSE(ex.holds_buffers());
}

TEST_F(Exchange, ARefusedBodyIsSkippedBeforeTheNextRequestWhateverItsSplit) {
    std::string const post = "POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
    std::string const body = "0123456789";
    for (std::size_t cut = 0; cut <= body.size(); ++cut) {
        log.clear();
        receive(post + body.substr(0, cut));
        auto a = next();
        if (cut < body.size()) {
            ASSERT_EQ(a.what, w::io::read) << cut; // the body first, then the answer
            EXPECT_EQ(a.restart, w::deadline::keep) << cut;
            receive(body.substr(cut) + std::string{get_small});
        }
        std::string out;
        a = transmit(out);
        EXPECT_EQ(a.what, w::io::wait) << cut;
        if (cut < body.size()) {
            ASSERT_EQ(log.size(), 2u) << cut;
            EXPECT_EQ(log[0].status, 405u);
            EXPECT_EQ(log[1].status, 200u); // the body was not taken for a request
        }
    }
}

TEST_F(Exchange, ABodyThatNeverComesClosesWithoutAnAnswer) {
    receive("POST /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01");
    ASSERT_EQ(next().what, w::io::read);
    ex.on_timeout();
    EXPECT_EQ(next().what, w::io::close);
    EXPECT_TRUE(log.empty());
}

TEST_F(Exchange, AHeadAboveTheLimitIs431) {
    std::string head = "GET /small.txt HTTP/1.1\r\nHost: x\r\n";
    while (head.size() < settings.limits.header + 100)
        head += "X-Filler: " + std::string(100, 'a') + "\r\n";
    next();
    w::action a;
    for (std::size_t at = 0; at < head.size(); at += 500) {
        receive(std::string_view{head}.substr(at, 500));
        a = next();
        if (a.what != w::io::read)
            break;
    }
    ASSERT_EQ(a.what, w::io::write_final);
    EXPECT_TRUE(a.data[0].starts_with("HTTP/1.1 431 "));
}

TEST_F(Exchange, WithoutALogNothingIsLogged) {
    w::http1_exchange quiet{settings, files};
    auto const space = quiet.read_space();
    std::copy(get_small.begin(), get_small.end(), space.begin());
    quiet.on_read(get_small.size());
    auto const a = quiet.next({date, false});
    quiet.on_sent(a.data[0].size() + a.data[1].size());
    EXPECT_EQ(quiet.next({date, false}).what, w::io::wait);
}

} // namespace
