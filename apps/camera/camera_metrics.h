#pragma once
// GET /metrics: the cameras' and their models' series in Prometheus' text format
// (docs/scale.md, "Metrics"). Per camera (label camera): frames in, frames explained, dropped work,
// reconnections, finished segments, seconds since the last frame, its state, the latency of its
// maps as a summary. Per model (labels model, device, precision; and camera for a model a camera
// does not share): users, passes, the requests they served and those merged into another's pass.
#include <string>
#include <vector>

#include "camera/camera_stats.h"

namespace scorecam::camera {

std::string metrics_text(const std::vector<CameraSnapshot>& cameras);

}  // namespace scorecam::camera
