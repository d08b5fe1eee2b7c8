#include <netlab/webd/root_directory.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace netlab::webd {
namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

file_info info_of(struct stat const& st) noexcept {
    file_info info;
    info.regular = S_ISREG(st.st_mode);
    info.directory = S_ISDIR(st.st_mode);
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.mtime = std::chrono::sys_seconds{std::chrono::seconds{st.st_mtim.tv_sec}};
    return info;
}

} // namespace

struct root_directory::cached_file {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
    std::shared_ptr<std::string const> content;
    file_headers headers; ///< derived once, served with every hit
    /// steady_clock nanoseconds of the last stat() that confirmed the copy; entries are
    /// shared between threads, so this one mutable field is atomic.
    mutable std::atomic<std::int64_t> checked{0};

    bool same_as(struct stat const& st) const noexcept {
        return st.st_dev == dev && st.st_ino == ino && st.st_size == size &&
               st.st_mtim.tv_sec == mtime.tv_sec && st.st_mtim.tv_nsec == mtime.tv_nsec &&
               st.st_ctim.tv_sec == ctime.tv_sec && st.st_ctim.tv_nsec == ctime.tv_nsec;
    }
};

namespace {

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

root_directory::root_directory(std::string const& path, bool follow_outside_symlinks,
                               std::size_t cache_total, std::size_t cache_file_limit,
                               std::chrono::seconds cache_min_age,
                               std::chrono::milliseconds cache_revalidate)
    : root_{::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)}
    , follow_outside_{follow_outside_symlinks}
    , cache_total_{cache_total}
    , cache_file_limit_{cache_total == 0 ? 0 : cache_file_limit}
    , cache_min_age_{cache_min_age}
    , cache_revalidate_ns_{std::chrono::nanoseconds{cache_revalidate}.count()} {
    if (!root_)
        throw std::system_error{last_error(), "document root " + path};
    // Probed once here: one root serves every thread, so this flag never changes afterwards.
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    auto const rc = ::syscall(SYS_openat2, root_.get(), ".", &how, sizeof how);
    if (rc >= 0)
        ::close(static_cast<int>(rc));
    // ENOSYS on pre-5.6 kernels; EPERM where a seccomp filter does not know it.
    have_openat2_ = rc >= 0;
}

std::shared_ptr<root_directory::cached_file const> root_directory::lookup(std::string_view name) {
    std::shared_ptr<cached_file const> hit;
    {
        std::scoped_lock lock{mutex_};
        auto const it = cache_.find(name);
        if (it == cache_.end())
            return nullptr;
        hit = it->second;
    }
    auto const now = steady_ns();
    if (now - hit->checked.load(std::memory_order_relaxed) < cache_revalidate_ns_)
        return hit;
    // Revalidate: the copy stands while stat() shows the very file that openat2 opened.
    struct stat st {};
    std::string const path{name};
    if (::fstatat(root_.get(), path.c_str(), &st, 0) == 0 && hit->same_as(st)) {
        hit->checked.store(now, std::memory_order_relaxed);
        return hit;
    }
    std::scoped_lock lock{mutex_};
    if (auto const it = cache_.find(name); it != cache_.end() && it->second == hit) {
        cache_bytes_ -= hit->content->size();
        cache_.erase(it);
    }
    return nullptr;
}

void root_directory::remember(std::string const& name, struct stat const& st,
                              std::shared_ptr<std::string const> content) {
    auto entry = std::make_shared<cached_file>();
    entry->dev = st.st_dev;
    entry->ino = st.st_ino;
    entry->size = st.st_size;
    entry->mtime = st.st_mtim;
    entry->ctime = st.st_ctim;
    entry->content = std::move(content);
    entry->headers = file_headers::of(info_of(st), name);
    entry->checked.store(steady_ns(), std::memory_order_relaxed);
    std::scoped_lock lock{mutex_};
    if (auto const it = cache_.find(name); it != cache_.end()) {
        cache_bytes_ -= it->second->content->size();
        cache_.erase(it);
    }
    if (cache_bytes_ + entry->content->size() > cache_total_) {
        cache_.clear(); // crude but bounded; a working set that fits refills it at once
        cache_bytes_ = 0;
    }
    cache_bytes_ += entry->content->size();
    cache_.emplace(name, std::move(entry));
}

boost::system::result<opened_file, std::error_code> root_directory::open(std::string_view path) {
    if (cache_file_limit_ > 0 && !path.empty()) {
        if (auto const hit = lookup(path)) {
            opened_file out;
            out.info.regular = true;
            out.info.size = static_cast<std::uint64_t>(hit->size);
            out.info.mtime = std::chrono::sys_seconds{std::chrono::seconds{hit->mtime.tv_sec}};
            out.content = hit->content;
            out.headers = std::shared_ptr<file_headers const>{hit, &hit->headers};
            return out;
        }
    }
    std::string const name = path.empty() ? std::string{"."} : std::string{path};
    auto fd = open_beneath(name);
    if (!fd)
        return fd.error();
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0)
        return last_error();
    opened_file out;
    out.info = info_of(st);
    if (out.info.regular && out.info.size > 0 && out.info.size <= cache_file_limit_)
        out.content = copy_to_cache(fd->get(), st, name);
    out.fd = std::move(*fd);
    return out;
}

boost::system::result<sys::unique_fd, std::error_code>
root_directory::open_beneath(std::string const& name) const {
    sys::unique_fd fd;
    if (follow_outside_) {
        fd.reset(::openat(root_.get(), name.c_str(), open_flags));
    } else if (have_openat2_) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(open_flags);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        auto const rc = ::syscall(SYS_openat2, root_.get(), name.c_str(), &how, sizeof how);
        fd.reset(static_cast<int>(rc));
    } else {
        // No openat2: refuse every symlink on the way (normalize_target already removed "..",
        // so only symlinks could escape).
        fd.reset(::openat(root_.get(), name.c_str(), open_flags | O_NOFOLLOW));
        if (fd && name.find('/') != std::string::npos) {
            // O_NOFOLLOW covers the last component only; check the directories on the way.
            for (auto pos = name.find('/'); pos != std::string::npos;
                 pos = name.find('/', pos + 1)) {
                struct stat st {};
                std::string const dir = name.substr(0, pos);
                if (::fstatat(root_.get(), dir.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    S_ISLNK(st.st_mode))
                    return std::error_code{EXDEV, std::generic_category()};
            }
        }
    }
    if (!fd)
        return last_error();
    return fd;
}

std::shared_ptr<std::string const> root_directory::copy_to_cache(int fd, struct stat const& st,
                                                                 std::string const& name) {
    // Only files whose inode last changed over cache_min_age (2 s) ago are copied: timestamps are
    // coarse (a jiffy), so a rewrite of the same size within one tick would otherwise look
    // unchanged. Any later change sets ctime to the current time, which then differs from the
    // copy's.
    auto const now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    if (st.st_ctim.tv_sec + cache_min_age_.count() > now)
        return nullptr;
    auto content = std::make_shared<std::string>(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < content->size()) {
        auto const n =
            ::pread(fd, content->data() + got, content->size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    // A file that changed while we read it is served from its descriptor, not cached.
    struct stat after {};
    if (got != content->size() || ::fstat(fd, &after) != 0 || after.st_size != st.st_size ||
        after.st_mtim.tv_nsec != st.st_mtim.tv_nsec || after.st_mtim.tv_sec != st.st_mtim.tv_sec)
        return nullptr;
    std::shared_ptr<std::string const> shared = std::move(content);
    remember(name, st, shared);
    return shared;
}

} // namespace netlab::webd
