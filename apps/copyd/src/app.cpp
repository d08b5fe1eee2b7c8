#include <netlab/asio/run.hpp>
#include <netlab/copyd/app.hpp>
#include <netlab/copyd/copier.hpp>
#include <netlab/copyd/input_session.hpp>
#include <netlab/copyd/stdin_reader.hpp>
#include <netlab/sys/journal.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <deque>
#include <optional>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace netlab::copyd {
namespace net = boost::asio;
namespace {

/// How many copies may run at once: each holds 3 descriptors. The soft descriptor limit is
/// raised to the hard one first (1024 by default is low for a copier fed a big glob).
std::size_t running_limit() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 64;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
        ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    // Room for stdin/out/err, the log, epoll, eventfd, signal pipe and a margin.
    auto const fds = lim.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : lim.rlim_cur;
    return static_cast<std::size_t>(
        std::clamp<rlim_t>((fds - std::min<rlim_t>(fds, 32)) / 3, 1, 1024));
}

/// A closed standard descriptor would be reused by the next open (the log, a destination)
/// and messages meant for it would land in that file: hold it open on /dev/null instead.
void open_closed_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd)
        if (::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY); // the lowest free: fd
}

/// Wires stdin, the prompt state machine, the copier, signals and the progress timer. All of
/// its own state lives on `strand_`.
class application {
public:
    application(net::io_context& ioc, options const& opt, log_file const& log,
                sys::journal::logger const& messages)
        : opt_{opt}
        , messages_{messages}
        , strand_{net::make_strand(ioc.get_executor())}
        , copier_{ioc.get_executor(),
                  {.chunk_size = opt.chunk_size, .max_running = running_limit()},
                  log}
        , signals_{strand_, SIGINT, SIGTERM}
        , progress_timer_{strand_} {
        // A closed terminal (SIGHUP) cancels like SIGTERM, so the log and the hidden-name
        // fallback stay clean; unless it is ignored (nohup), which must stay so.
        struct sigaction hup {};
        if (::sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler != SIG_IGN)
            signals_.add(SIGHUP);
    }

    void start() {
        net::post(strand_, [this] {
            signals_.async_wait([this](boost::system::error_code ec, int signo) {
                if (!ec)
                    on_signal(signo);
            });
            if (opt_.progress)
                arm_progress();
            if (!opt_.copies.empty()) {
                for (auto const& [src, dst] : opt_.copies)
                    copier_.start(src, dst);
                finish();
                return;
            }
            prompts_ = opt_.prompt == prompt_mode::always ||
                       (opt_.prompt == prompt_mode::automatic && ::isatty(0) == 1);
            session_.emplace(prompts_);
            reader_.emplace(strand_, STDIN_FILENO);
            reader_->start([this](std::string_view bytes) { act(session_->feed(bytes)); },
                           [this](std::error_code ec) {
                               if (ec) { // ends the input like EOF, but the run failed
                                   ++input_failures_;
                                   messages_.error("cannot read standard input: " + ec.message());
                               }
                               act(session_->end_of_input());
                           });
            act(session_->start());
        });
    }

    int exit_status() const {
        if (signal_ != 0)
            return 128 + signal_;
        return copier_.failures() > 0 || input_failures_ > 0 ? 1 : 0;
    }

private:
    void act(std::vector<input_action> actions) {
        // After `exit` or a signal, a read that was already under way is dropped like unread
        // input (it would print an "interrupted" refusal per line).
        if (finishing_)
            return;
        for (auto& a : actions)
            pending_.push_back(std::move(a));
        pump();
    }

