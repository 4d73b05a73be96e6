#pragma once
// fastimg's one error type. Every failure that reaches the user is an Error whose message already
// names what failed (file, field, sample, key); main() prints it as one line and exits non-zero.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace fastimg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace fastimg
