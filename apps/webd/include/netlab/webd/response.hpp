#pragma once

// A response as data: a structured head (status and fields, no wire syntax) and a body source
// (bytes in memory, a range of a cached file, or a range of an open file). The handler makes
// it; a transport serialises the head once in its own syntax (HTTP/1.1 text here; an HTTP/2
// session would give the same fields to HPACK) and moves the body its own way (sendfile,
// pread + write through TLS, a data provider).

#include <netlab/sys/unique_fd.hpp>

#include <boost/container/small_vector.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace netlab::webd {

/// The header fields webd sends. An enumeration, not free text: a name can never carry a
/// CR/LF, and each transport spells it its own way (HTTP/2 wants lower case).
enum class field : std::uint8_t {
    server,
    date,
    content_type,
    content_length,
    last_modified,
    etag,
    content_range,
    accept_ranges,
    location,
    allow,
    count_ ///< not a field: the number of fields
};

/// "Content-Type" for field::content_type.
std::string_view field_name(field f) noexcept;

/// Status and fields of a response, in the order they were added. Values are copied into one
/// buffer, inside the head up to 256 bytes (every head webd makes but a long redirect), so
/// building one allocates nothing.
class response_head {
public:
    static constexpr std::size_t max_fields = 12;

    response_head() = default;
    explicit response_head(unsigned status);

    unsigned status() const noexcept { return status_; }

    /// Appends a field (at most max_fields; fields are never repeated by webd).
    response_head& set(field f, std::string_view value);
    response_head& set(field f, std::uint64_t value);

    /// The value of `f`, if set.
    std::optional<std::string_view> get(field f) const noexcept;

    struct entry {
        field name;
        std::string_view value;
    };
    std::size_t size() const noexcept { return count_; }
    entry operator[](std::size_t i) const noexcept {
        auto const& s = slots_[i];
        return {s.name, std::string_view{values_.data() + s.offset, s.length}};
    }

private:
    struct slot {
        field name = field::count_;
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };
    unsigned status_ = 200;
    std::uint8_t count_ = 0;
    std::array<slot, max_fields> slots_{};
    boost::container::small_vector<char, 256> values_;
};

/// The reason phrase webd sends for `status` ("NOT FOUND" for 404, as the seed did).
std::string_view reason_phrase(unsigned status) noexcept;

/// Appends the HTTP/1.1 status line, every field, the Connection field and the empty line.
void serialize_http1(response_head const& head, bool keep_alive, std::string& out);
std::string serialize_http1(response_head const& head, bool keep_alive);

/// A complete response: `head` plus a body that is `body` (in memory), or `file_length` bytes
/// from `file_offset` of `cached` (a shared in-memory copy of a small file) or else of `file`.
struct response {
    response_head head;
    std::string body;
    sys::unique_fd file;
    std::shared_ptr<std::string const> cached;
    std::uint64_t file_offset = 0;
    std::uint64_t file_length = 0;
    bool keep_alive = true; ///< HTTP/1.x: the connection stays open after this response
    /// After this response, the request's body (this many bytes) must be skipped.
    std::uint64_t discard_body = 0;

    unsigned status() const noexcept { return head.status(); }
    bool has_file_body() const noexcept { return file || cached; }
    std::uint64_t body_bytes() const noexcept {
        return has_file_body() ? file_length : body.size();
    }
    /// The body when it is in memory (a page or a cached file's range); empty otherwise.
    std::string_view memory_body() const noexcept {
        if (cached)
            return std::string_view{*cached}.substr(static_cast<std::size_t>(file_offset),
                                                    static_cast<std::size_t>(file_length));
        return body;
    }
};

} // namespace netlab::webd
