#pragma once

// One file copy as short blocking steps: no Asio here, so it is tested directly and the
// caller decides where each step runs (a job's strand). The destination is written to an
// unnamed O_TMPFILE (or, where unsupported, a hidden temporary name beside it) and linked into
// place by commit(): readers never see a half-written file and a failed or killed copy leaves
// nothing behind. Existing devices and FIFOs (/dev/null) are written in place instead.

#include <netlab/sys/unique_fd.hpp>

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <sys/types.h>

namespace netlab::copyd {

/// Why a copy was refused or failed, as shown to the user.
struct copy_error {
    std::string reason;
};
[[noreturn]] void throw_exception_from_error(copy_error const& e, boost::source_location const&);

template <class T>
using copy_result = boost::system::result<T, copy_error>;

/// Identifies a path independent of how it was spelled: the directory's device and inode
/// plus the last name. Two running jobs must not share a destination, and a job must not read
/// another job's unfinished destination.
struct path_key {
    dev_t dir_dev = 0;
    ino_t dir_ino = 0;
    std::string name;

    friend bool operator==(path_key const&, path_key const&) = default;
};

/// Key of `path` (following a final symbolic link), or nothing when its directory is missing.
boost::system::result<path_key, std::error_code> key_of(std::string const& path);

/// Read/write buffers for copies that cannot use copy_file_range. A buffer is held only during
/// one step, so at most one per running thread exists however many copies run.
class buffer_pool {
public:
    explicit buffer_pool(std::size_t size)
        : size_{size} {}

    class lease {
    public:
        lease(buffer_pool& pool, std::unique_ptr<std::byte[]> buf)
            : pool_{&pool}
            , buf_{std::move(buf)} {}
        lease(lease&&) = default;
        lease& operator=(lease&&) = delete;
        ~lease();
        std::span<std::byte> span() const noexcept { return {buf_.get(), pool_->size_}; }

    private:
        buffer_pool* pool_;
        std::unique_ptr<std::byte[]> buf_;
    };

    lease acquire();

private:
    std::size_t size_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<std::byte[]>> free_;
};

/// The source and destination of one copy after the checks, before any data moved.
struct copy_plan {
    std::string source;      ///< as given
    std::string destination; ///< resolved: `dir/<basename>` for a directory, link target
    path_key source_key;
    path_key destination_key;
    bool in_place = false; ///< destination is an existing device or FIFO
};

class file_copy {
public:
    /// Opens the source and checks both ends: refuses missing, unreadable, directory and
    /// non-regular sources, and a destination that is the source (same device and inode).
    /// Nothing is created yet.
    static copy_result<std::unique_ptr<file_copy>> open(std::string const& source,
                                                        std::string const& destination);

    /// Creates the unnamed (or hidden) temporary file, or opens a device/FIFO destination.
    /// `unique` makes hidden names unique within this process; `allow_tmpfile` false forces
    /// the hidden-name fallback (for tests).
    copy_result<void> create_destination(std::uint64_t unique, bool allow_tmpfile = true);

    /// The hidden temporary name in the destination's directory, if one is in use.
    std::string const& temporary_name() const noexcept { return tmp_name_; }

    /// Copies at most `chunk` bytes; returns true once every byte is copied.
    copy_result<bool> step(std::size_t chunk, buffer_pool& buffers);

    /// Sets size and mode and links the file into place (atomically replacing a file there).
    copy_result<void> commit();

    /// Drops the temporary file. Also done by the destructor unless committed.
    void abort() noexcept;

    copy_plan const& plan() const noexcept { return plan_; }
    std::uint64_t bytes_done() const noexcept { return offset_; }
    std::uint64_t bytes_total() const noexcept { return total_; }

    file_copy(file_copy const&) = delete;
    file_copy& operator=(file_copy const&) = delete;
    ~file_copy() { abort(); }

private:
    file_copy() = default;
    copy_result<std::size_t> copy_range(std::size_t len, buffer_pool& buffers);
    copy_result<void> preallocate();

    static constexpr std::uint64_t preallocate_min = std::uint64_t{1024} * 1024;
    copy_result<void> link_into_place();

    copy_plan plan_;
    sys::unique_fd src_;
    sys::unique_fd dst_;
    sys::unique_fd dir_;   ///< the destination's directory
    std::string name_;     ///< the destination's last name inside dir_
    std::string tmp_name_; ///< hidden temporary name, when O_TMPFILE is not supported
    std::uint64_t unique_ = 0;
    mode_t mode_ = 0644;
    std::uint64_t total_ = 0;  ///< source size when opened; the copy's size once finished
    std::uint64_t offset_ = 0; ///< next byte to copy
    std::uint64_t segment_end_ = 0;
    bool holes_ = false;  ///< the source has holes: keep them, set the size at the end
    bool sparse_ = false; ///< walk data segments with SEEK_DATA/SEEK_HOLE
    bool use_cfr_ = true; ///< copy_file_range still works for this pair
    bool preallocated_ = false;
    bool finished_ = false;
    bool committed_ = false;
};

} // namespace netlab::copyd
