#include <netlab/common/http.hpp>
#include <netlab/webd/date_source.hpp>

#include <chrono>

namespace netlab::webd {
namespace {

std::shared_ptr<date_source::text const> make_text(std::int64_t second) {
    auto d = std::make_shared<date_source::text>();
    d->second = second;
    http::format_http_date(http::sys_seconds{std::chrono::seconds{second}}, d->http);
    return d;
}

} // namespace

std::int64_t now_second() {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())
        .time_since_epoch()
        .count();
}

date_source::date_source()
    : current_{make_text(now_second())} {}

void date_source::tick() {
    auto next = make_text(now_second());
    std::lock_guard lock{mutex_};
    current_.swap(next); // the old text is freed outside the lock, by next's destructor
}

std::shared_ptr<date_source::text const> date_source::current() const {
    std::lock_guard lock{mutex_};
    return current_;
}

std::string_view date_source::reader::now(date_source const& source) {
    auto const sec = now_second();
    if (!cached_ || cached_->second != sec) {
        auto shared = source.current();
        // The clock loop may lag a moment behind the second boundary: format it here then.
        cached_ = shared && shared->second == sec ? std::move(shared) : make_text(sec);
    }
    return {cached_->http, sizeof cached_->http};
}

} // namespace netlab::webd
