#pragma once

// The document root on disk: opens paths beneath it with openat2(RESOLVE_BENEATH), so neither
// ".." nor a symlink can lead outside it, and only with O_NONBLOCK|O_CLOEXEC so a FIFO or
// device in the root cannot block a thread.

#include "request_handler.hpp"

#include <string>

namespace netlab::webd {

class root_directory final : public file_opener {
public:
    /// Opens `path` as the root (the object is immutable afterwards: threads share it); throws
    /// std::system_error when it is not a directory. With `follow_outside_symlinks`, symlinks may
    /// point anywhere (".." is still refused).
    explicit root_directory(std::string const& path, bool follow_outside_symlinks = false);

    boost::system::result<opened_file, std::error_code> open(std::string_view path) override;

    bool uses_openat2() const noexcept { return have_openat2_; }

private:
    unique_fd root_;
    bool follow_outside_;
    bool have_openat2_ = true;
};

} // namespace netlab::webd
