// scorecam-camera: keeps RTSP cameras explained and recorded across outages, one camera or many
// in one process.
//
// Each camera runs on a thread of its own (camera/camera_runner.h), connection after connection
// (camera/connection.h): one pipeline rtspsrc ! decodebin ! scorecamoverlay (async) ! encoder !
// splitmuxsink per connection, its recording cut into segments (camera/segments.h). The cameras'
// elements load the same model file once (the process's ModelPool, share-model=true) and batch
// their passes together; everything else is the camera's own, so that one camera's error, end of
// stream or stall finishes that camera's segment and reconnects that camera alone. An error that
// is not a camera's (the model, a full disk) ends that camera, logged with its name; the runner
// exits with status 1 once every camera has ended. Ctrl-C or SIGTERM finishes every camera's
// segment in progress and exits with status 0 (camera/stop_signal.h). With --serve each camera
// has a mount on the runner's one RTSP server (camera/camera_serving.h), with --mqtt a topic of its
// own (camera/publishing.h).
//
// The cameras' passwords never reach the log: every line goes through redact_credentials, and
// rtspsrc gets the user and password as properties, so that its messages hold no password either.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gst/gst.h>

#include "camera/camera_log.h"
#include "camera/camera_options.h"
#include "camera/camera_runner.h"
#include "camera/camera_serving.h"
#include "camera/stop_signal.h"
#include "overlay_app.h"

