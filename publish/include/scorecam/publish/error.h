#pragma once
// The exception the publish library throws: its message names what failed (a path, an address)
// and why, so that a user can act on it.
#include <stdexcept>
#include <string>

namespace scorecam::publish {

class PublishError : public std::runtime_error {
 public:
  explicit PublishError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace scorecam::publish