    /// Carries out input actions in order. A copy's start is awaited, so its refusal (missing
    /// source, ...) is printed before the next prompt, and input is read only when every
    /// action so far is done.
    void pump() {
        while (!awaiting_ && !pending_.empty()) {
            auto a = std::move(pending_.front());
            pending_.pop_front();
            if (auto const* p = std::get_if<action::print>(&a)) {
                write_fd(STDOUT_FILENO, p->text);
            } else if (auto const* c = std::get_if<action::start_copy>(&a)) {
                awaiting_ = true;
                copier_.start(c->source, c->destination, [this] { resume(); });
            } else if (auto const* s = std::get_if<action::show_progress>(&a)) {
                awaiting_ = true;
                copier_.snapshot(
                    [this, then = s->then_print](std::vector<progress_snapshot> const& list,
                                                 std::size_t waiting) {
                        std::string text = list.empty() ? "no copies running\n" : "";
                        text += format_listing(list, waiting);
                        text += then;
                        write_fd(STDOUT_FILENO, text);
                        resume();
                    });
            } else if (auto const* m = std::get_if<action::complain>(&a)) {
                ++input_failures_;
                write_fd(STDERR_FILENO, m->message + "\n");
            } else if (std::holds_alternative<action::finish>(a)) {
                finish();
            }
        }
        // Not after `exit`: what is typed ahead belongs to the shell.
        if (!awaiting_ && pending_.empty() && reader_ && !finishing_)
            reader_->read_more();
    }

    /// From the copier's strand: the awaited action is done.
    void resume() {
        net::post(strand_, [this] {
            awaiting_ = false;
            pump();
        });
    }

    /// No more input: wait for the running copies, then let the io_context run dry.
    void finish() {
        finishing_ = true;
        if (reader_)
            reader_->stop();
        copier_.when_idle([this] { net::post(strand_, [this] { shut_down(); }); });
    }

    void shut_down() {
        stopping_ = true; // a progress report already queued must not re-arm the timer
        boost::system::error_code ignored;
        signals_.cancel(ignored);
        progress_timer_.cancel();
        if (reader_)
            reader_->stop();
    }

    void on_signal(int signo) {
        pending_.clear(); // read input is dropped, as unread input is
        if (prompts_ && session_ && !session_->finished())
            write_fd(STDOUT_FILENO, "\n"); // leave the shell a fresh line after the prompt
        signal_ = signo;
        copier_.cancel_all();
        finish();
    }

    void arm_progress() {
        progress_timer_.expires_after(opt_.progress_interval);
        progress_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || stopping_)
                return;
            copier_.snapshot(
                [this](std::vector<progress_snapshot> const& list, std::size_t waiting) {
                    messages_.lines().write_lines(sys::journal::priority::info,
                                                  format_listing(list, waiting, "copyd: "));
                });
            arm_progress();
        });
    }

    options const& opt_;
    sys::journal::logger const& messages_; ///< stderr: status and errors, not prompts
    net::strand<net::any_io_executor> strand_;
    copier copier_;
    net::signal_set signals_;
    net::steady_timer progress_timer_;
    std::optional<input_session> session_;
    std::optional<stdin_reader> reader_;
    std::deque<input_action> pending_;
    bool awaiting_ = false;
    bool prompts_ = false;
    bool finishing_ = false; ///< no more input is read
    bool stopping_ = false;
    int signal_ = 0;
    int input_failures_ = 0;
};

} // namespace

int run(options const& opt) {
    open_closed_standard_fds();
    sys::journal::logger const messages{"copyd"}; // stderr is open by now, whatever it is
    auto const start = log_file::clock::now();
    auto log = log_file::open(opt.log_path, start);
    if (!log) {
        messages.error("cannot open log file '" + opt.log_path + "': " + log.error().message());
        return 1;
    }
    net::io_context ioc;
    application app{ioc, opt, *log, messages};
    app.start();
    try {
        netlab::asio::run(ioc, opt.threads ? opt.threads : netlab::asio::default_thread_count());
    } catch (std::system_error const& e) {
        if (e.code() != std::errc::resource_unavailable_try_again)
            throw;
        // No thread could be started (RLIMIT_NPROC, a container's pids limit): the copies
        // still run, on this thread (threads that did start have run dry by now).
        messages.warning(std::string{"cannot start threads ("} + e.what() + "); using one");
        ioc.restart();
        ioc.run();
    }
    return app.exit_status();
}

} // namespace netlab::copyd
