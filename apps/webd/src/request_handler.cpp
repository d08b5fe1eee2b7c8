// handle_request in its steps: framing, Host and method, resolve (target -> file, index,
// redirect), preconditions (412), conditionals (304), range (206/416), and the file.
#include <netlab/common/http.hpp>
#include <netlab/webd/request_handler.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <variant>

namespace netlab::webd {
namespace {

namespace h = netlab::http;

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

std::string error_page(unsigned status) {
    std::array<char, 8> code{};
    auto const [end, ec] = std::to_chars(code.data(), code.data() + code.size(), status);
    std::string title{code.data(), end};
    title += ' ';
    title += reason_phrase(status);
    return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
           "</h1></center>\r\n<hr><center>webd</center>\r\n</body>\r\n</html>\r\n";
}

response_head make_head(unsigned status, request_context const& ctx, handler_options const& opts) {
    response_head head{status};
    head.set(field::server, opts.server_name).set(field::date, ctx.date);
    return head;
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

/// One request on its way through the steps; each step either answers or passes it on.
class request_flow {
public:
    request_flow(request_head const& req, file_opener& files, request_context const& ctx,
                 handler_options const& opts)
        : req_{req}
        , files_{files}
        , ctx_{ctx}
        , opts_{opts}
        , head_only_{req.method == "HEAD"} {}

    response run() {
        if (auto r = check_framing())
            return std::move(*r);
        // A client that waits for "100 Continue" before sending its body never gets one (no
        // request here needs a body): answer at once and close instead of waiting for it.
        keep_ = keep_alive_for(req_, ctx_) && !(req_.expect_continue && req_.content_length > 0);
        auto r = answer();
        r.discard_body = req_.content_length;
        return r;
    }

private:
    response fail(unsigned status, bool keep) const {
        return make_error_response(status, ctx_, keep, opts_, head_only_);
    }

    // Framing first: a request whose body length is in doubt leaves the stream out of sync,
    // so the connection closes (the smuggling gaps of Beast 1.81's parser end here).
    std::optional<response> check_framing() const {
        if (req_.version != 10 && req_.version != 11)
            return fail(505, false);
        if (req_.transfer_encoding || req_.content_length_invalid || req_.content_length_count > 1)
            return fail(400, false);
        if (req_.content_length > opts_.max_body)
            return fail(413, false);
        return std::nullopt;
    }

    response answer() {
        // RFC 9112 3.2: no Host in HTTP/1.1, several, or an invalid value (a fold, a space, a
        // '/'...) is a 400. An empty value is valid: a target without an authority has one.
        if (req_.host_count > 1 || (req_.version == 11 && req_.host_count != 1) ||
            (req_.host_count == 1 && !h::parse_authority(req_.host)))
            return fail(400, false);
        if (req_.method != "GET" && !head_only_)
            return is_known_method(req_.method) ? fail(405, keep_) : fail(501, false);
        // nginx ends the connection after every 400, 500 and 501 (a client that sends
        // garbage is not trusted with the next request on the same stream).
        auto const target = h::normalize_target(req_.target);
        if (!target)
            return fail(400, false);
        auto resolved = resolve(*target);
        if (auto* r = std::get_if<response>(&resolved))
            return std::move(*r);
        return serve(std::get<opened_file>(std::move(resolved)));
    }

    /// The file for `target`: the file itself or a directory's index, else the answer.
    std::variant<response, opened_file> resolve(h::target_path const& target) {
        std::string_view rel{target.path};
        rel.remove_prefix(1);
        auto opened = files_.open(rel);
        if (opened && opened->info.directory) {
            if (!target.path.ends_with('/'))
                return redirect_to_slash(target);
            path_ = std::string{rel} + std::string{opts_.index};
            opened = files_.open(path_);
            if (!opened && opened.error() == std::errc::no_such_file_or_directory)
                return fail(403, keep_); // no index, no listing: nginx says 403
        } else {
            path_ = rel;
        }
        if (!opened) {
            auto const status = status_for(opened.error());
            return fail(status, keep_ && status != 500);
        }
        if (!opened->info.regular)
            return fail(404, keep_); // FIFOs, devices, sockets: never served
        return std::move(*opened);
    }

    // nginx's answer for a directory without its slash; a relative Location keeps the Host
    // header out of it.
    response redirect_to_slash(h::target_path const& target) const {
        auto location = h::encode_path(target.path + "/");
        if (!target.query.empty())
            location += "?" + target.query;
        return make_error_response(301, ctx_, keep_, opts_, head_only_, location);
    }

    static unsigned status_for(std::error_code ec) {
        // ENXIO/ENODEV: a socket file or a device without a driver, never served (as FIFOs).
        if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory ||
            ec == std::errc::filename_too_long || ec == std::errc::no_such_device_or_address ||
            ec == std::errc::no_such_device)
            return 404;
        if (ec == std::errc::permission_denied || ec == std::errc::cross_device_link ||
            ec == std::errc::too_many_symbolic_link_levels ||
            ec == std::errc::operation_not_permitted)
            return 403; // EXDEV/ELOOP: a symlink that leaves the root
        return 500;
    }

    // Preconditions first (RFC 9110 13.2.2): If-Match, else If-Unmodified-Since (an invalid
    // date is ignored, 13.1.4). A resumed download must not splice two versions of a file.
    bool precondition_failed(file_info const& info, std::string_view etag) const {
        if (req_.has_if_match)
            return !h::if_match_matches(req_.if_match, etag);
        if (req_.has_if_unmodified_since) {
            auto const since = h::parse_http_date(req_.if_unmodified_since);
            return since && info.mtime > *since;
        }
        return false;
    }

    // Then the conditional GET: If-None-Match wins over If-Modified-Since.
    bool not_modified(file_info const& info, std::string_view etag) const {
        if (req_.has_if_none_match)
            return h::if_none_match_matches(req_.if_none_match, etag);
        if (req_.has_if_modified_since) {
            auto const since = h::parse_http_date(req_.if_modified_since);
            return since && info.mtime <= *since;
        }
        return false;
    }

    h::range_decision select_range(file_info const& info, std::string_view etag) const {
        if (req_.has_range &&
            (!req_.has_if_range || if_range_holds(req_.if_range, etag, info.mtime)))
            return h::parse_range(req_.range, info.size);
        return {};
    }

    response serve(opened_file opened) const {
        auto const& info = opened.info;
        std::optional<file_headers> computed;
        if (!opened.headers)
            computed = file_headers::of(info, path_);
        auto const& fh = opened.headers ? *opened.headers : *computed;
        std::string_view const etag = fh.etag;
        auto const last_modified_sv = fh.last_modified_text();

        if (precondition_failed(info, etag))
            return fail(412, keep_);
        response r;
        r.keep_alive = keep_;
        if (not_modified(info, etag)) {
            r.head = make_head(304, ctx_, opts_);
            r.head.set(field::last_modified, last_modified_sv).set(field::etag, etag);
            return r;
        }
        auto const range = select_range(info, etag);
        if (range.kind == h::range_kind::unsatisfiable) {
            auto e = fail(416, keep_);
            e.head.set(field::content_range, "bytes */" + std::to_string(info.size));
            return e;
        }
        bool const partial = range.kind == h::range_kind::satisfiable;
        std::uint64_t const offset = partial ? range.range.first : 0;
        std::uint64_t const length = partial ? range.range.length() : info.size;
        r.head = make_head(partial ? 206 : 200, ctx_, opts_);
        r.head.set(field::content_type, fh.content_type).set(field::content_length, length);
        r.head.set(field::last_modified, last_modified_sv).set(field::etag, etag);
        if (partial)
            r.head.set(field::content_range, "bytes " + std::to_string(range.range.first) + '-' +
                                                 std::to_string(range.range.last) + '/' +
                                                 std::to_string(info.size));
        r.head.set(field::accept_ranges, "bytes");
        if (!head_only_ && length > 0) {
            if (opened.content && opened.content->size() == info.size)
                r.cached = std::move(opened.content);
            else
                r.file = std::move(opened.fd);
            r.file_offset = offset;
            r.file_length = length;
        }
        return r;
    }

    request_head const& req_;
    file_opener& files_;
    request_context const& ctx_;
    handler_options const& opts_;
    bool const head_only_;
    bool keep_ = false;
    std::string path_; ///< the file's path under the root (a directory's index included)
};

} // namespace

file_headers file_headers::of(file_info const& info, std::string_view path) {
    file_headers out;
    out.etag = h::make_etag(info.mtime, info.size);
    h::format_http_date(info.mtime, out.last_modified);
    out.content_type = h::mime_type(path);
    return out;
}

response make_error_response(unsigned status, request_context const& ctx, bool keep_alive,
                             handler_options const& opts, bool head_only,
                             std::string_view location) {
    response r;
    r.keep_alive = keep_alive;
    auto page = error_page(status);
    r.head = make_head(status, ctx, opts);
    r.head.set(field::content_type, "text/html").set(field::content_length, page.size());
    if (status == 405)
        r.head.set(field::allow, "GET, HEAD");
    if (!location.empty())
        r.head.set(field::location, location);
    if (!head_only)
        r.body = std::move(page);
    return r;
}

response handle_request(request_head const& req, file_opener& files, request_context const& ctx,
                        handler_options const& opts) {
    return request_flow{req, files, ctx, opts}.run();
}

} // namespace netlab::webd
