#include <netlab/common/http.hpp>
#include <netlab/webd/request_handler.hpp>

#include <array>
#include <charconv>

namespace netlab::webd {
namespace {

namespace h = netlab::http;

void append_number(std::string& out, std::uint64_t v) {
    std::array<char, 24> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), end);
}

// Methods RFC 9110 and WebDAV define: answered 405; anything else is 501 (as nginx does).
bool is_known_method(std::string_view m) noexcept {
    static constexpr std::array<std::string_view, 15> known{
        "POST",      "PUT",   "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH", "PROPFIND",
        "PROPPATCH", "MKCOL", "COPY",   "MOVE",    "LOCK",  "UNLOCK",  "SEARCH"};
    for (auto const k : known)
        if (m == k)
            return true;
    return false;
}

class head_builder {
public:
    head_builder(unsigned status, request_context const& ctx, handler_options const& opts) {
        out_.reserve(320);
        out_ += "HTTP/1.1 ";
        append_number(out_, status);
        out_ += ' ';
        out_ += reason_phrase(status);
        out_ += "\r\nServer: ";
        out_ += opts.server_name;
        out_ += "\r\nDate: ";
        out_ += ctx.date;
        out_ += "\r\n";
    }
    head_builder& field(std::string_view name, std::string_view value) {
        out_ += name;
        out_ += ": ";
        out_ += value;
        out_ += "\r\n";
        return *this;
    }
    head_builder& field(std::string_view name, std::uint64_t value) {
        out_ += name;
        out_ += ": ";
        append_number(out_, value);
        out_ += "\r\n";
        return *this;
    }
    std::string finish(bool keep_alive) {
        out_ += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        return std::move(out_);
    }

private:
    std::string out_;
};

std::string error_page(unsigned status) {
    std::string code;
    append_number(code, status);
    auto const title = code + " " + std::string{reason_phrase(status)};
    return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
           "</h1></center>\r\n<hr><center>webd</center>\r\n</body>\r\n</html>\r\n";
}

bool keep_alive_for(request_head const& req, request_context const& ctx) {
    if (ctx.draining || req.connection_close)
        return false;
    return req.version >= 11 || req.connection_keep_alive;
}

// If-Range (RFC 9110 13.1.5): a strong ETag that matches exactly, or the exact Last-Modified.
bool if_range_holds(std::string_view value, std::string_view etag, h::sys_seconds mtime) {
    if (!value.empty() && (value.front() == '"' || value.starts_with("W/")))
        return value == etag;
    auto const date = h::parse_http_date(value);
    return date && *date == mtime;
}

} // namespace

