// Raw bytes through a whole HTTP/1.1 exchange, delivered and sent in pieces whose sizes the
// input chooses: never crashes or loops, writes only well-framed heads, and ends the way a
// transport can follow (wait, linger or close).

#include <netlab/webd/http1_exchange.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <fcntl.h>

namespace {

namespace w = netlab::webd;

class fake_root final : public w::file_opener {
public:
    boost::system::result<w::opened_file, std::error_code> open(std::string_view path) override {
        w::opened_file f;
        f.info.mtime = std::chrono::sys_seconds{std::chrono::seconds{784111777}};
        if (path.empty() || path == "dir" || path == "dir/") {
            f.info.directory = true;
            return f;
        }
        f.info.regular = true;
        if (path == "index.html" || path == "a.txt") {
            f.content = content;
            f.info.size = content->size();
            return f;
        }
        if (path == "mid" || path == "big") {
            f.fd = netlab::sys::unique_fd{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
            f.info.size = path == "mid" ? 20000 : 200000;
            return f;
        }
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }
    std::shared_ptr<std::string const> content = std::make_shared<std::string const>("0123456789");
};

void check_head(std::string_view data) {
    // Every response starts with a status line and has exactly one empty line.
    if (!data.starts_with("HTTP/1.1 ") || data.find("\r\n\r\n") == std::string_view::npos)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0)
        return 0;
    // The first byte sets the piece size for reads and writes (1 to 64 bytes), and whether
    // the transport gives the buffers back at each wait (a cold idle connection).
    std::size_t const piece = (data[0] & 0x3f) + 1;
    bool const release_at_wait = (data[0] & 0x40) != 0;
    std::string_view input{reinterpret_cast<char const*>(data) + 1, size - 1};
    fake_root root;
    w::exchange_settings settings;
    w::http1_exchange ex{settings, root, [](w::access_entry&) {}};
    bool head_next = true; // the next write starts a response
    for (int steps = 0; steps < 100000; ++steps) {
        auto const a = ex.next({"D", false});
        switch (a.what) {
        case w::io::wait:
        case w::io::read: {
            if (input.empty()) {
                if (a.what == w::io::wait)
                    return 0; // idle with nothing more to say: a clean end
                ex.on_read(0);
                break;
            }
            if (a.what == w::io::wait && release_at_wait)
                ex.release_idle_buffers();
            auto const space = ex.read_space();
            auto const n = std::min({piece, input.size(), space.size()});
            if (n == 0)
                std::abort(); // asked to read with no room to read into
            std::copy_n(input.data(), n, space.data());
            ex.on_read(n);
            input.remove_prefix(n);
            break;
        }
        case w::io::write:
        case w::io::write_final: {
            if (head_next)
                check_head(a.data[0]);
            auto const total = a.data[0].size() + a.data[1].size();
            if (total == 0)
                std::abort(); // a write of nothing would never progress
            auto const n = a.what == w::io::write_final ? total : std::min(piece, total);
            ex.on_sent(n);
            head_next = n == total && !a.more;
            break;
        }
        case w::io::read_file:
            if (ex.file_buffer().size() != a.length)
                std::abort();
            ex.on_file_read();
            break;
        case w::io::send_file:
            if (a.length == 0)
                std::abort();
            ex.on_sent(std::min<std::uint64_t>(a.length, piece * 1000));
            head_next = a.length <= piece * 1000;
            break;
        case w::io::linger:
        case w::io::close:
            return 0;
        }
    }
    std::abort(); // an exchange that never ends
}
