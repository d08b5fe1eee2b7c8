#pragma once

#include <boost/asio/io_context.hpp>

namespace netlab::asio {

/// Runs `ioc` on `threads` threads (the calling thread is one of them) until it runs out of
/// work or is stopped. These are the only threads a daemon has. An exception escaping a
/// handler is a bug: it stops the io_context and is rethrown here once every thread joined.
void run(boost::asio::io_context& ioc, unsigned threads);

/// The default for `--threads`: the number of cores, at least 1.
unsigned default_thread_count() noexcept;

} // namespace netlab::asio
