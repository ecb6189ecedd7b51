// scorecam-camera: keeps RTSP cameras explained and recorded across outages, one camera or many
// in one process.
//
// Each camera runs on a thread of its own (camera/camera_runner.h) in the set of cameras
// (camera/camera_supervisor.h), which the HTTP API (--api, camera/camera_api.h, with a status page
// for a browser) adds to and removes from while the runner runs, connection after connection
// (camera/connection.h): one pipeline rtspsrc ! decodebin ! scorecamoverlay (async) ! encoder !
// splitmuxsink per connection, its recording cut into segments (camera/segments.h). The cameras'
// elements load the same model file once (the process's ModelPool, share-model=true) and batch
// their passes together; everything else is the camera's own, so that one camera's error, end of
// stream or stall finishes that camera's segment and reconnects that camera alone. An error that
// is not a camera's (the model, a full disk) ends that camera, logged with its name; the runner
// exits with status 1 once every camera has ended, unless the API is on: then it goes on serving,
// for cameras to be added. Ctrl-C or SIGTERM finishes every camera's segment in progress and
// exits with status 0 (camera/stop_signal.h).
//
// The cameras' passwords never reach the log: every line goes through redact_credentials, and
// rtspsrc gets the user and password as properties, so that its messages hold no password either.
#include <cstdio>
#include <memory>
#include <string>

#include <gst/gst.h>

#include "camera/camera_admission.h"
#include "camera/camera_api.h"
#include "camera/camera_log.h"
#include "camera/camera_options.h"
#include "camera/camera_supervisor.h"
#include "camera/stop_signal.h"
#include "http_server.h"
#include "overlay_app.h"
#include "rtsp_reserver.h"

