#include <netlab/webd/response.hpp>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace netlab::webd {

std::string_view field_name(field f) noexcept {
    static constexpr std::array<std::string_view, static_cast<std::size_t>(field::count_)> names{
        "Server", "Date",          "Content-Type",  "Content-Length", "Last-Modified",
        "ETag",   "Content-Range", "Accept-Ranges", "Location",       "Allow"};
    auto const i = static_cast<std::size_t>(f);
    return i < names.size() ? names[i] : std::string_view{};
}

response_head::response_head(unsigned status)
    : status_{status} {}

response_head& response_head::set(field f, std::string_view value) {
    if (count_ == max_fields)
        throw std::length_error{"response_head: too many fields"}; // a bug in the handler
    slots_[count_++] = {f, static_cast<std::uint32_t>(values_.size()),
                        static_cast<std::uint32_t>(value.size())};
    values_.insert(values_.end(), value.begin(), value.end());
    return *this;
}

response_head& response_head::set(field f, std::uint64_t value) {
    std::array<char, 24> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    return set(f, std::string_view{buf.data(), static_cast<std::size_t>(end - buf.data())});
}

std::optional<std::string_view> response_head::get(field f) const noexcept {
    for (std::size_t i = 0; i < count_; ++i)
        if (slots_[i].name == f)
            return (*this)[i].value;
    return std::nullopt;
}

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
    case 412:
        return "Precondition Failed";
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

void serialize_http1(response_head const& head, bool keep_alive, std::string& out) {
    // Sized once and copied into place: appending piece by piece cost more than the rest of
    // a small file's response together.
    std::string_view const connection =
        keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    auto const reason = reason_phrase(head.status());
    std::size_t size =
        std::string_view{"HTTP/1.1 "}.size() + 10 + 1 + reason.size() + 2 + connection.size();
    for (std::size_t i = 0; i < head.size(); ++i)
        size += field_name(head[i].name).size() + head[i].value.size() + 4;
    auto const start = out.size();
    out.resize(start + size);
    char* p = out.data() + start;
    auto const put = [&p](std::string_view s) {
        std::memcpy(p, s.data(), s.size());
        p += s.size();
    };
    put("HTTP/1.1 ");
    p = std::to_chars(p, p + 10, head.status()).ptr;
    *p++ = ' ';
    put(reason);
    put("\r\n");
    for (std::size_t i = 0; i < head.size(); ++i) {
        auto const [name, value] = head[i];
        put(field_name(name));
        put(": ");
        put(value);
        put("\r\n");
    }
    put(connection);
    out.resize(static_cast<std::size_t>(p - out.data()));
}

std::string serialize_http1(response_head const& head, bool keep_alive) {
    std::string out;
    serialize_http1(head, keep_alive, out);
    return out;
}

} // namespace netlab::webd
