#include "camera/camera_runner.h"

#include <algorithm>
#include <exception>

#include "camera/camera_log.h"
#include "camera/connection.h"

namespace scorecam::camera {
namespace {

CameraEnd reconnect_until_the_end(const RunnerOptions& options, const CameraSpec& camera, const std::string& served,
                                  const CameraStop& stop, CameraStats& stats) {
  const std::string who = camera.who();
  SegmentNames names(camera.directory, options.prefix);
  double delay = options.retry_min;
  long segments = 0, frames = 0, reconnects = 0, attempts_without_frames = 0;
  for (int number = 1;; ++number) {
    Connection connection(options, camera, names, number, served, stop, stats);
    stats.connecting(number);
    if (!connection.build()) {
      stats.ended("its pipeline could not be built (see the log)");
      return CameraEnd::kEnded;
    }
    log(who, "connection %d: connecting to %s", number, camera.url.c_str());
    const Outcome outcome = connection.run();
    segments += connection.segments();
    frames += connection.frames();
    if (outcome == Outcome::kFailed) {
      log(who, "connection %d failed: %s", number, connection.reason().c_str());
      stats.ended(connection.reason());
      return CameraEnd::kEnded;
    }
    if (outcome == Outcome::kStopped) break;
    if (connection.frames() > 0) {
      delay = options.retry_min;  // the camera was back: start the backoff again
      attempts_without_frames = 0;
    }
    if (options.max_reconnects > 0 && ++attempts_without_frames > options.max_reconnects) {
      log(who, "connection %d lost: %s; giving up after %ld reconnections without a frame", number,
          connection.reason().c_str(), options.max_reconnects);
      stats.ended(connection.reason() + "; gave up after " + std::to_string(options.max_reconnects) +
                  " reconnections without a frame");
      return CameraEnd::kEnded;
    }
    log(who, "connection %d lost: %s; reconnecting in %.1f s (reconnection %ld)", number, connection.reason().c_str(),
        delay, ++reconnects);
    stats.lost(connection.reason());
    if (stop.wait(delay)) break;
    delay = std::min(2 * delay, options.retry_max);
  }
  log(who, "stopped: %ld segments, %ld frames, %ld reconnections", segments, frames, reconnects);
  stats.stopped();
  return CameraEnd::kStopped;
}

}  // namespace

CameraEnd run_camera(const RunnerOptions& options, const CameraSpec& camera, const std::string& served,
                     const CameraStop& stop, CameraStats& stats) {
  // On its own thread nothing may escape: a folder that cannot be read ends this camera only.
  try {
    return reconnect_until_the_end(options, camera, served, stop, stats);
  } catch (const std::exception& e) {  // std::filesystem's errors name the path
    log(camera.who(), "failed: %s", e.what());
    stats.ended(e.what());
  }
  return CameraEnd::kEnded;
}

}  // namespace scorecam::camera
