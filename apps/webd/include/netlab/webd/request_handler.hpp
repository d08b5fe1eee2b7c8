#pragma once

// The sans-I/O heart of webd: a parsed request head plus a way to open files under the root
// become a structured response head and a body source (response.hpp), the same for every
// transport. No sockets, no clock (the Date value is passed in), so every status code is
// unit-testable.

#include <netlab/sys/unique_fd.hpp>
#include <netlab/webd/response.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace netlab::webd {

/// What the handler needs from a request head. Views point into the parser's storage.
struct request_head {
    std::string_view method;
    std::string_view target;
    unsigned version = 11; ///< 10 for HTTP/1.0, 11 for HTTP/1.1, ...
    unsigned host_count = 0;
    std::string_view host;               ///< the (first) Host field's value
    bool transfer_encoding = false;      ///< any Transfer-Encoding field at all
    unsigned content_length_count = 0;   ///< Content-Length fields seen
    bool content_length_invalid = false; ///< unparsable, or values that disagree
    std::uint64_t content_length = 0;
    bool connection_close = false;      ///< "close" token in Connection
    bool connection_keep_alive = false; ///< "keep-alive" token in Connection
    bool expect_continue = false;       ///< Expect: 100-continue
    std::string_view if_match;          ///< several fields joined into one list
    std::string_view if_unmodified_since;
    std::string_view if_none_match;
    std::string_view if_modified_since;
    std::string_view range;
    std::string_view if_range;
    bool has_if_match = false;
    bool has_if_unmodified_since = false;
    bool has_if_none_match = false;
    bool has_if_modified_since = false;
    bool has_range = false;
    bool has_if_range = false;
    std::string_view referer;
    std::string_view user_agent;
};

/// What a file under the root is.
struct file_info {
    bool regular = false;
    bool directory = false;
    std::uint64_t size = 0;
    std::chrono::sys_seconds mtime{};
};

/// The header values that depend only on the file (its path, size and mtime). The handler
/// computes them per request, unless the opener kept them with a cached file (as nginx's
/// open_file_cache keeps what it derived from stat).
struct file_headers {
    std::string etag;
    char last_modified[29]{};      ///< IMF-fixdate
    std::string_view content_type; ///< a static string

    static file_headers of(file_info const& info, std::string_view path);
    std::string_view last_modified_text() const noexcept {
        return {last_modified, sizeof last_modified};
    }
};

struct opened_file {
    sys::unique_fd fd;
    file_info info;
    /// The whole file, when the opener keeps small files in memory (then `fd` may be empty).
    std::shared_ptr<std::string const> content;
    /// With `content`, optionally: its file_headers, computed when it was cached.
    std::shared_ptr<file_headers const> headers;
};

/// Opens paths relative to the document root ("" is the root itself). Implementations must
/// never resolve outside the root; errors are std::errc values (ENOENT, EXDEV for an escape...).
class file_opener {
public:
    virtual ~file_opener() = default;
    virtual boost::system::result<opened_file, std::error_code> open(std::string_view path) = 0;
};

struct handler_options {
    std::string_view server_name = "webd";
    std::string_view index = "index.html";
    std::uint64_t max_body = 64 * 1024; ///< request bodies above this get 413 + close
};

/// Per-request facts from the connection.
struct request_context {
    std::string_view date; ///< the current IMF-fixdate (formatted once a second)
    bool draining = false; ///< the server is shutting down: close after this response
};

/// Maps one request to its response.
response handle_request(request_head const& req, file_opener& files, request_context const& ctx,
                        handler_options const& opts = {});

/// An error response with a small HTML body (without the body when `head_only`); a
/// non-empty `location` adds that Location field (redirects).
response make_error_response(unsigned status, request_context const& ctx, bool keep_alive,
                             handler_options const& opts = {}, bool head_only = false,
                             std::string_view location = {});

} // namespace netlab::webd
