#include "camera/camera_supervisor.h"

#include "camera/camera_log.h"

namespace scorecam::camera {

CameraSupervisor::CameraSupervisor(const RunnerOptions& options, std::string served)
    : options_(options), served_(std::move(served)) {}

CameraSupervisor::~CameraSupervisor() { stop_all(); }

CameraSupervisor::Added CameraSupervisor::add(const CameraSpec& camera) {
  std::lock_guard<std::mutex> lock(lock_);
  if (stopping_) return Added::kStopping;
  if (cameras_.count(camera.name)) return Added::kNameTaken;
  Camera& added = *cameras_.emplace(camera.name, std::make_unique<Camera>(camera)).first->second;
  added.thread = std::thread([this, &added] { run(added); });
  return Added::kAdded;
}

void CameraSupervisor::run(Camera& camera) {
  const CameraEnd end = run_camera(options_, camera.spec, served_, camera.stop, camera.stats);
  std::lock_guard<std::mutex> lock(lock_);
  if (end == CameraEnd::kEnded && cameras_.size() > 1)
    log(camera.spec.who(), "ended; the other cameras go on while any is left");
  camera.finished = true;
  changed_.notify_all();
}

std::optional<CameraSnapshot> CameraSupervisor::remove(const std::string& name) {
  std::unique_lock<std::mutex> lock(lock_);
  const auto found = cameras_.find(name);
  if (found == cameras_.end() || found->second->removing) return std::nullopt;
  Camera& camera = *found->second;
  camera.removing = true;
  camera.stop.request();
  changed_.wait(lock, [&] { return camera.finished; });
  camera.thread.join();  // it has returned: at once
  CameraSnapshot last = camera.stats.snapshot();
  cameras_.erase(name);
  changed_.notify_all();
  log(last.name.empty() ? "" : "camera " + last.name + ": ", "removed");
  return last;
}

std::vector<CameraSnapshot> CameraSupervisor::snapshots() const {
  std::lock_guard<std::mutex> lock(lock_);
  std::vector<CameraSnapshot> all;
  for (const auto& [name, camera] : cameras_) all.push_back(camera->stats.snapshot());
  return all;
}

std::optional<CameraSnapshot> CameraSupervisor::snapshot(const std::string& name) const {
  std::lock_guard<std::mutex> lock(lock_);
  const auto found = cameras_.find(name);
  if (found == cameras_.end()) return std::nullopt;
  return found->second->stats.snapshot();
}

bool CameraSupervisor::any_running() const {
  std::lock_guard<std::mutex> lock(lock_);
  for (const auto& [name, camera] : cameras_)
    if (!camera->finished) return true;
  return false;
}

bool CameraSupervisor::stopping() const {
  std::lock_guard<std::mutex> lock(lock_);
  return stopping_;
}

void CameraSupervisor::stop_all() {
  std::unique_lock<std::mutex> lock(lock_);
  stopping_ = true;
  for (auto& [name, camera] : cameras_) camera->stop.request();
  // The cameras being removed are joined by their remove(); it erases them.
  changed_.wait(lock, [&] {
    for (const auto& [name, camera] : cameras_)
      if (!camera->finished || camera->removing) return false;
    return true;
  });
  for (auto& [name, camera] : cameras_) camera->thread.join();
  cameras_.clear();
}

}  // namespace scorecam::camera
