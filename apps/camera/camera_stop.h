#pragma once
// A stop for one camera: asked for by Ctrl-C or SIGTERM (every camera's, camera/stop_signal.h), or
// for this camera alone when it is removed while the others go on. Either way it finishes its
// segment in progress first.
#include <atomic>

namespace scorecam::camera {

class CameraStop {
 public:
  CameraStop();
  ~CameraStop();
  CameraStop(const CameraStop&) = delete;
  CameraStop& operator=(const CameraStop&) = delete;

  // This camera alone; any thread.
  void request();
  // Whether this camera, or every camera, was asked to stop.
  bool requested() const;
  // Waits `seconds` or until a stop is asked for (a wait between connections); true if it was.
  bool wait(double seconds) const;

 private:
  std::atomic<bool> requested_{false};
  int wake_[2] = {-1, -1};  // request() writes a byte into it, which wakes wait()
};

}  // namespace scorecam::camera
