#include <netlab/copyd/file_copy.hpp>

#include <boost/throw_exception.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netlab::copyd {
namespace {

std::string errno_text(int err) {
    return std::system_category().message(err);
}

copy_error fail(int err) {
    return copy_error{errno_text(err)};
}

copy_error fail(std::string_view what, int err) {
    std::string reason{what};
    reason += ": ";
    reason += errno_text(err);
    return copy_error{std::move(reason)};
}

/// Last name of `path`, ignoring trailing slashes ("a/b/" -> "b").
std::string base_name(std::string_view path) {
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto const slash = path.rfind('/');
    return std::string{slash == std::string_view::npos ? path : path.substr(slash + 1)};
}

/// Directory part of `path` ("a/b" -> "a", "b" -> ".", "/b" -> "/").
std::string dir_name(std::string_view path) {
    auto const slash = path.rfind('/');
    if (slash == std::string_view::npos)
        return ".";
    if (slash == 0)
        return "/";
    return std::string{path.substr(0, slash)};
}

std::string join(std::string_view dir, std::string_view name) {
    std::string out{dir};
    if (out.empty() || out.back() != '/')
        out += '/';
    out += name;
    return out;
}

/// Follows a final symbolic link so writes go to the file it names, as cp does.
std::string resolve_link(std::string const& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
        return path;
    std::unique_ptr<char, decltype(&std::free)> real{::realpath(path.c_str(), nullptr), &std::free};
    return real ? std::string{real.get()} : path;
}

/// `.<name>.copyd-<pid>-<job>-<attempt>`: hidden, and unique among running copyds.
std::string hidden_name(std::string_view name, std::uint64_t unique, int attempt) {
    std::string out{"."};
    if (name.size() + 64 < NAME_MAX) {
        out.append(name);
        out += '.';
    }
    out.append("copyd-");
    out.append(std::to_string(::getpid()));
    out += '-';
    out.append(std::to_string(unique));
    out += '-';
    out.append(std::to_string(attempt));
    return out;
}

/// A name from stdin may hold a NUL byte, which no file name can: the system calls would
/// see the name cut short there and copy the wrong file.
bool has_nul(std::string_view name) {
    return name.find('\0') != std::string_view::npos;
}

/// Whether the destination `path` exists (`st` filled in). A dangling symbolic link is refused,
/// as cp does: writing through it would create a file where the link points, and renaming over
/// it would lose the link.
copy_result<bool> stat_destination(std::string const& path, struct stat& st) {
    if (::stat(path.c_str(), &st) == 0)
        return true;
    if (errno != ENOENT)
        return fail(errno);
    struct stat link_st {};
    if (::lstat(path.c_str(), &link_st) == 0 && S_ISLNK(link_st.st_mode))
        return copy_error{"not writing through dangling symbolic link"};
    return false;
}

bool cfr_unsupported(int err) {
    // Cross-filesystem on older kernels, special files, filesystems without support.
    return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EBADF ||
           err == EPERM || err == ETXTBSY;
}

} // namespace

void throw_exception_from_error(copy_error const& e, boost::source_location const&) {
    boost::throw_exception(std::runtime_error{e.reason});
}

boost::system::result<path_key, std::error_code> key_of(std::string const& path) {
    if (has_nul(path))
        return std::make_error_code(std::errc::invalid_argument);
    std::string const real = resolve_link(path);
    struct stat st {};
    if (::stat(dir_name(real).c_str(), &st) != 0)
        return std::error_code{errno, std::system_category()};
    return path_key{st.st_dev, st.st_ino, base_name(real)};
}

buffer_pool::lease::~lease() {
    if (buf_) {
        std::scoped_lock lock{pool_->mutex_};
        pool_->free_.push_back(std::move(buf_));
    }
}

