#pragma once
// --serve: one RTSP server for the runner, a mount per camera at rtsp://ADDR:PORT/NAME
// (rtsp://ADDR:PORT/scorecam for the URL form's camera), each fed by a branch of that camera's
// pipelines. A camera is served, and no longer served, by calls of its own, so that one added
// while the runner runs gets its mount too, and one removed loses it.
#include <memory>
#include <string>

#include "camera/camera_options.h"
#include "rtsp_reserver.h"

namespace scorecam::camera {

// The server --serve asks for, or null without --serve; null with `failed` set (and logged) when
// it cannot serve.
std::unique_ptr<app::RtspReserver> start_serving(const RunnerOptions& options, bool& failed);

// Mounts `camera` on `server` and logs its URL; the branch of its pipelines that feeds the mount
// (Connection's `served`). "" without a server.
std::string serve_camera(app::RtspReserver* server, const RunnerOptions& options, const CameraSpec& camera);

// Unmounts `camera` from `server` (none: nothing), once it is removed.
void stop_serving_camera(app::RtspReserver* server, const CameraSpec& camera);

}  // namespace scorecam::camera
