#include <netlab/sys/journal.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace netlab::sys::journal {

bool is_journal(int fd, char const* journal_stream) noexcept {
    if (journal_stream == nullptr)
        return false;
    std::string_view const s{journal_stream};
    auto const colon = s.find(':');
    if (colon == std::string_view::npos)
        return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    auto const d = std::from_chars(s.data(), s.data() + colon, dev);
    auto const i = std::from_chars(s.data() + colon + 1, s.data() + s.size(), ino);
    if (d.ec != std::errc{} || d.ptr != s.data() + colon || colon == 0 || i.ec != std::errc{} ||
        i.ptr != s.data() + s.size() || colon + 1 == s.size())
        return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

bool is_journal(int fd) noexcept {
    return is_journal(fd, std::getenv("JOURNAL_STREAM"));
}

void line_writer::write(priority p, std::string_view head, std::string_view line) const noexcept {
    // Short lines (all of the seed's) go out from the stack; longer ones from the heap.
    std::array<char, 512> small; // NOLINT(cppcoreguidelines-pro-type-member-init): filled below
    std::string large;
    std::size_t const size = head.size() + line.size() + 1 + (journal_ ? 3 : 0);
    char* out = small.data();
    if (size > small.size()) {
        try {
            large.resize(size);
        } catch (...) {
            return; // out of memory while logging: drop the line rather than end the daemon
        }
        out = large.data();
    }
    std::size_t n = 0;
    if (journal_) {
        out[n++] = '<';
        out[n++] = static_cast<char>('0' + static_cast<int>(p));
        out[n++] = '>';
    }
    // std::copy, not memcpy: an empty view may have a null data(), which memcpy must not get.
    n = static_cast<std::size_t>(std::copy(head.begin(), head.end(), out + n) - out);
    n = static_cast<std::size_t>(std::copy(line.begin(), line.end(), out + n) - out);
    out[n++] = '\n';
    for (std::size_t done = 0; done < n;) {
        auto const w = ::write(fd_, out + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        done += static_cast<std::size_t>(w);
    }
}

void line_writer::write_lines(priority p, std::string_view text) const noexcept {
    while (!text.empty()) {
        auto const end = std::min(text.find('\n'), text.size());
        write(p, text.substr(0, end));
        text.remove_prefix(std::min(end + 1, text.size()));
    }
}

logger::logger(std::string_view program)
    : logger{program, line_writer{STDERR_FILENO}} {}

logger::logger(std::string_view program, line_writer out)
    : prefix_{program}
    , out_{out} {
    prefix_ += ": ";
}

} // namespace netlab::sys::journal
