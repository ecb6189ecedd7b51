// scorecam-test-cameras: RTSP cameras made of video files or test patterns, to try scorecam-camera
// on (and to check a deployment or measure the runner) where there is no real camera. One RTSP
// server (apps/rtsp_server.h), a mount per camera, until Ctrl-C or SIGTERM: the signals are waited
// for, not handled, so that this holds as PID 1 in a container too.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gst/gst.h>

#include "command_line.h"
#include "overlay_app.h"
#include "rtsp_server.h"

namespace {

namespace cli = scorecam::cli;

constexpr const char* kProgram = "scorecam-test-cameras";

constexpr const char* kUsage =
    "usage: scorecam-test-cameras [--address ADDR] [--port PORT] NAME=SOURCE [NAME=SOURCE ...]\n"
    "  Serves each SOURCE as an RTSP camera at rtsp://ADDR:PORT/NAME (H.264) until Ctrl-C or SIGTERM, and\n"
    "  prints each camera's URL. SOURCE is a video file, played in real time from its start to each\n"
    "  client, which sees the camera end its stream at the file's end (scorecam-camera reconnects and it\n"
    "  plays again), or test:WIDTHxHEIGHT, a live test pattern at 30 frames/s.\n"
    "  --address ADDR  listen on ADDR (default 127.0.0.1: this machine only)\n"
    "  --port PORT     the port (default 8554; 0: any free one)\n"
    "  Example: scorecam-test-cameras door=samples/fashion_walk.mp4 yard=test:640x480\n";

const char* const kEncoder = "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=30";

// The gst-rtsp-server launch description of one camera.
std::string camera_launch(const cli::Property& camera) {
  std::string video;
  const std::string& source = camera.value;
  if (source.rfind("test:", 0) == 0) {
    const auto size = source.substr(5);
    const auto x = size.find('x');
    const auto width = cli::to_integer(size.substr(0, x));
    const auto height = x == std::string::npos ? std::nullopt : cli::to_integer(size.substr(x + 1));
    if (!width || !height || *width < 16 || *height < 16)
      throw cli::UsageError(camera.name + "=" + source + ": test:WIDTHxHEIGHT takes a size such as 640x480");
    video = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=" + std::to_string(*width) +
            ",height=" + std::to_string(*height) + ",framerate=30/1";
  } else {
    if (source.find('"') != std::string::npos || !g_file_test(source.c_str(), G_FILE_TEST_IS_REGULAR))
      throw cli::UsageError(camera.name + "=" + source + ": no such video file");
    video = "filesrc location=\"" + source + "\" ! decodebin";
  }
  return "( " + video + " ! videoconvert ! " + kEncoder + " ! rtph264pay name=pay0 pt=96 config-interval=-1 )";
}

int serve(const cli::CommandLine& args) {
  if (args.properties().empty()) throw cli::UsageError("give at least one camera, NAME=SOURCE");
  std::vector<std::pair<std::string, std::string>> cameras;
  for (const auto& camera : args.properties()) cameras.emplace_back("/" + camera.name, camera_launch(camera));
  // Blocked before the server's threads start, so that they inherit it and sigwait() takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  scorecam::app::RtspServer server(args.text("address", "127.0.0.1"),
                                   args.integer("port", 8554, cli::Range::from_to(0, 65535)));
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, server.error().c_str());
    return 1;
  }
  for (const auto& [path, launch] : cameras) {
    server.serve(path, launch);
    std::printf("%s\n", server.url(path).c_str());
  }
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Syntax syntax{{"address", "port"}, {}};
  syntax.properties = true;
  syntax.max_positionals = 0;
  return scorecam::app::run_with_gstreamer({kProgram, kUsage, syntax}, argc, argv, serve);
}
