#include <netlab/asio/run.hpp>

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace netlab::asio {

void run(boost::asio::io_context& ioc, unsigned threads) {
    std::mutex mutex;
    std::exception_ptr first_error;
    auto const run_one = [&] {
        try {
            ioc.run();
        } catch (...) {
            std::scoped_lock lock{mutex};
            if (!first_error)
                first_error = std::current_exception();
            ioc.stop();
        }
    };
    {
        std::vector<std::jthread> pool;
        pool.reserve(threads > 1 ? threads - 1 : 0);
        for (unsigned i = 1; i < threads; ++i)
            pool.emplace_back(run_one);
        run_one();
    } // jthreads join here
    if (first_error)
        std::rethrow_exception(first_error);
}

unsigned default_thread_count() noexcept {
    auto const n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
}

} // namespace netlab::asio
