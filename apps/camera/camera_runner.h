#pragma once
// One camera's life in the runner: connection after connection, with a delay that doubles from
// --retry-min up to --retry-max between them and starts again from --retry-min once frames flow,
// until a stop is asked for, an error that is not the camera's, or --max-reconnects attempts in a
// row without a frame. Each camera runs this on a thread of its own, so one camera's outage or
// failure never holds up another. Its state and counters go into its CameraStats as they change.
#include <string>

#include "camera/camera_options.h"
#include "camera/camera_stats.h"
#include "camera/camera_stop.h"

namespace scorecam::camera {

enum class CameraEnd {
  kStopped,  // a stop was asked for: its segment in progress is finished
  kEnded,    // it failed, or gave up reconnecting: logged with the reason
};

// `served`: the branch that feeds an RtspReserver, or empty. Logs its losses, reconnections and,
// when stopped, its totals.
CameraEnd run_camera(const RunnerOptions& options, const CameraSpec& camera, const std::string& served,
                     const CameraStop& stop, CameraStats& stats);

}  // namespace scorecam::camera