std::string_view reason_phrase(unsigned status) noexcept {
    switch (status) {
    case 200:
        return "OK";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "NOT FOUND"; // the seed's phrase
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 416:
        return "Range Not Satisfiable";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

response make_error_response(unsigned status, request_context const& ctx, bool keep_alive,
                             handler_options const& opts, bool head_only) {
    response r;
    r.status = status;
    r.keep_alive = keep_alive;
    auto page = error_page(status);
    head_builder b{status, ctx, opts};
    b.field("Content-Type", "text/html").field("Content-Length", page.size());
    if (status == 405)
        b.field("Allow", "GET, HEAD");
    r.head = b.finish(keep_alive);
    if (!head_only)
        r.body = std::move(page);
    return r;
}

response handle_request(request_head const& req, file_opener& files, request_context const& ctx,
                        handler_options const& opts) {
    auto const fail = [&](unsigned status, bool keep) {
        return make_error_response(status, ctx, keep, opts, req.method == "HEAD");
    };
    // Framing first: a request whose body length is in doubt leaves the stream out of sync,
    // so the connection closes (the smuggling gaps of Beast 1.81's parser end here).
    if (req.version != 10 && req.version != 11)
        return fail(505, false);
    if (req.transfer_encoding || req.content_length_invalid || req.content_length_count > 1)
        return fail(400, false);
    if (req.content_length > opts.max_body)
        return fail(413, false);
    // A client that waits for "100 Continue" before sending its body never gets one (no
    // request here needs a body): answer at once and close instead of waiting for the body.
    bool const keep = keep_alive_for(req, ctx) && !(req.expect_continue && req.content_length > 0);
    auto with_discard = [&](response r) {
        r.discard_body = req.content_length;
        return r;
    };
    if (req.host_count > 1 || (req.version == 11 && req.host_count != 1))
        return with_discard(fail(400, false));

    bool const is_head = req.method == "HEAD";
    if (req.method != "GET" && !is_head)
        return with_discard(is_known_method(req.method) ? fail(405, keep) : fail(501, false));

    // nginx ends the connection after every 400, 500 and 501 (a client that sends garbage
    // is not trusted with the next request on the same stream).
    auto const target = h::normalize_target(req.target);
    if (!target)
        return with_discard(fail(400, false));
    std::string_view rel{target->path};
    rel.remove_prefix(1);

    auto opened = files.open(rel);
    std::string index_path;
    if (opened && opened->info.directory) {
        if (!target->path.ends_with('/')) {
            // nginx's answer for a directory without its slash; a relative Location keeps the
            // Host header out of it.
            auto location = h::encode_path(target->path + "/");
            if (!target->query.empty())
                location += "?" + target->query;
            auto r = fail(301, keep);
            auto const end = r.head.rfind("Connection: ");
            r.head.insert(end, "Location: " + location + "\r\n");
            return with_discard(std::move(r));
        }
        index_path = std::string{rel} + std::string{opts.index};
        opened = files.open(index_path);
        if (!opened && opened.error() == std::errc::no_such_file_or_directory)
            return with_discard(fail(403, keep)); // no index, no listing: nginx says 403
        rel = index_path;
    }
    if (!opened) {
        auto const ec = opened.error();
        unsigned status = 500;
        // ENXIO/ENODEV: a socket file or a device without a driver, never served (as FIFOs).
        if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory ||
            ec == std::errc::filename_too_long || ec == std::errc::no_such_device_or_address ||
            ec == std::errc::no_such_device)
            status = 404;
        else if (ec == std::errc::permission_denied || ec == std::errc::cross_device_link ||
                 ec == std::errc::too_many_symbolic_link_levels ||
                 ec == std::errc::operation_not_permitted)
            status = 403; // EXDEV/ELOOP: a symlink that leaves the root
        return with_discard(fail(status, keep && status != 500));
    }
    if (!opened->info.regular)
        return with_discard(fail(404, keep)); // FIFOs, devices, sockets: never served

    auto const& info = opened->info;
    auto const etag = h::make_etag(info.mtime, info.size);
    char last_modified[29];
    h::format_http_date(info.mtime, last_modified);
    std::string_view const last_modified_sv{last_modified, sizeof last_modified};

    // Conditional requests (RFC 9110 13.2.2): If-None-Match wins over If-Modified-Since.
    bool not_modified = false;
    if (req.has_if_none_match) {
        not_modified = h::if_none_match_matches(req.if_none_match, etag);
    } else if (req.has_if_modified_since) {
        auto const since = h::parse_http_date(req.if_modified_since);
        not_modified = since && info.mtime <= *since;
    }
    if (not_modified) {
        response r;
        r.status = 304;
        r.keep_alive = keep;
        r.head = head_builder{304, ctx, opts}
                     .field("Last-Modified", last_modified_sv)
                     .field("ETag", etag)
                     .finish(keep);
        return with_discard(std::move(r));
    }

    h::range_decision range;
    if (req.has_range && (!req.has_if_range || if_range_holds(req.if_range, etag, info.mtime)))
        range = h::parse_range(req.range, info.size);

    if (range.kind == h::range_kind::unsatisfiable) {
        auto r = fail(416, keep);
        std::string content_range = "Content-Range: bytes */";
        append_number(content_range, info.size);
        content_range += "\r\n";
        r.head.insert(r.head.rfind("Connection: "), content_range);
        return with_discard(std::move(r));
    }

    response r;
    r.keep_alive = keep;
    std::uint64_t offset = 0;
    std::uint64_t length = info.size;
    unsigned status = 200;
    if (range.kind == h::range_kind::satisfiable) {
        status = 206;
        offset = range.range.first;
        length = range.range.length();
    }
    r.status = status;
    head_builder b{status, ctx, opts};
    b.field("Content-Type", h::mime_type(rel)).field("Content-Length", length);
    b.field("Last-Modified", last_modified_sv).field("ETag", etag);
    if (status == 206) {
        std::string value = "bytes ";
        append_number(value, range.range.first);
        value += '-';
        append_number(value, range.range.last);
        value += '/';
        append_number(value, info.size);
        b.field("Content-Range", value);
    }
    b.field("Accept-Ranges", "bytes");
    r.head = b.finish(keep);
    if (!is_head && length > 0) {
        if (opened->content && opened->content->size() == info.size)
            r.cached = std::move(opened->content);
        else
            r.file = std::move(opened->fd);
        r.file_offset = offset;
        r.file_length = length;
    }
    return with_discard(std::move(r));
}

} // namespace netlab::webd