buffer_pool::lease buffer_pool::acquire() {
    {
        std::scoped_lock lock{mutex_};
        if (!free_.empty()) {
            auto buf = std::move(free_.back());
            free_.pop_back();
            return lease{*this, std::move(buf)};
        }
    }
    return lease{*this, std::make_unique_for_overwrite<std::byte[]>(size_)};
}

copy_result<std::unique_ptr<file_copy>> file_copy::open(std::string const& source,
                                                        std::string const& destination) {
    std::unique_ptr<file_copy> fc{new file_copy};
    fc->plan_.source = source;

    if (source.empty() || destination.empty())
        return copy_error{"empty file name"};
    if (has_nul(source) || has_nul(destination))
        return copy_error{"file name contains a NUL byte"};

    // stat first: opening a FIFO or a tape device for reading can block or have effects.
    struct stat src_st {};
    if (::stat(source.c_str(), &src_st) != 0)
        return fail(errno);
    if (S_ISDIR(src_st.st_mode))
        return copy_error{"source is a directory"};
    if (!S_ISREG(src_st.st_mode))
        return copy_error{"source is not a regular file"};
    // O_NONBLOCK: should it have been swapped for a FIFO since stat, open must not hang.
    fc->src_.reset(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fc->src_)
        return fail(errno);
    if (::fstat(fc->src_.get(), &src_st) != 0)
        return fail(errno);
    if (!S_ISREG(src_st.st_mode))
        return copy_error{"source is not a regular file"};
    int const flags = ::fcntl(fc->src_.get(), F_GETFL);
    if (flags >= 0)
        ::fcntl(fc->src_.get(), F_SETFL, flags & ~O_NONBLOCK);
    fc->mode_ = src_st.st_mode & 0777;
    fc->total_ = static_cast<std::uint64_t>(src_st.st_size);
    // Fewer allocated blocks than the size says: the file has holes worth keeping.
    fc->holes_ =
        src_st.st_size > 0 && static_cast<std::uint64_t>(src_st.st_blocks) * 512U < fc->total_;

    std::string target = destination;
    struct stat dst_st {};
    auto found = stat_destination(target, dst_st);
    if (!found)
        return found.error();
    bool exists = *found;
    if (exists && S_ISDIR(dst_st.st_mode)) {
        target = join(target, base_name(source));
        found = stat_destination(target, dst_st);
        if (!found)
            return found.error();
        exists = *found;
    } else if (!exists && target.back() == '/') {
        return fail(ENOTDIR);
    }
    fc->plan_.destination = target;
    if (exists) {
        if (dst_st.st_dev == src_st.st_dev && dst_st.st_ino == src_st.st_ino)
            return copy_error{"source and destination are the same file"};
        if (S_ISDIR(dst_st.st_mode))
            return copy_error{"destination is a directory"};
        fc->plan_.in_place =
            S_ISCHR(dst_st.st_mode) || S_ISBLK(dst_st.st_mode) || S_ISFIFO(dst_st.st_mode);
        if (!fc->plan_.in_place && !S_ISREG(dst_st.st_mode))
            return copy_error{"destination is not a regular file"};
    }
    fc->holes_ = fc->holes_ && !fc->plan_.in_place;
    fc->sparse_ = fc->holes_;

    std::string const real = resolve_link(target);
    std::string const dir = dir_name(real);
    fc->name_ = base_name(real);
    fc->dir_.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fc->dir_)
        return fail("destination directory", errno);
    struct stat dir_st {};
    if (::fstat(fc->dir_.get(), &dir_st) != 0)
        return fail("destination directory", errno);
    fc->plan_.destination_key = path_key{dir_st.st_dev, dir_st.st_ino, fc->name_};
    auto src_key = key_of(source);
    if (!src_key)
        return fail(src_key.error().value());
    fc->plan_.source_key = std::move(*src_key);
    return fc;
}

