#pragma once

// The handler tests' fixture: a fake file system and a request runner, shared by
// handler_test.cpp and precondition_test.cpp.
#include <netlab/common/http.hpp>
#include <netlab/webd/request_handler.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <fcntl.h>

namespace netlab::webd::test {

namespace w = netlab::webd;
namespace h = netlab::http;
using namespace std::chrono_literals;

namespace w = netlab::webd;
namespace h = netlab::http;
using namespace std::chrono_literals;

inline constexpr auto mtime = h::sys_seconds{784111777s}; // Sun, 06 Nov 1994 08:49:37 GMT

class fake_files final : public w::file_opener {
public:
    std::map<std::string, w::file_info, std::less<>> entries;
    std::map<std::string, std::errc, std::less<>> errors;
    std::vector<std::string> opened;

    void file(std::string path, std::uint64_t size) {
        entries[std::move(path)] = w::file_info{true, false, size, mtime};
    }
    void dir(std::string path) { entries[std::move(path)] = w::file_info{false, true, 0, mtime}; }

    boost::system::result<w::opened_file, std::error_code> open(std::string_view path) override {
        opened.emplace_back(path);
        bool const slash = path.ends_with('/'); // as open(2): "dir/" is the directory
        if (slash)
            path.remove_suffix(1);
        if (auto const e = errors.find(path); e != errors.end())
            return std::make_error_code(e->second);
        auto const it = entries.find(path);
        if (it == entries.end())
            return std::make_error_code(std::errc::no_such_file_or_directory);
        if (slash && !it->second.directory)
            return std::make_error_code(std::errc::not_a_directory);
        w::opened_file f;
        f.fd = netlab::sys::unique_fd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
        f.info = it->second;
        return f;
    }
};

/// The head as HTTP/1.1 sends it.
inline std::string wire(w::response const& r) {
    return w::serialize_http1(r.head, r.keep_alive);
}

class Handler : public ::testing::Test {
protected:
    Handler() {
        files.dir("");
        files.file("index.html", 1523);
        files.dir("images");
        files.file("images/a.jpg", 4000);
        files.dir("empty");
        files.file("notes.txt", 100);
        files.file("zero.txt", 0);
        files.entries["fifo"] = w::file_info{false, false, 0, mtime};
    }

    w::request_head get(std::string_view target) {
        w::request_head r;
        r.method = "GET";
        r.target = target;
        r.host_count = 1;
        return r;
    }

    w::response run(w::request_head const& r, bool draining = false) {
        return w::handle_request(r, files, {"Wed, 25 Nov 2026 12:00:00 GMT", draining});
    }

    /// `field` is "Name: value": the head has that field with exactly that value.
    static bool has(w::response const& r, std::string_view field) {
        auto const colon = field.find(": ");
        auto const name = field.substr(0, colon);
        for (std::size_t i = 0; i < r.head.size(); ++i)
            if (w::field_name(r.head[i].name) == name)
                return r.head[i].value == field.substr(colon + 2);
        // Connection is the HTTP/1.1 serialiser's, from keep_alive.
        return name == "Connection" &&
               field.substr(colon + 2) == (r.keep_alive ? "keep-alive" : "close");
    }

    fake_files files;
};

} // namespace netlab::webd::test
