#include <netlab/common/ascii.hpp>
#include <netlab/webd/request_reader.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <charconv>
#include <optional>
#include <string>

namespace netlab::webd {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

using ascii::iequals;

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

void read_connection_tokens(std::string_view value, request_head& out) {
    while (!value.empty()) {
        auto const comma = value.find(',');
        auto const token = trim(value.substr(0, comma));
        if (iequals(token, "close"))
            out.connection_close = true;
        else if (iequals(token, "keep-alive"))
            out.connection_keep_alive = true;
        if (comma == std::string_view::npos)
            break;
        value.remove_prefix(comma + 1);
    }
}

// Every Content-Length field and every comma-separated value in it must be the same number.
void read_content_length(std::string_view value, request_head& out) {
    ++out.content_length_count;
    bool first = out.content_length_count == 1;
    while (true) {
        auto const comma = value.find(',');
        auto const token = trim(value.substr(0, comma));
        std::uint64_t n = 0;
        auto const [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
        if (token.empty() || ec != std::errc{} || end != token.data() + token.size()) {
            out.content_length_invalid = true;
            return;
        }
        if (!first && n != out.content_length)
            out.content_length_invalid = true;
        // A list ("5, 5") is one field but more than one value: refuse it like a duplicate.
        if (comma != std::string_view::npos)
            out.content_length_invalid = true;
        out.content_length = n;
        first = false;
        if (comma == std::string_view::npos)
            return;
        value.remove_prefix(comma + 1);
    }
}

// Whether a request line ends in a syntactically valid "HTTP/<digits>.<digits>" CRLF that
// is not one of ours (Beast also says bad_version for "HTTP/1.1" with a bare LF: a 400).
bool is_foreign_http_version(std::string_view line) noexcept {
    if (line.empty() || line.back() != '\r')
        return false;
    line.remove_suffix(1);
    if (line.ends_with(" HTTP/1.1") || line.ends_with(" HTTP/1.0"))
        return false;
    auto const space = line.rfind(' ');
    if (space == std::string_view::npos)
        return false;
    auto v = line.substr(space + 1);
    if (!v.starts_with("HTTP/"))
        return false;
    v.remove_prefix(5);
    auto const dot = v.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot + 1 == v.size())
        return false;
    for (std::size_t i = 0; i < v.size(); ++i)
        if (i != dot && (v[i] < '0' || v[i] > '9'))
            return false;
    return true;
}

} // namespace

struct request_reader::impl {
    reader_limits limits;
    std::optional<bhttp::request_parser<bhttp::empty_body>> parser;
    request_head head;
    std::size_t fed = 0;         ///< bytes of this message Beast already consumed (its start line)
    bool started = false;        ///< past any empty lines before the request line
    bool line_done = false;      ///< the request line has been seen whole
    std::string joined_if_match; ///< several If-Match fields, as one list
    std::string joined_if_none_match; ///< several If-None-Match fields, as one list

    void ensure_parser() {
        if (parser)
            return;
        parser.emplace();
        parser->header_limit(static_cast<std::uint32_t>(limits.header));
        // Bodies are never given to Beast (webd skips them itself), but the limit makes it
        // refuse an oversized Content-Length as soon as the head is complete.
        parser->body_limit(limits.body);
    }

    void fill_head() {
        auto const& req = parser->get();
        head.method = req.method_string();
        head.target = req.target();
        head.version = req.version();
        for (auto const& f : req)
            read_field(f.name(), f.value());
    }

