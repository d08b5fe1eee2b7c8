#pragma once

// The document root on disk: opens paths beneath it with openat2(RESOLVE_BENEATH), so neither
// ".." nor a symlink can lead outside it, and only with O_NONBLOCK|O_CLOEXEC so a FIFO or
// device in the root cannot block a thread.

#include <netlab/webd/request_handler.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sys/stat.h>

namespace netlab::webd {

class root_directory final : public file_opener {
public:
    /// Opens `path` as the root (the object is immutable afterwards: threads share it); throws
    /// std::system_error when it is not a directory. With `follow_outside_symlinks`, symlinks may
    /// point anywhere (".." is still refused).
    /// Files up to `cache_file_limit` bytes are kept in memory, `cache_total` bytes at most
    /// (0 disables). A copy is used while stat() shows the very file that was opened, checked
    /// at most once per `cache_revalidate` (so a change is seen within that time), and only
    /// files unchanged for `cache_min_age` are copied (timestamps are coarser than writes).
    explicit root_directory(std::string const& path, bool follow_outside_symlinks = false,
                            std::size_t cache_total = 16 * 1024 * 1024,
                            std::size_t cache_file_limit = 32 * 1024,
                            std::chrono::seconds cache_min_age = std::chrono::seconds{2},
                            std::chrono::milliseconds cache_revalidate = std::chrono::milliseconds{
                                1000});

    boost::system::result<opened_file, std::error_code> open(std::string_view path) override;

    bool uses_openat2() const noexcept { return have_openat2_; }
    /// Resolves as on a kernel without openat2 (pre-5.6, or a seccomp filter that refuses
    /// it), so tests can hold the fallback to the same rules.
    void disable_openat2() noexcept { have_openat2_ = false; }

private:
    struct cached_file;
    /// Opens `name` under the root by the rules above (openat2, or the no-symlink fallback).
    boost::system::result<sys::unique_fd, std::error_code>
    open_beneath(std::string const& name) const;
    /// A shared copy of a small regular file, remembered for later opens; null when it is too
    /// fresh to trust or changed while read.
    std::shared_ptr<std::string const> copy_to_cache(int fd, struct stat const& st,
                                                     std::string const& name);
    std::shared_ptr<cached_file const> lookup(std::string_view name);
    void remember(std::string const& name, struct stat const& st,
                  std::shared_ptr<std::string const> content);

    sys::unique_fd root_;
    bool follow_outside_;
    bool have_openat2_ = true;
    std::size_t cache_total_;
    std::size_t cache_file_limit_;
    std::chrono::seconds cache_min_age_;
    std::int64_t cache_revalidate_ns_;
    // The small-file cache is shared by every thread: a mutex held for a hash lookup only.
    std::mutex mutex_;
    struct name_hash {
        using is_transparent = void; // find() by string_view: no allocation on a hit
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_map<std::string, std::shared_ptr<cached_file const>, name_hash, std::equal_to<>>
        cache_;
    std::size_t cache_bytes_ = 0;
};

} // namespace netlab::webd
