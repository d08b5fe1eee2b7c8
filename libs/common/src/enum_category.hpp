#pragma once

// The std::error_category behind an error enum of libs/common: a name and a function that
// words each value, instead of one hand-written category class per format.

#include <string>
#include <system_error>

namespace netlab::detail {

template <class Errc>
class enum_category final : public std::error_category {
public:
    /// Words one value; returns a fallback for values the enum does not name.
    using describe_fn = char const* (*)(Errc) noexcept;

    constexpr enum_category(char const* name, describe_fn describe) noexcept
        : name_{name}
        , describe_{describe} {}

    char const* name() const noexcept override { return name_; }
    std::string message(int ev) const override { return describe_(static_cast<Errc>(ev)); }

private:
    char const* name_;
    describe_fn describe_;
};

} // namespace netlab::detail
