#include <netlab/webd/access_log.hpp>

#include <array>
#include <cerrno>
#include <charconv>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace netlab::webd {
namespace {

constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void append_number(std::string& out, std::uint64_t v, int width = 0) {
    std::array<char, 24> buf{};
    auto const [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    for (auto n = end - buf.data(); n < width; ++n)
        out += '0';
    out.append(buf.data(), end);
}

void append_escaped(std::string& out, std::string_view s) {
    static constexpr std::string_view hex = "0123456789ABCDEF";
    if (s.empty()) {
        out += '-';
        return;
    }
    for (char const ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += hex[c >> 4U];
            out += hex[c & 0xfU];
        } else {
            out += ch;
        }
    }
}

int open_log(std::string const& path) {
    return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

} // namespace

std::string format_combined(access_entry const& e) {
    namespace c = std::chrono;
    std::string out;
    out.reserve(160 + e.target.size() + e.user_agent.size() + e.referer.size());
    append_escaped(out, e.remote);
    out += " - - [";
    auto const days = c::floor<c::days>(e.time);
    c::year_month_day const ymd{days};
    c::hh_mm_ss const hms{e.time - days};
    append_number(out, static_cast<unsigned>(ymd.day()), 2);
    out += '/';
    out += months[static_cast<unsigned>(ymd.month()) - 1];
    out += '/';
    append_number(out, static_cast<std::uint64_t>(static_cast<int>(ymd.year())), 4);
    out += ':';
    append_number(out, static_cast<std::uint64_t>(hms.hours().count()), 2);
    out += ':';
    append_number(out, static_cast<std::uint64_t>(hms.minutes().count()), 2);
    out += ':';
    append_number(out, static_cast<std::uint64_t>(hms.seconds().count()), 2);
    out += " +0000] \"";
    if (e.method.empty()) {
        out += '-';
    } else {
        append_escaped(out, e.method);
        out += ' ';
        append_escaped(out, e.target);
        out += " HTTP/";
        append_number(out, e.version / 10);
        out += '.';
        append_number(out, e.version % 10);
    }
    out += "\" ";
    append_number(out, e.status);
    out += ' ';
    append_number(out, e.bytes);
    out += " \"";
    append_escaped(out, e.referer);
    out += "\" \"";
    append_escaped(out, e.user_agent);
    out += "\"\n";
    return out;
}

access_log::access_log(std::string spec)
    : path_{std::move(spec)} {
    if (path_ == "off")
        return;
    if (path_ == "-") {
        fd_ = STDOUT_FILENO;
        return;
    }
    owned_.reset(open_log(path_));
    if (!owned_)
        throw std::system_error{errno, std::generic_category(), "access log " + path_};
    fd_ = owned_.get();
}

void access_log::write(std::string_view line) const noexcept {
    if (fd_ < 0)
        return;
    // One write per line; a short write to a full disk loses the tail of that line only.
    while (!line.empty()) {
        auto const n = ::write(fd_, line.data(), line.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        line.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool access_log::reopen() noexcept {
    if (!owned_)
        return true; // stdout or off: nothing to reopen
    sys::unique_fd fresh{open_log(path_)};
    if (!fresh)
        return false;
    return ::dup3(fresh.get(), owned_.get(), O_CLOEXEC) >= 0;
}

} // namespace netlab::webd
