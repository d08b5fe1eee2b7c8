#pragma once

// One HTTP/1.1 connection's protocol, without I/O: bytes in, requests parsed (request_reader),
// answered (handle_request), responses out in request order, then keep-alive, lingering close
// or close. next() names the I/O it needs; the transport does it and reports back. The plain
// TCP connection (connection.cpp) drives it from a readiness handler and a coroutine; a TLS
// stream can drive the same exchange (turning send_file into read_file + write), and an
// HTTP/2 session uses the same handler and response source per stream.
//
// Calling next() twice without reporting anything returns the same action, so a transport can
// try an action at once and hand the rest to another context (a coroutine) that asks again.

#include <netlab/webd/access_log.hpp>
#include <netlab/webd/request_handler.hpp>
#include <netlab/webd/request_reader.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netlab::webd {

/// What the exchange asks its transport to do next.
enum class io : std::uint8_t {
    wait,        ///< idle: wait until the peer sends, then read into read_space()
    read,        ///< read more bytes into read_space()
    write,       ///< write `data` (both parts, in order); `more`: file bytes follow (cork)
    read_file,   ///< fill file_buffer() from `fd` at `offset`, then report on_file_read()
    send_file,   ///< send `length` bytes of `fd` from `offset`
    write_final, ///< try once to write `data` without waiting (a last error response)
    linger,      ///< shut down sending, drain input until the peer closes or time is up, close
    close,       ///< close now
};

/// The deadline that starts with an action; how long each one is, is the transport's setting.
enum class deadline : std::uint8_t {
    keep,      ///< the current deadline goes on
    header,    ///< a request head must arrive whole within the header timeout
    keepalive, ///< idle between requests
    send,      ///< a response is being sent (restarts on progress)
    linger,    ///< a lingering close
};

struct action {
    io what = io::close;
    deadline restart = deadline::keep;
    std::array<std::string_view, 2> data{}; ///< write, write_final
    int fd = -1;                            ///< read_file, send_file
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool more = false; ///< write: the head of a file that follows (send it corked)
};

struct exchange_settings {
    reader_limits limits;
    handler_options handler;
};

class http1_exchange {
public:
    /// Files up to this size that are not cached go out in one write with the head.
    static constexpr std::uint64_t small_file_limit = 32 * 1024;
    /// The read buffer a request starts with (none while idle); it grows for large heads up
    /// to the header limit.
    static constexpr std::size_t first_buffer = 1024;
    /// Kept at io::wait only up to these sizes: a large head or small file is rare, and its
    /// buffer would cost every idle connection that once had one.
    static constexpr std::size_t kept_head = 1024;
    static constexpr std::size_t kept_scratch = 4096;

    /// Called for every response sent, whole or in part, and for final errors (then without
    /// a request: method and target empty); the transport adds the peer and the time.
    using log_fn = std::function<void(access_entry&)>;

    /// `settings` and `files` must outlive the exchange. An empty `log` logs nothing.
    http1_exchange(exchange_settings const& settings, file_opener& files, log_fn log = {});

    /// The next I/O; `ctx` gives the Date value and whether to close after this response.
    action next(request_context const& ctx);

    /// Where io::wait (once readable) and io::read put bytes; then on_read(n).
    std::span<char> read_space();
    /// At io::wait the exchange keeps its small buffers (the read buffer and a response's
    /// head), so that a busy connection's next request allocates nothing and its transport
    /// can read straight into read_space(). A transport whose connection stays idle calls
    /// this to give them back; read_space() allocates again when needed.
    void release_idle_buffers();
    /// Whether read_space() has room without allocating (the buffers were kept at io::wait).
    bool holds_buffers() const noexcept { return !buffer_.empty(); }
    /// Responses sent whole so far (saturating).
    std::uint32_t responses() const noexcept { return responses_; }
    /// `n` bytes arrived in read_space(); 0 means the peer closed its side.
    void on_read(std::size_t n);
    /// `n` bytes of the current write, write_final or send_file went out.
    void on_sent(std::uint64_t n);
    /// Where io::read_file puts the file's bytes (exactly `length` of them).
    std::span<char> file_buffer();
    /// file_buffer() is filled.
    void on_file_read();
    /// The I/O failed (reset, short file, error): the exchange ends.
    void on_failed();
    /// The current deadline passed: a half-received head gets 408, anything else closes.
    void on_timeout();

private:
    enum class phase : std::uint8_t { request, discard, respond, final_error, linger, closed };

    // Each returns the action for its phase, or nothing when the phase changed.
    std::optional<action> next_request(request_context const& ctx);
    std::optional<action> next_discard();
    std::optional<action> next_response();
    std::optional<action> next_final();
    void start_response(request_context const& ctx);
    void start_final(unsigned status, request_context const& ctx, bool linger);
    void finish_response();
    void release_buffers();
    void trim_for_idle();
    void skip_empty_lines() noexcept;
    std::string_view buffered() const noexcept;
    std::string_view memory_body() const noexcept;
    bool large_file() const noexcept;
    deadline take_pending() noexcept { return std::exchange(pending_, deadline::keep); }
    void log(request_head const* head, unsigned status, std::uint64_t body_bytes) const;

    exchange_settings const& settings_;
    file_opener& files_;
    log_fn log_;
    request_reader reader_;

    std::vector<char> buffer_; ///< received bytes; [begin_, end_) not yet consumed
    std::size_t begin_ = 0;
    std::size_t end_ = 0;

    /// What a request under way holds, allocated while the connection is busy: most
    /// connections idle most of the time and then cost only the fields above and below.
    struct outgoing {
        std::optional<response> res; ///< the response being sent
        std::string head;            ///< res's head (or a final error's), serialised
        std::vector<char> scratch;   ///< a small file's bytes, read to go out with the head
    };
    outgoing& out();
    std::unique_ptr<outgoing> out_;
    bool scratch_ready_ = false;
    std::uint64_t written_ = 0;   ///< bytes of head_ and the in-memory body sent
    std::uint64_t file_sent_ = 0; ///< bytes sent with send_file
    std::uint64_t discard_left_ = 0;
    std::uint32_t responses_ = 0;
    unsigned final_status_ = 0;
    bool final_tried_ = false;
    bool linger_after_final_ = false;

    phase phase_ = phase::request;
    deadline pending_ = deadline::keep; ///< a deadline the next action starts
    bool head_deadline_ = false;        ///< the header timeout already runs for this request
    bool ended_ = false;                ///< the peer closed its side
    bool failed_ = false;
    bool timed_out_ = false;
};

} // namespace netlab::webd
