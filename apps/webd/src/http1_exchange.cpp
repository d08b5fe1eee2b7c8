#include <netlab/webd/http1_exchange.hpp>

#include <algorithm>
#include <limits>

namespace netlab::webd {

http1_exchange::http1_exchange(exchange_settings const& settings, file_opener& files, log_fn log)
    : settings_{settings}
    , files_{files}
    , log_{std::move(log)}
    , reader_{settings.limits} {}

action http1_exchange::next(request_context const& ctx) {
    for (;;) {
        std::optional<action> a;
        switch (phase_) {
        case phase::request:
            a = next_request(ctx);
            break;
        case phase::discard:
            a = next_discard();
            break;
        case phase::respond:
            a = next_response();
            break;
        case phase::final_error:
            a = next_final();
            break;
        case phase::linger:
            if (timed_out_ || failed_)
                phase_ = phase::closed;
            else
                a = action{io::linger, deadline::linger};
            break;
        case phase::closed:
            return action{io::close};
        }
        if (a)
            return *a;
    }
}

std::optional<action> http1_exchange::next_request(request_context const& ctx) {
    if (failed_) {
        phase_ = phase::closed;
        return std::nullopt;
    }
    skip_empty_lines();
    if (begin_ == end_) {
        if (timed_out_ || ended_ || ctx.draining) {
            phase_ = phase::closed;
            return std::nullopt;
        }
        trim_for_idle();
        return action{io::wait, take_pending()};
    }
    auto const out = reader_.feed(buffered());
    switch (out.status) {
    case request_reader::state::need_more:
        if (timed_out_) {
            start_final(408, ctx, false); // a head that did not arrive in time
            return std::nullopt;
        }
        if (ended_ || read_space().empty()) {
            phase_ = phase::closed;
            return std::nullopt;
        }
        // The header timeout runs from the first read a head needs: it must arrive whole
        // within it, however slowly it trickles in (not armed when it came in one piece).
        if (!std::exchange(head_deadline_, true))
            pending_ = deadline::header;
        return action{io::read, take_pending()};
    case request_reader::state::error:
        start_final(out.error_status, ctx, true);
        return std::nullopt;
    case request_reader::state::done:
        begin_ += out.consumed;
        start_response(ctx);
        return std::nullopt;
    }
    return std::nullopt;
}

void http1_exchange::start_response(request_context const& ctx) {
    out().res.emplace(handle_request(reader_.head(), files_, ctx, settings_.handler));
    out_->head.clear();
    serialize_http1(out_->res->head, out_->res->keep_alive, out_->head);
    written_ = file_sent_ = 0;
    scratch_ready_ = false;
    if (out_->res->keep_alive && out_->res->discard_body > 0) {
        discard_left_ = out_->res->discard_body;
        phase_ = phase::discard;
        pending_ = deadline::keep; // the body comes under the deadline the head came under
    } else {
        phase_ = phase::respond;
        pending_ = deadline::send; // from here the send timeout rules
    }
}

std::optional<action> http1_exchange::next_discard() {
    auto const take = std::min<std::uint64_t>(discard_left_, end_ - begin_);
    begin_ += static_cast<std::size_t>(take);
    discard_left_ -= take;
    if (discard_left_ == 0) {
        phase_ = phase::respond;
        pending_ = deadline::send;
        return std::nullopt;
    }
    if (failed_ || timed_out_ || ended_) {
        phase_ = phase::closed; // the body never came: nothing was answered
        return std::nullopt;
    }
    return action{io::read, take_pending()};
}

bool http1_exchange::large_file() const noexcept {
    return out_->res->file && !out_->res->cached && out_->res->file_length > small_file_limit;
}

std::string_view http1_exchange::memory_body() const noexcept {
    if (scratch_ready_)
        return {out_->scratch.data(), out_->scratch.size()};
    return out_->res->memory_body();
}

std::optional<action> http1_exchange::next_response() {
    auto const& res = *out_->res;
    if (failed_ || timed_out_) {
        finish_response(); // logged with what went out
        phase_ = phase::closed;
        return std::nullopt;
    }
    if (res.file && !res.cached && !large_file() && !scratch_ready_) {
        out_->scratch.resize(static_cast<std::size_t>(res.file_length));
        return action{io::read_file,  take_pending(),  {},
                      res.file.get(), res.file_offset, res.file_length};
    }
    auto const body = memory_body();
    if (written_ < out_->head.size() + body.size()) {
        action a{io::write, take_pending()};
        auto const skip = static_cast<std::size_t>(written_);
        a.data[0] = std::string_view{out_->head}.substr(std::min(skip, out_->head.size()));
        a.data[1] = body.substr(skip > out_->head.size() ? skip - out_->head.size() : 0);
        a.more = large_file();
        return a;
    }
    if (large_file() && file_sent_ < res.file_length)
        return action{io::send_file,
                      take_pending(),
                      {},
                      res.file.get(),
                      res.file_offset + file_sent_,
                      res.file_length - file_sent_};
    bool const keep_alive = res.keep_alive;
    finish_response();
    // Not kept alive: the peer may still be sending (a body we refused, pipelined requests).
    phase_ = keep_alive ? phase::request : phase::linger;
    return std::nullopt;
}

void http1_exchange::finish_response() {
    auto const body_bytes =
        (written_ > out_->head.size() ? written_ - out_->head.size() : 0) + file_sent_;
    log(&reader_.head(), out_->res->status(), body_bytes);
    if (responses_ != std::numeric_limits<std::uint32_t>::max())
        ++responses_;
    reader_.reset();
    out_->res.reset();
    written_ = file_sent_ = 0;
    scratch_ready_ = false;
    head_deadline_ = false;
    pending_ = deadline::keepalive; // if the connection now idles
}

void http1_exchange::start_final(unsigned status, request_context const& ctx, bool linger) {
    out().res.emplace(make_error_response(status, {ctx.date, true}, false, settings_.handler));
    out_->head.clear();
    serialize_http1(out_->res->head, false, out_->head);
    written_ = 0;
    final_status_ = status;
    final_tried_ = false;
    linger_after_final_ = linger;
    phase_ = phase::final_error;
}

// A response that ends the connection goes out without waiting for a slow reader.
std::optional<action> http1_exchange::next_final() {
    if (!final_tried_) {
        action a{io::write_final, take_pending()};
        a.data = {out_->head, out_->res->body};
        return a;
    }
    log(nullptr, final_status_, written_ > out_->head.size() ? written_ - out_->head.size() : 0);
    out_->res.reset();
    phase_ = linger_after_final_ ? phase::linger : phase::closed;
    return std::nullopt;
}

http1_exchange::outgoing& http1_exchange::out() {
    if (!out_)
        out_ = std::make_unique<outgoing>();
    return *out_;
}

std::span<char> http1_exchange::read_space() {
    auto const max_buffer = settings_.limits.header + first_buffer;
    if (begin_ == end_) {
        begin_ = end_ = 0;
        if (buffer_.empty())
            buffer_.resize(first_buffer);
    } else if (end_ == buffer_.size()) {
        if (begin_ > 0) {
            std::copy(buffer_.begin() + static_cast<std::ptrdiff_t>(begin_),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(end_), buffer_.begin());
            end_ -= begin_;
            begin_ = 0;
        } else if (buffer_.size() < max_buffer) {
            buffer_.resize(std::min(buffer_.size() * 2, max_buffer));
        }
        // else full: the reader stops at the header limit before this can happen
    }
    return {buffer_.data() + end_, buffer_.size() - end_};
}

void http1_exchange::on_read(std::size_t n) {
    if (n == 0)
        ended_ = true;
    end_ += n;
}

void http1_exchange::on_sent(std::uint64_t n) {
    if (phase_ == phase::final_error) {
        written_ += n;
        final_tried_ = true;
        return;
    }
    if (phase_ != phase::respond || !out_ || !out_->res)
        return;
    if (written_ < out_->head.size() + memory_body().size())
        written_ += n;
    else
        file_sent_ += n;
}

std::span<char> http1_exchange::file_buffer() {
    return {out_->scratch.data(), out_->scratch.size()};
}

void http1_exchange::on_file_read() {
    scratch_ready_ = true;
}

void http1_exchange::on_failed() {
    failed_ = true;
    final_tried_ = true;
}

void http1_exchange::on_timeout() {
    timed_out_ = true;
}

void http1_exchange::release_buffers() {
    begin_ = end_ = 0;
    std::vector<char>{}.swap(buffer_);
    out_.reset();
}

void http1_exchange::release_idle_buffers() {
    if (begin_ == end_) { // never with bytes of a next request buffered
        release_buffers();
        reader_.release();
    }
}

void http1_exchange::trim_for_idle() {
    begin_ = end_ = 0;
    if (buffer_.size() > first_buffer)
        std::vector<char>{}.swap(buffer_);
    if (out_ && (out_->head.capacity() > kept_head || out_->scratch.capacity() > kept_scratch))
        out_.reset();
}

// Drops CR/LF bytes between requests (RFC 9112 2.2: some clients send a CRLF after a
// request). Only between messages: the reader holds no request then. Without this, a lone
// CRLF would start a "slow head" and earn a 408 on a connection that is idle.
void http1_exchange::skip_empty_lines() noexcept {
    while (begin_ != end_ && (buffer_[begin_] == '\r' || buffer_[begin_] == '\n'))
        ++begin_;
}

std::string_view http1_exchange::buffered() const noexcept {
    return {buffer_.data() + begin_, end_ - begin_};
}

void http1_exchange::log(request_head const* head, unsigned status,
                         std::uint64_t body_bytes) const {
    if (!log_)
        return;
    access_entry e;
    if (head != nullptr) {
        e.method = head->method;
        e.target = head->target;
        e.version = head->version;
        e.referer = head->referer;
        e.user_agent = head->user_agent;
    }
    e.status = status;
    e.bytes = body_bytes;
    log_(e);
}

} // namespace netlab::webd
