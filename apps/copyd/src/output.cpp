#include <netlab/common/copy_log.hpp>
#include <netlab/copyd/output.hpp>

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace netlab::copyd {

void write_fd(int fd, std::string_view text) noexcept {
    while (!text.empty()) {
        ssize_t const n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string refusal_message(std::string_view source, std::string_view destination,
                            std::string_view reason) {
    return "copyd: cannot copy '" + copy_log::escape(source) + "' to '" +
           copy_log::escape(destination) + "': " + std::string{reason} + "\n";
}

boost::system::result<log_file, std::error_code> log_file::open(std::string const& path,
                                                                clock::time_point start) {
    sys::unique_fd fd{
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644)};
    if (!fd)
        return std::error_code{errno, std::system_category()};
    return log_file{std::move(fd), start};
}

void log_file::write(std::string_view text) const {
    write_fd(fd_.get(), copy_log::format_line(clock::now() - start_, text));
}

void log_file::started(std::string_view source, std::string_view destination) const {
    write(copy_log::started_text(source, destination));
}

void log_file::completed(std::string_view destination) const {
    write(copy_log::completed_text(destination));
}

void log_file::failed(std::string_view source, std::string_view destination,
                      std::string_view reason) const {
    write(copy_log::failed_text(source, destination, reason));
}

} // namespace netlab::copyd