namespace {

using scorecam::camera::CameraSpec;
using scorecam::camera::CameraSupervisor;
using scorecam::camera::kProgram;
using scorecam::camera::log;
using scorecam::camera::Options;

constexpr const char* kUsage =
    "usage: scorecam-camera [OPTIONS] URL [OUTPUT_DIR] [PROPERTY=VALUE ...]\n"
    "       scorecam-camera [OPTIONS] --camera NAME=URL [--camera NAME=URL ...] [--cameras FILE] [OUTPUT_DIR]\n"
    "                       [PROPERTY=VALUE ...]\n"
    "       scorecam-camera [OPTIONS] --api [ADDR:]PORT [--camera NAME=URL ...] [OUTPUT_DIR] [PROPERTY=VALUE ...]\n"
    "  Explains the RTSP camera at URL with scorecamoverlay (async=true) and records it into OUTPUT_DIR\n"
    "  as segments PREFIX-NNNNNN.mp4, each with PREFIX-NNNNNN.jsonl (one JSON object per frame); without\n"
    "  OUTPUT_DIR it only shows it (--display). Reconnects when the camera goes away. PROPERTY=VALUE\n"
    "  pairs set scorecamoverlay properties.\n"
    "  Many cameras: each --camera NAME=URL (and each line of --cameras) runs in one process on one\n"
    "  shared model, recorded into OUTPUT_DIR/NAME/, each reconnecting on its own: one camera's outage\n"
    "  never stops the others. NAME: letters, digits, '_' and '-'.\n"
    "  --camera NAME=URL    one camera (repeat it for more)\n"
    "  --cameras FILE       cameras, one a line: NAME URL [PROPERTY=VALUE ...] (its own properties, after\n"
    "                       the command line's); blank lines and lines starting with '#' are skipped\n"
    "  --api [ADDR:]PORT    an HTTP API that lists, adds and removes cameras while it runs (/api/v1/cameras),\n"
    "                       with /healthz, /metrics (Prometheus), each camera's newest explained frame\n"
    "                       (/cameras/NAME/snapshot.jpg) and a status page at / for a browser: default\n"
    "                       address 127.0.0.1, this machine only; port 0: any free one, logged. It may start\n"
    "                       with no camera. Another address than loopback needs --api-token-file\n"
    "  --api-token-file FILE\n"
    "                       every request must send \"Authorization: Bearer TOKEN\", TOKEN the first line of\n"
    "                       FILE (at least 16 characters); the status page asks for it\n"
    "  --segment-seconds S  length of a segment (default 60)\n"
    "  --prefix NAME        segment file names (default segment); numbering goes on after existing files\n"
    "  --encoder DESC       gst-launch description of the encoder (default: x264enc speed-preset=veryfast\n"
    "                       tune=zerolatency)\n"
    "  --display SINK       also show the explained video, e.g. autovideosink\n"
    "  --serve [ADDR:]PORT  also serve the explained video to RTSP clients at rtsp://ADDR:PORT/scorecam\n"
    "                       (the URL form only; default address 127.0.0.1: this machine only; 0.0.0.0:\n"
    "                       every interface; port 0: any free one, logged). Another address than loopback\n"
    "                       needs --serve-user, or --serve-anonymous\n"
    "  --serve-user NAME    clients log in as NAME (digest authentication); its password is the first\n"
    "                       line of --serve-password-file FILE, else the environment variable\n"
    "                       SCORECAM_SERVE_PASSWORD (never on the command line)\n"
    "  --serve-anonymous    serve a non-loopback address without a password: anyone who reaches it\n"
    "                       watches\n"
    "  --serve-tls-cert FILE, --serve-tls-key FILE\n"
    "                       serve over TLS (rtsps://, RTP inside the TLS connection) with this PEM\n"
    "                       certificate and key\n"
    "  --tcp                RTP over the RTSP connection (through firewalls and NAT)\n"
    "  --latency MS         rtspsrc jitter buffer (default 200)\n"
    "  --stall-seconds S    no frame for this long counts as the camera lost (default 20)\n"
    "  --retry-min S        first delay before reconnecting (default 1)\n"
    "  --retry-max S        longest delay before reconnecting (default 30)\n"
    "  --max-reconnects N   give a camera up after N reconnections in a row without a frame (default 0:\n"
    "                       never)\n"
    "  Exit status: 0 after Ctrl-C or SIGTERM; 1 once every camera has ended (failed or given up), unless\n"
    "  --api is on: then it goes on serving, for cameras to be added; 2 for a command line or camera list\n"
    "  it cannot take.\n";

// Every camera's properties checked before anything runs (status 2), each camera's message
// printed; then every camera's folder made (status 1). 0 when all may run.
int admit(const Options& options) {
  bool valid = true;
  for (const CameraSpec& camera : options.cameras)
    if (const auto problem = scorecam::camera::property_problem(camera)) {
      std::fprintf(stderr, "%s: %s\n", camera.program().c_str(), problem->c_str());
      valid = false;
    }
  if (!valid) return 2;  // before any folder is made
  for (const CameraSpec& camera : options.cameras)
    if (const auto problem = scorecam::camera::make_directory(camera)) {
      std::fprintf(stderr, "%s: %s\n", kProgram, problem->c_str());
      return 1;
    }
  return 0;
}

// The re-serve of the URL form's camera, or null; `failed` when it was asked for and cannot serve.
std::unique_ptr<scorecam::app::RtspReserver> start_serving(const Options& options, bool& failed) {
  failed = false;
  const auto& serve = options.runner.serve;
  if (!serve) return nullptr;
  auto server = std::make_unique<scorecam::app::RtspReserver>(
      serve->address, serve->port, "/scorecam", "x264enc speed-preset=veryfast tune=zerolatency key-int-max=30",
      serve->access);
  if (!server->ok()) {
    log("", "cannot serve RTSP: %s", server->error().c_str());
    failed = true;
    return nullptr;
  }
  log("", "serving the explained video on %s (%s)", server->url().c_str(),
      scorecam::app::describe(serve->access).c_str());
  return server;
}

// The API with its routes, listening, or null; `failed` when it was asked for and cannot listen.
std::unique_ptr<scorecam::app::HttpServer> start_api(const Options& options, CameraSupervisor& cameras, bool& failed) {
  failed = false;
  if (!options.api) return nullptr;
  auto api = std::make_unique<scorecam::app::HttpServer>(
      scorecam::app::HttpServer::Options{options.api->listen, options.api->token});
  scorecam::camera::add_camera_routes(*api, cameras, options);
  if (!api->start()) {
    log("", "cannot serve the HTTP API: %s", api->error().c_str());
    failed = true;
    return nullptr;
  }
  log("", "HTTP API on %s (%s)", api->url().c_str(),
      options.api->token.empty() ? "no token: this machine only" : "token required");
  log("", "status page on %s/", api->url().c_str());
  return api;
}

// Until a stop is asked for or, without the API (which may add cameras), every camera has ended.
// With the API the runner goes on serving when every camera has ended, and says so once.
void wait_for_the_end(const CameraSupervisor& cameras, bool api) {
  bool said = false;
  while (!scorecam::camera::wait_or_stop(0.25)) {
    const bool running = cameras.any_running();
    if (!running && !api) return;
    if (!running && !said && !cameras.snapshots().empty())
      log("", "every camera has ended; the HTTP API goes on, for cameras to be added, until Ctrl-C or SIGTERM");
    said = !running;
  }
}

// Runs every camera on a thread of its own until a stop is asked for or each has ended; the exit status.
int run(const Options& options) {
  bool failed = false;
  const auto server = start_serving(options, failed);
  if (failed) return 1;
  CameraSupervisor cameras(options.runner, server ? server->sink_description() : "");
  const auto api = start_api(options, cameras, failed);  // before any camera, for a clean exit if it fails
  if (failed) return 1;
  for (const CameraSpec& camera : options.cameras) cameras.add(camera);
  wait_for_the_end(cameras, api != nullptr);
  cameras.stop_all();  // while the API still answers
  // A stop asked for is a clean end, whatever some camera met before it.
  if (scorecam::camera::stop_requested()) return 0;
  if (options.cameras.size() > 1) log("", "every camera has ended");
  return 1;
}

int start(const Options& options) {
  if (!scorecam::app::find_overlay_element(kProgram)) return 1;
  if (const int status = admit(options)) return status;
  if (!scorecam::camera::install_stop_handlers()) return 1;
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, scorecam::camera::syntax()}, argc, argv,
                                           [](const auto& args) { return start(scorecam::camera::read_options(args)); });
}