namespace {

using scorecam::camera::CameraEnd;
using scorecam::camera::CameraSpec;
using scorecam::camera::kProgram;
using scorecam::camera::log;
using scorecam::camera::Options;

constexpr const char* kUsage =
    "usage: scorecam-camera [OPTIONS] URL [OUTPUT_DIR] [PROPERTY=VALUE ...]\n"
    "       scorecam-camera [OPTIONS] --camera NAME=URL [--camera NAME=URL ...] [--cameras FILE] [OUTPUT_DIR]\n"
    "                       [PROPERTY=VALUE ...]\n"
    "  Explains the RTSP camera at URL with scorecamoverlay (async=true) and records it into OUTPUT_DIR\n"
    "  as segments PREFIX-NNNNNN.mp4, each with PREFIX-NNNNNN.jsonl (one JSON object per frame); without\n"
    "  OUTPUT_DIR it only shows, serves or publishes it. Reconnects when the camera goes away.\n"
    "  PROPERTY=VALUE pairs set scorecamoverlay properties.\n"
    "  Many cameras: each --camera NAME=URL (and each line of --cameras) runs in one process on one\n"
    "  shared model, recorded into OUTPUT_DIR/NAME/, each reconnecting on its own: one camera's outage\n"
    "  never stops the others. NAME: letters, digits, '_' and '-'.\n"
    "  --camera NAME=URL    one camera (repeat it for more)\n"
    "  --cameras FILE       cameras, one a line: NAME URL [PROPERTY=VALUE ...] (its own properties, after\n"
    "                       the command line's); blank lines and lines starting with '#' are skipped\n"
    "  --segment-seconds S  length of a segment (default 60)\n"
    "  --prefix NAME        segment file names (default segment); numbering goes on after existing files\n"
    "  --encoder DESC       gst-launch description of the encoder (default: x264enc speed-preset=veryfast\n"
    "                       tune=zerolatency)\n"
    "  --display SINK       also show the explained video, e.g. autovideosink\n"
    "  --serve [ADDR:]PORT  also serve each camera's explained video to RTSP clients at rtsp://ADDR:PORT/NAME\n"
    "                       (rtsp://ADDR:PORT/scorecam in the URL form), one server for all (default address\n"
    "                       127.0.0.1: this machine only; 0.0.0.0: every interface; port 0: any free one,\n"
    "                       logged). Another address than loopback needs --serve-user, or --serve-anonymous\n"
    "  --serve-user NAME    clients log in as NAME (digest authentication); its password is the first\n"
    "                       line of --serve-password-file FILE, else the environment variable\n"
    "                       SCORECAM_SERVE_PASSWORD (never on the command line)\n"
    "  --serve-anonymous    serve a non-loopback address without a password: anyone who reaches it\n"
    "                       watches\n"
    "  --serve-tls-cert FILE, --serve-tls-key FILE\n"
    "                       serve over TLS (rtsps://, RTP inside the TLS connection) with this PEM\n"
    "                       certificate and key\n"
    "  --mqtt HOST:PORT     also publish each frame's result (the record of the .jsonl files) to the MQTT\n"
    "                       broker at HOST:PORT, on the topic scorecam/NAME (scorecam/scorecam in the URL\n"
    "                       form); results wait in a bounded queue while the broker is away\n"
    "  --mqtt-topic-prefix P  topics P/NAME instead\n"
    "  --mqtt-user NAME     log in to the broker as NAME; its password is the first line of\n"
    "                       --mqtt-password-file FILE, else the environment variable SCORECAM_MQTT_PASSWORD\n"
    "  --mqtt-ca-file FILE  TLS to the broker, whose certificate this PEM CA certificate signed;\n"
    "                       --mqtt-cert-file FILE and --mqtt-key-file FILE: a client certificate and its key\n"
    "  --tcp                RTP over the RTSP connection (through firewalls and NAT)\n"
    "  --latency MS         rtspsrc jitter buffer (default 200)\n"
    "  --stall-seconds S    no frame for this long counts as the camera lost (default 20)\n"
    "  --retry-min S        first delay before reconnecting (default 1)\n"
    "  --retry-max S        longest delay before reconnecting (default 30)\n"
    "  --max-reconnects N   give a camera up after N reconnections in a row without a frame (default 0:\n"
    "                       never)\n"
    "  Ctrl-C or SIGTERM finishes every camera's segment in progress, also as PID 1 in a container.\n"
    "  Exit status: 0 after Ctrl-C or SIGTERM; 1 once every camera has ended (failed or given up);\n"
    "  2 for a command line or camera list it cannot take.\n";

// Every camera's folder, made before any camera starts; false (with a message) if one cannot be.
bool make_directories(const Options& options) {
  for (const CameraSpec& camera : options.cameras) {
    if (camera.directory.empty()) continue;
    std::error_code error;
    std::filesystem::create_directories(camera.directory, error);
    if (error || !std::filesystem::is_directory(camera.directory)) {
      std::fprintf(stderr, "%s: cannot use %s as the output directory: %s\n", kProgram, camera.directory.c_str(),
                   error ? error.message().c_str() : "not a directory");
      return false;
    }
  }
  return true;
}

// Every camera's properties on a scorecamoverlay of their own, before anything runs: a property
// the element does not have, or a value it cannot take, is the user's to fix (status 2), named
// with its camera, not a failure found at the first connection.
bool properties_are_valid(const Options& options) {
  GstElement* overlay = gst_element_factory_make("scorecamoverlay", nullptr);
  if (!overlay) return false;
  gst_object_ref_sink(overlay);
  bool valid = true;
  for (const CameraSpec& camera : options.cameras)
    valid = scorecam::app::set_overlay_properties(overlay, camera.properties, camera.program().c_str()) && valid;
  gst_object_unref(overlay);
  return valid;
}

// Runs every camera on a thread of its own until each is stopped or has ended; the exit status.
int run(const Options& options) {
  bool failed = false;
  const auto server = scorecam::camera::start_serving(options.runner, failed);
  if (failed) return 1;
  const bool several = options.cameras.size() > 1;
  std::vector<std::thread> threads;
  for (const CameraSpec& camera : options.cameras)
    threads.emplace_back([&options, several, spec = &camera,
                          served = scorecam::camera::serve_camera(server.get(), options.runner, camera)] {
      const CameraEnd end = scorecam::camera::run_camera(options.runner, *spec, served);
      if (end == CameraEnd::kEnded && several) log(spec->who(), "ended; the other cameras go on while any is left");
    });
  for (auto& thread : threads) thread.join();
  // A stop asked for is a clean end, whatever some camera met before it: every segment and result
  // is written, and the cameras' pipelines are left running (camera/connection.h) for _Exit to end.
  if (scorecam::camera::stop_requested()) std::_Exit(0);
  if (several) log("", "every camera has ended");
  return 1;
}

int start(const Options& options) {
  if (!scorecam::app::find_overlay_element(kProgram)) return 1;
  if (!properties_are_valid(options)) return 2;  // before any folder is made
  if (!make_directories(options)) return 1;
  if (!scorecam::camera::install_stop_handlers()) return 1;
  return run(options);
}

}  // namespace

int main(int argc, char** argv) {
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, scorecam::camera::syntax()}, argc, argv,
                                           [](const auto& args) { return start(scorecam::camera::read_options(args)); });
}
