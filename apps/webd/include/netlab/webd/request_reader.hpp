#pragma once

// Reads one request head at a time from buffered bytes with Beast's request_parser (a fresh
// parser per message, explicit limits). Sans-I/O: the connection feeds it what it read; the
// fuzz target feeds it anything. Beast stays inside request_reader.cpp.

#include <netlab/webd/request_handler.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace netlab::webd {

struct reader_limits {
    std::size_t request_line = 8 * 1024; ///< longer: 414 (nginx's large_client_header_buffers)
    std::size_t header = 16 * 1024;      ///< the whole head; larger: 431
    std::uint64_t body = 64 * 1024;      ///< a declared Content-Length above it: 413
};

class request_reader {
public:
    enum class state { need_more, done, error };

    struct outcome {
        state status = state::need_more;
        std::size_t consumed = 0;  ///< bytes of the head, when done
        unsigned error_status = 0; ///< 400, 413, 414, 431 or 505, when error
    };

    explicit request_reader(reader_limits limits = {});
    ~request_reader();
    request_reader(request_reader&&) noexcept;
    request_reader& operator=(request_reader&&) noexcept;

    /// Feeds every buffered byte of the current message (from its first byte). Once `done`,
    /// head() describes the request until the next reset().
    outcome feed(std::string_view buffered);

    /// The parsed head; valid after feed() returned done, until reset().
    request_head const& head() const noexcept;

    /// Prepares for the next message (a fresh parser).
    void reset();
    /// Between messages: frees what the reader holds (an idle connection's), until the next
    /// feed().
    void release() noexcept;

private:
    struct impl;
    reader_limits limits_;
    std::unique_ptr<impl> impl_;
};

} // namespace netlab::webd
