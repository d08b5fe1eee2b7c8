#pragma once

#include <netlab/copyd/options.hpp>

namespace netlab::copyd {

/// Runs copyd with parsed options; returns the exit status (0 all copied, 1 some failed,
/// 128 + signal number when interrupted).
int run(options const& opt);

} // namespace netlab::copyd