copy_result<void> file_copy::create_destination(std::uint64_t unique, bool allow_tmpfile) {
    unique_ = unique;
    if (plan_.in_place) {
        // O_NONBLOCK: a FIFO nobody reads fails with ENXIO instead of hanging.
        dst_.reset(
            ::openat(dir_.get(), name_.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
        if (!dst_)
            return errno == ENXIO ? copy_error{"no process is reading the destination FIFO"}
                                  : fail(errno);
        int const flags = ::fcntl(dst_.get(), F_GETFL);
        if (flags >= 0)
            ::fcntl(dst_.get(), F_SETFL, flags & ~O_NONBLOCK);
        return {};
    }
    // Linking an O_TMPFILE in needs /proc/self/fd, or AT_EMPTY_PATH, which needs
    // CAP_DAC_READ_SEARCH: without either, use a hidden name from the start.
    if (allow_tmpfile && (::access("/proc/self/fd", X_OK) == 0 || ::geteuid() == 0)) {
        dst_.reset(::openat(dir_.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
        if (dst_)
            return preallocate();
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
            return fail("cannot create a file in the destination directory", errno);
    }

    // No O_TMPFILE here (some network and FUSE filesystems): a hidden name beside the
    // destination, removed on failure.
    for (int attempt = 0; attempt < 100; ++attempt) {
        tmp_name_ = hidden_name(name_, unique, attempt);
        dst_.reset(
            ::openat(dir_.get(), tmp_name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (dst_)
            return preallocate();
        if (errno != EEXIST)
            break;
    }
    int const err = errno;
    tmp_name_.clear();
    return fail("cannot create a file in the destination directory", err);
}

copy_result<void> file_copy::preallocate() {
    // Reserving the blocks up front is a few percent faster on ext4 and fails a copy that
    // cannot fit before it writes anything. Not for sparse files: it would fill the holes.
    if (holes_ || total_ < preallocate_min)
        return {};
    if (::fallocate(dst_.get(), 0, 0, static_cast<off_t>(total_)) == 0) {
        preallocated_ = true;
        return {};
    }
    if (errno == ENOSPC || errno == EDQUOT)
        return fail(errno);
    return {}; // not supported here: copy without
}

copy_result<std::size_t> file_copy::copy_range(std::size_t len, buffer_pool& buffers) {
    if (use_cfr_ && !plan_.in_place) {
        for (;;) {
            auto in = static_cast<loff_t>(offset_);
            auto out = static_cast<loff_t>(offset_);
            ssize_t const r = ::copy_file_range(src_.get(), &in, dst_.get(), &out, len, 0);
            if (r > 0)
                return static_cast<std::size_t>(r);
            // 0 is the end only where the size says so: procfs/sysfs and some filesystems
            // report 0 early, and read() tells the truth (one extra call, at the end only).
            if (r == 0 && offset_ != 0 && offset_ >= total_)
                return std::size_t{0};
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0 && !cfr_unsupported(errno))
                return fail(errno);
            // 0 too early (see above) or an unsupported pair: the read/write path decides.
            use_cfr_ = false;
            break;
        }
    }
    auto const lease = buffers.acquire();
    auto const buf = lease.span();
    std::size_t const want = std::min(len, buf.size());
    ssize_t got = 0;
    do {
        got = ::pread(src_.get(), buf.data(), want, static_cast<off_t>(offset_));
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return fail("read error", errno);
    auto const n = static_cast<std::size_t>(got);
    std::size_t written = 0;
    while (written < n) {
        ssize_t const w = plan_.in_place ? ::write(dst_.get(), buf.data() + written, n - written)
                                         : ::pwrite(dst_.get(), buf.data() + written, n - written,
                                                    static_cast<off_t>(offset_ + written));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return fail(errno);
        }
        written += static_cast<std::size_t>(w);
    }
    return n;
}

copy_result<bool> file_copy::step(std::size_t chunk, buffer_pool& buffers) {
    if (finished_)
        return true;
    std::size_t len = chunk;
    if (sparse_) {
        if (offset_ >= segment_end_) {
            off_t const data = ::lseek(src_.get(), static_cast<off_t>(offset_), SEEK_DATA);
            if (data < 0 && errno == ENXIO) { // only a hole up to the end
                // The copy's size is the source's now (commit sets it): it may have shrunk.
                struct stat st {};
                if (::fstat(src_.get(), &st) == 0)
                    total_ = std::max(offset_, static_cast<std::uint64_t>(st.st_size));
                finished_ = true;
                return true;
            }
            if (data < 0) {
                sparse_ = false; // filesystem cannot tell: copy everything
            } else {
                off_t const hole = ::lseek(src_.get(), data, SEEK_HOLE);
                offset_ = static_cast<std::uint64_t>(data);
                segment_end_ = hole > data ? static_cast<std::uint64_t>(hole) : UINT64_MAX;
            }
        }
        if (sparse_)
            len = static_cast<std::size_t>(std::min<std::uint64_t>(len, segment_end_ - offset_));
    }
    auto const n = copy_range(len, buffers);
    if (!n)
        return n.error();
    if (*n == 0) {
        // The real end: pseudo-files (sysfs says 4096) and shrunk sources are shorter than
        // their size said, and commit must not pad them with zeros up to it.
        total_ = offset_;
        finished_ = true;
        return true;
    }
    offset_ += *n;
    total_ = std::max(total_, offset_);
    return false;
}

copy_result<void> file_copy::link_into_place() {
    if (!tmp_name_.empty()) {
        if (::renameat(dir_.get(), tmp_name_.c_str(), dir_.get(), name_.c_str()) != 0)
            return fail(errno);
        tmp_name_.clear();
        return {};
    }
    std::string const self = "/proc/self/fd/" + std::to_string(dst_.get());
    auto const link_as = [&](std::string const& name) {
        if (::linkat(AT_FDCWD, self.c_str(), dir_.get(), name.c_str(), AT_SYMLINK_FOLLOW) == 0)
            return 0;
        // Without /proc, AT_EMPTY_PATH does the same where privileges allow it.
        if (errno == ENOENT &&
            ::linkat(dst_.get(), "", dir_.get(), name.c_str(), AT_EMPTY_PATH) == 0)
            return 0;
        return errno;
    };
    int err = link_as(name_);
    if (err == 0)
        return {};
    if (err != EEXIST)
        return fail(err);
    // Replacing a file: link under a hidden name, then rename over it atomically.
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string tmp = hidden_name({}, unique_, attempt);
        err = link_as(tmp);
        if (err == EEXIST)
            continue;
        if (err != 0)
            return fail(err);
        tmp_name_ = std::move(tmp);
        if (::renameat(dir_.get(), tmp_name_.c_str(), dir_.get(), name_.c_str()) != 0)
            return fail(errno); // abort() unlinks tmp_name_
        tmp_name_.clear();
        return {};
    }
    return fail(EEXIST);
}

copy_result<void> file_copy::commit() {
    if (plan_.in_place) {
        committed_ = true;
        return {};
    }
    if (holes_ || preallocated_) {
        // A trailing hole has no data segment, and a source that shrank while being copied
        // leaves preallocated blocks past the end: the size comes from ftruncate.
        if (::ftruncate(dst_.get(), static_cast<off_t>(total_)) != 0)
            return fail(errno);
    }
    if (::fchmod(dst_.get(), mode_) != 0)
        return fail(errno);
    if (auto r = link_into_place(); !r)
        return r;
    committed_ = true;
    dst_.reset();
    return {};
}

void file_copy::abort() noexcept {
    if (committed_)
        return;
    if (!tmp_name_.empty() && dir_) {
        ::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
        tmp_name_.clear();
    }
    dst_.reset(); // an unnamed O_TMPFILE disappears with its last descriptor
}

} // namespace netlab::copyd
