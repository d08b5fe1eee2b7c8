#include <netlab/copyd/copier.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <optional>

#include <unistd.h>

namespace netlab::copyd {
namespace net = boost::asio;

struct copier::job {
    job(net::any_io_executor const& ex, std::unique_ptr<file_copy> c)
        : strand{net::make_strand(ex)}
        , copy{std::move(c)}
        , source{copy->plan().source}
        , destination{copy->plan().destination}
        , source_key{copy->plan().source_key}
        , destination_key{copy->plan().destination_key}
        , in_place{copy->plan().in_place} {}

    net::strand<net::any_io_executor> strand;
    std::unique_ptr<file_copy> copy; ///< touched only on `strand`
    std::string const source;
    std::string const destination;
    path_key const source_key;
    path_key const destination_key;
    bool const in_place;
    std::chrono::steady_clock::time_point const started = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> total{0};
    std::atomic<bool> cancelled{false};
};

copier::copier(net::any_io_executor const& ex, settings s, log_file const& log)
    : strand_{net::make_strand(ex)}
    , settings_{s}
    , log_{log}
    , buffers_{s.chunk_size} {}

copier::~copier() = default;

void copier::start(std::string source, std::string destination, std::function<void()> started) {
    net::post(strand_, [this, s = std::move(source), d = std::move(destination),
                        started = std::move(started)]() mutable {
        begin(std::move(s), std::move(d));
        if (started)
            started();
    });
}

void copier::refuse(std::string const& source, std::string const& destination,
                    std::string const& reason) {
    ++failures_;
    write_fd(STDERR_FILENO, refusal_message(source, destination, reason));
    log_.failed(source, destination, reason);
}

void copier::begin(std::string source, std::string destination) {
    if (cancelled_)
        return refuse(source, destination, "interrupted");
    if (running_.size() >= settings_.max_running || !waiting_.empty()) {
        waiting_.emplace_back(std::move(source), std::move(destination));
        return;
    }
    begin_now(source, destination);
}

void copier::begin_now(std::string const& source, std::string const& destination) {
    // Before opening: the unfinished destination may not exist under its name yet.
    if (auto const key = key_of(source)) {
        for (auto const& other : running_)
            if (!other->in_place && other->destination_key == *key)
                return refuse(source, destination,
                              "source is the unfinished destination of a running copy (from '" +
                                  other->source + "')");
    }
    auto opened = file_copy::open(source, destination);
    if (!opened)
        return refuse(source, destination, opened.error().reason);
    auto copy = std::move(*opened);
    auto const& plan = copy->plan();
    for (auto const& other : running_) {
        if (!plan.in_place && !other->in_place && other->destination_key == plan.destination_key)
            return refuse(source, plan.destination,
                          "a running copy is writing the same destination (from '" + other->source +
                              "')");
        if (!other->in_place && other->destination_key == plan.source_key)
            return refuse(source, plan.destination,
                          "source is the unfinished destination of a running copy (from '" +
                              other->source + "')");
    }
    if (auto created = copy->create_destination(++next_id_); !created)
        return refuse(source, plan.destination, created.error().reason);

    auto j = std::make_shared<job>(strand_.get_inner_executor(), std::move(copy));
    j->total = j->copy->bytes_total();
    log_.started(j->source, j->destination);
    running_.push_back(j);
    net::post(j->strand, [this, j] { run_slice(j); });
}

void copier::run_slice(std::shared_ptr<job> const& j) {
    using clock = std::chrono::steady_clock;
    auto const deadline = clock::now() + settings_.slice;
    for (;;) {
        if (j->cancelled.load(std::memory_order_relaxed)) {
            j->copy->abort();
            return end(j, "interrupted");
        }
        auto const step = j->copy->step(settings_.chunk_size, buffers_);
        if (!step) {
            j->copy->abort();
            return end(j, step.error().reason);
        }
        j->done.store(j->copy->bytes_done(), std::memory_order_relaxed);
        j->total.store(j->copy->bytes_total(), std::memory_order_relaxed);
        if (*step) {
            if (auto committed = j->copy->commit(); !committed) {
                j->copy->abort();
                return end(j, committed.error().reason);
            }
            return end(j, std::nullopt);
        }
        if (clock::now() >= deadline)
            break;
    }
    net::post(j->strand, [this, j] { run_slice(j); });
}

void copier::end(std::shared_ptr<job> const& j, std::optional<std::string> reason) {
    j->copy.reset(); // closes the files on the job's strand
    net::post(strand_, [this, j, reason = std::move(reason)] {
        std::erase(running_, j);
        if (reason)
            refuse(j->source, j->destination, *reason);
        else
            log_.completed(j->destination);
        // Refusals end at once, so start as many waiting copies as there is room for.
        while (!waiting_.empty() && running_.size() < settings_.max_running) {
            auto [src, dst] = std::move(waiting_.front());
            waiting_.pop_front();
            begin_now(src, dst);
        }
        check_idle();
    });
}

void copier::check_idle() {
    if (!running_.empty() || !waiting_.empty())
        return;
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& w : waiters)
        w();
}

void copier::when_idle(std::function<void()> done) {
    net::post(strand_, [this, done = std::move(done)]() mutable {
        idle_waiters_.push_back(std::move(done));
        check_idle();
    });
}

void copier::cancel_all() {
    net::post(strand_, [this] {
        cancelled_ = true;
        for (auto const& j : running_)
            j->cancelled = true;
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (auto const& [src, dst] : waiting)
            refuse(src, dst, "interrupted");
        check_idle();
    });
}

void copier::snapshot(std::function<void(std::vector<progress_snapshot>, std::size_t)> done) {
    net::post(strand_, [this, done = std::move(done)] {
        std::vector<progress_snapshot> list;
        auto const now = std::chrono::steady_clock::now();
        for (auto const& j : running_)
            list.push_back(
                {j->source, j->destination, j->done.load(), j->total.load(), now - j->started});
        done(std::move(list), waiting_.size());
    });
}

} // namespace netlab::copyd
