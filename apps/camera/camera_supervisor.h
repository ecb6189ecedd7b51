#pragma once
// The runner's cameras: a set that grows and shrinks while it runs. Each camera runs on a thread
// of its own (camera/camera_runner.h) and keeps its stats after it has ended, until it is removed.
// Removing one stops it alone: its segment in progress is finished before remove() returns. Any
// thread may call it (the API's among them).
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "camera/camera_options.h"
#include "camera/camera_runner.h"
#include "camera/camera_stats.h"
#include "camera/camera_stop.h"

namespace scorecam::camera {

class CameraSupervisor {
 public:
  // `served`: the branch that feeds an RtspReserver, or empty.
  CameraSupervisor(const RunnerOptions& options, std::string served);
  ~CameraSupervisor();  // stop_all()
  CameraSupervisor(const CameraSupervisor&) = delete;
  CameraSupervisor& operator=(const CameraSupervisor&) = delete;

  enum class Added {
    kAdded,
    kNameTaken,  // by a camera in the set, running, ended or being removed
    kStopping,   // stop_all() has begun
  };
  // Starts `camera` (its properties and folder checked already: camera/camera_admission.h).
  Added add(const CameraSpec& camera);

  // Stops the camera `name` and forgets it, once its segment in progress is finished: its last
  // snapshot. Nothing if there is no such camera, or another call is removing it.
  std::optional<CameraSnapshot> remove(const std::string& name);

  // Every camera's, in the order of their names.
  std::vector<CameraSnapshot> snapshots() const;
  std::optional<CameraSnapshot> snapshot(const std::string& name) const;
  // Whether some camera has not ended (nor stopped).
  bool any_running() const;
  bool stopping() const;

  // Asks every camera to stop and waits until each has finished its segment in progress; no
  // camera is added after.
  void stop_all();

 private:
  struct Camera {
    explicit Camera(const CameraSpec& spec) : spec(spec), stats(spec.name, spec.url) {}
    CameraSpec spec;
    CameraStats stats;
    CameraStop stop;
    std::thread thread;
    bool finished = false;  // its thread has returned
    bool removing = false;  // a remove() waits for it
  };

  void run(Camera& camera);  // a camera's thread

  const RunnerOptions& options_;
  const std::string served_;
  mutable std::mutex lock_;
  std::condition_variable changed_;  // a camera's thread has returned, or a removal ended
  std::map<std::string, std::unique_ptr<Camera>> cameras_;
  bool stopping_ = false;
};

}  // namespace scorecam::camera