    void read_field(bhttp::field name, std::string_view value) {
        switch (name) {
        case bhttp::field::host:
            if (head.host_count++ == 0)
                head.host = value;
            break;
        case bhttp::field::transfer_encoding:
            head.transfer_encoding = true;
            break;
        case bhttp::field::content_length:
            read_content_length(value, head);
            break;
        case bhttp::field::connection:
            read_connection_tokens(value, head);
            break;
        case bhttp::field::expect:
            head.expect_continue = iequals(trim(value), "100-continue");
            break;
        case bhttp::field::if_match:
            join_list(value, head.if_match, head.has_if_match, joined_if_match);
            break;
        case bhttp::field::if_unmodified_since:
            head.if_unmodified_since = value;
            head.has_if_unmodified_since = true;
            break;
        case bhttp::field::if_none_match:
            join_list(value, head.if_none_match, head.has_if_none_match, joined_if_none_match);
            break;
        case bhttp::field::if_modified_since:
            head.if_modified_since = value;
            head.has_if_modified_since = true;
            break;
        case bhttp::field::range:
            // Two Range fields are as malformed as "bytes=0-1, 2-3" is ambiguous: ignore.
            head.range = head.has_range ? std::string_view{} : value;
            head.has_range = true;
            break;
        case bhttp::field::if_range:
            head.if_range = value;
            head.has_if_range = true;
            break;
        case bhttp::field::referer:
            head.referer = value;
            break;
        case bhttp::field::user_agent:
            head.user_agent = value;
            break;
        default:
            break;
        }
    }

    // RFC 9110 5.3: a second field of a list-valued header continues the list (rare: some
    // proxies split them). Appended in place: many fields cost linear time, not quadratic.
    static void join_list(std::string_view value, std::string_view& list, bool& seen,
                          std::string& joined) {
        if (seen) {
            if (joined.empty())
                joined = list;
            joined.append(", ").append(value.data(), value.size());
            list = joined;
        } else {
            list = value;
        }
        seen = true;
    }
};

request_reader::request_reader(reader_limits limits)
    : limits_{limits} {}

request_reader::~request_reader() = default;
request_reader::request_reader(request_reader&&) noexcept = default;
request_reader& request_reader::operator=(request_reader&&) noexcept = default;

request_reader::outcome request_reader::feed(std::string_view buffered) {
    if (!impl_) {
        // Kept from message to message while the connection is busy; release() frees it.
        impl_ = std::make_unique<impl>();
        impl_->limits = limits_;
    }
    auto& p = *impl_;
    if (!p.started) {
        // RFC 9112 2.2: ignore empty lines before a request line (some clients send a CRLF
        // after a body).
        while (p.fed < buffered.size() && (buffered[p.fed] == '\r' || buffered[p.fed] == '\n'))
            ++p.fed;
        if (p.fed == buffered.size())
            return {state::need_more, 0, 0};
        p.started = true;
    }
    auto const line_end = buffered.find('\n', p.fed);
    if (!p.line_done) {
        // The request line alone is limited first so that an over-long target is a 414.
        auto const line_length =
            (line_end == std::string_view::npos ? buffered.size() : line_end) - p.fed;
        if (line_length > p.limits.request_line)
            return {state::error, 0, 414};
        p.line_done = line_end != std::string_view::npos;
    }
    auto const rest = buffered.substr(p.fed);
    p.ensure_parser();
    beast::error_code ec;
    auto const used = p.parser->put(boost::asio::const_buffer{rest.data(), rest.size()}, ec);
    p.fed += used; // Beast consumes the start line before the fields are complete
    if (ec == bhttp::error::need_more) {
        if (buffered.size() >= p.limits.header)
            return {state::error, 0, 431};
        return {state::need_more, 0, 0};
    }
    if (ec == bhttp::error::header_limit)
        return {state::error, 0, 431};
    if (ec == bhttp::error::body_limit)
        return {state::error, 0, 413};
    if (ec == bhttp::error::bad_version && line_end != std::string_view::npos &&
        is_foreign_http_version(buffered.substr(0, line_end)))
        return {state::error, 0, 505}; // "HTTP/2.0", "HTTP/0.9": well formed but not ours
    if (ec)
        return {state::error, 0, 400};
    if (!p.parser->is_header_done())
        return {state::need_more, 0, 0};
    p.fill_head();
    return {state::done, p.fed, 0};
}

request_head const& request_reader::head() const noexcept {
    static request_head const none{};
    return impl_ ? impl_->head : none;
}

void request_reader::reset() {
    if (!impl_)
        return;
    auto& p = *impl_;
    p.parser.reset();
    p.head = {};
    p.fed = 0;
    p.started = p.line_done = false;
    p.joined_if_match.clear();
    p.joined_if_none_match.clear();
}

void request_reader::release() noexcept {
    impl_.reset();
}

} // namespace netlab::webd
