#include "camera/camera_stop.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "camera/stop_signal.h"

namespace scorecam::camera {

CameraStop::CameraStop() {
  if (pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

CameraStop::~CameraStop() {
  for (const int end : wake_)
    if (end >= 0) close(end);
}

void CameraStop::request() {
  requested_ = true;
  const char byte = 1;
  if (wake_[1] >= 0) {
    [[maybe_unused]] const ssize_t written = write(wake_[1], &byte, 1);
  }
}

bool CameraStop::requested() const { return requested_ || stop_requested(); }

bool CameraStop::wait(double seconds) const {
  // Neither byte is ever read: once written, each keeps its descriptor readable.
  pollfd wake[2] = {{stop_descriptor(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
  poll(wake, 2, static_cast<int>(seconds * 1000));
  return requested();
}

}  // namespace scorecam::camera
