// Raw bytes through the reader (Beast's parser with webd's limits) and, when a head parses,
// through the handler against a small fake root: never crashes, and every response head is
// well formed.

#include <netlab/webd/request_handler.hpp>
#include <netlab/webd/request_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

namespace w = netlab::webd;

class fake_root final : public w::file_opener {
public:
    boost::system::result<w::opened_file, std::error_code> open(std::string_view path) override {
        w::opened_file f;
        if (path.empty() || path == "dir" || path == "dir/") {
            f.info.directory = true;
            return f;
        }
        if (path == "index.html" || path == "dir/index.html" || path == "a.txt") {
            f.info.regular = true;
            f.info.size = 1000;
            return f;
        }
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }
};

void check(w::response const& r) {
    auto const head = w::serialize_http1(r.head, r.keep_alive);
    if (r.status() < 200 || r.status() > 599 || !head.starts_with("HTTP/1.1 ") ||
        !head.ends_with("\r\n\r\n") || head.find('\0') != std::string::npos)
        std::abort();
    // Exactly one empty line: header injection would add another.
    if (head.find("\r\n\r\n") != head.size() - 4)
        std::abort();
    // No bare CR or LF (a split header line), no control bytes at all.
    for (std::size_t i = 0; i < head.size(); ++i) {
        auto const c = static_cast<unsigned char>(head[i]);
        if ((c == '\r' && (i + 1 == head.size() || head[i + 1] != '\n')) ||
            (c == '\n' && (i == 0 || head[i - 1] != '\r')) ||
            (c < 0x20 && c != '\r' && c != '\n') || c == 0x7f)
            std::abort();
    }
    // A redirect stays on this site: never "//host" or "/\host" (an open redirect).
    if (auto const at = head.find("\r\nLocation: "); at != std::string::npos) {
        auto const value = std::string_view{head}.substr(at + 12);
        if (!value.starts_with('/') || value.starts_with("//") || value.starts_with("/\\"))
            std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view input{reinterpret_cast<char const*>(data), size};
    w::request_reader reader;
    fake_root root;
    for (int i = 0; i < 8 && !input.empty(); ++i) {
        auto const out = reader.feed(input);
        if (out.status == w::request_reader::state::need_more)
            break;
        if (out.status == w::request_reader::state::error) {
            if (out.error_status != 400 && out.error_status != 413 && out.error_status != 414 &&
                out.error_status != 431 && out.error_status != 505)
                std::abort();
            check(w::make_error_response(out.error_status, {"D", false}, false));
            break;
        }
        if (out.consumed == 0 || out.consumed > input.size())
            std::abort();
        auto const r = w::handle_request(reader.head(), root, {"D", false});
        check(r);
        input.remove_prefix(out.consumed);
        reader.reset();
    }
    return 0;
}
