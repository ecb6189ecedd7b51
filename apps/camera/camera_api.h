#pragma once
// scorecam-camera's HTTP API (docs/scale.md, "The runner's HTTP API"): the cameras listed with
// their state and counters, added and removed while the runner runs, its health and its metrics.
//   GET    /api/v1/cameras        every camera
//   POST   /api/v1/cameras        add one: {"name": ..., "url": ..., "properties": {...}}
//   GET    /api/v1/cameras/NAME   one camera
//   DELETE /api/v1/cameras/NAME   remove one, once its segment in progress is finished
//   GET    /healthz               200 while the runner serves, with each camera's state
//   GET    /metrics               Prometheus' text format (camera/camera_metrics.h)
//   GET    /cameras/NAME/snapshot.jpg   its newest explained frame (camera/newest_frame.h)
//   GET    /                      the status page (camera/status_page.html), which needs no token
// A camera added is checked as the command line's are (camera/camera_options.h,
// camera/camera_admission.h): a request it cannot take gets a 4xx with a message, never a crash.
#include "camera/camera_options.h"
#include "camera/camera_supervisor.h"
#include "http_server.h"

namespace scorecam::camera {

// Adds the routes above to `server`. `options` give what every camera shares (OUTPUT_DIR, the
// command line's properties); both must outlive the server.
void add_camera_routes(app::HttpServer& server, CameraSupervisor& cameras, const Options& options);

}  // namespace scorecam::camera
