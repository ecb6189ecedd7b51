#include "camera/camera_serving.h"

#include "camera/camera_log.h"

namespace scorecam::camera {

std::unique_ptr<app::RtspReserver> start_serving(const RunnerOptions& options, bool& failed) {
  failed = false;
  const auto& serve = options.serve;
  if (!serve) return nullptr;
  auto server = std::make_unique<app::RtspReserver>(
      serve->address, serve->port, "x264enc speed-preset=veryfast tune=zerolatency key-int-max=30", serve->access);
  if (!server->ok()) {
    log("", "cannot serve RTSP: %s", server->error().c_str());
    failed = true;
    return nullptr;
  }
  return server;
}

std::string serve_camera(app::RtspReserver* server, const RunnerOptions& options, const CameraSpec& camera) {
  if (!server) return "";
  const std::string branch = server->serve(camera.stream_name());
  log(camera.who(), "serving the explained video on %s (%s)", server->url(camera.stream_name()).c_str(),
      app::describe(options.serve->access).c_str());
  return branch;
}

void stop_serving_camera(app::RtspReserver* server, const CameraSpec& camera) {
  if (server) server->stop_serving(camera.stream_name());
}

}  // namespace scorecam::camera
