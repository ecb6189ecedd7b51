#pragma once
// The one exception type the core throws: its message says what went wrong and what to do about it.
#include <stdexcept>
#include <string>

namespace scorecam {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace scorecam
