#pragma once

// Runs copy jobs: each on its own strand, in short blocking steps (a few milliseconds each)
// so many copies share the thread pool fairly and cancel promptly. The set of running jobs
// lives on the copier's strand.

#include <netlab/copyd/file_copy.hpp>
#include <netlab/copyd/output.hpp>
#include <netlab/copyd/progress.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netlab::copyd {

class copier {
public:
    struct settings {
        std::size_t chunk_size = std::size_t{1024} * 1024;
        /// A job yields its thread after this long, so other jobs and input get a turn.
        std::chrono::microseconds slice{2000};
        /// Copies running at once; later ones wait their turn. Each holds 3 descriptors, so
        /// this keeps thousands of queued copies (a big glob) from failing with EMFILE.
        std::size_t max_running = 1024;
    };

    copier(boost::asio::any_io_executor const& ex, settings s, log_file const& log);
    copier(copier const&) = delete;
    copier& operator=(copier const&) = delete;
    ~copier();

    /// Starts a copy (or refuses it with a message and a log line, or queues it), then calls
    /// `started`, on the copier's strand. Thread-safe.
    void start(std::string source, std::string destination, std::function<void()> started = {});

    /// Calls `done` with the running copies and how many wait for a turn. Thread-safe.
    void snapshot(std::function<void(std::vector<progress_snapshot>, std::size_t)> done);

    /// Calls `done` once no copy runs, counting copies started before this call. Thread-safe.
    void when_idle(std::function<void()> done);

    /// Cancels every running copy (their temporary files go) and refuses new ones.
    void cancel_all();

    /// Copies refused or failed so far.
    std::size_t failures() const noexcept { return failures_.load(); }

private:
    struct job;

    void begin(std::string source, std::string destination);
    void begin_now(std::string const& source, std::string const& destination);
    void refuse(std::string const& source, std::string const& destination,
                std::string const& reason);
    void run_slice(std::shared_ptr<job> const& j);
    void end(std::shared_ptr<job> const& j, std::optional<std::string> reason);
    void check_idle();

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    settings settings_;
    log_file const& log_;
    buffer_pool buffers_;
    // Touched only on strand_:
    std::vector<std::shared_ptr<job>> running_;
    std::deque<std::pair<std::string, std::string>> waiting_; ///< over max_running
    std::vector<std::function<void()>> idle_waiters_;
    std::uint64_t next_id_ = 0;
    bool cancelled_ = false;

    std::atomic<std::size_t> failures_{0};
};

} // namespace netlab::copyd
