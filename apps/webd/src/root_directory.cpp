#include "root_directory.hpp"

#include <cerrno>
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

} // namespace

root_directory::root_directory(std::string const& path, bool follow_outside_symlinks)
    : root_{::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)}
    , follow_outside_{follow_outside_symlinks} {
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

boost::system::result<opened_file, std::error_code> root_directory::open(std::string_view path) {
    std::string const name = path.empty() ? std::string{"."} : std::string{path};
    unique_fd fd;
    if (follow_outside_) {
        fd.reset(::openat(root_.get(), name.c_str(), open_flags));
    } else {
        if (have_openat2_) {
            open_how how{};
            how.flags = static_cast<std::uint64_t>(open_flags);
            how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
            auto const rc = ::syscall(SYS_openat2, root_.get(), name.c_str(), &how, sizeof how);
            fd.reset(static_cast<int>(rc));
        } else {
            // No openat2: refuse every symlink on the way (normalize_target already removed
            // "..", so only symlinks could escape).
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
    }
    if (!fd)
        return last_error();
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return last_error();
    opened_file out;
    out.info.regular = S_ISREG(st.st_mode);
    out.info.directory = S_ISDIR(st.st_mode);
    out.info.size = static_cast<std::uint64_t>(st.st_size);
    out.info.mtime = std::chrono::sys_seconds{std::chrono::seconds{st.st_mtim.tv_sec}};
    out.fd = std::move(fd);
    return out;
}

} // namespace netlab::webd
