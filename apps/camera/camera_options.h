#pragma once
// scorecam-camera's command line: what every camera shares (RunnerOptions) and the cameras
// themselves (CameraSpec), from the one URL of the original form, from repeated --camera
// NAME=URL, or from a --cameras FILE. Everything a user can get wrong is a cli::UsageError that
// names the camera (status 2, before anything starts).
#include <optional>
#include <string>
#include <vector>

#include "camera/api_options.h"
#include "command_line.h"
#include "serve_options.h"
#include "url_credentials.h"

namespace scorecam::camera {

// What every camera of the runner is run with.
struct RunnerOptions {
  std::string prefix = "segment";
  std::string encoder = "x264enc speed-preset=veryfast tune=zerolatency";
  std::string display;
  std::optional<app::ServeOptions> serve;  // the URL form only
  bool tcp = false;
  double segment_seconds = 60, stall_seconds = 20, retry_min = 1, retry_max = 30;
  int latency_ms = 200;
  long max_reconnects = 0;
};

// One camera.
struct CameraSpec {
  std::string name;  // empty for the one camera of the URL form, which logs and records as before
  std::string url;   // as given (the log redacts its password)
  app::SplitUrl source;  // the URL without its credentials, and them, for rtspsrc
  std::string directory;  // its segments' folder: OUTPUT_DIR, or OUTPUT_DIR/NAME; empty: not recorded
  std::vector<cli::Property> properties;  // the command line's, then its own (the later wins)

  // Before each of its log lines: "camera NAME: ", or "".
  std::string who() const { return name.empty() ? "" : "camera " + name + ": "; }
  // Where GStreamer-side messages come from: "scorecam-camera", or "scorecam-camera: camera NAME".
  std::string program() const;
};

struct Options {
  RunnerOptions runner;
  std::string directory;  // OUTPUT_DIR, or empty
  std::vector<cli::Property> properties;  // the command line's, for every camera
  std::vector<CameraSpec> cameras;  // none: only with the API, which adds them
  std::optional<ApiOptions> api;
};

cli::Syntax syntax();

Options read_options(const cli::CommandLine& args);

// A named camera as the command line, a --cameras line and the API take it: its name and URL
// checked (cli::UsageError with a message that starts with `where`, "--camera a: ..."), recorded
// into OUTPUT_DIR/NAME, with `options`' properties and then its own. Whether its name is taken
// is the caller's to say.
CameraSpec named_camera(const std::string& name, const std::string& url, const std::vector<cli::Property>& own,
                        const Options& options, const std::string& where);

}  // namespace scorecam::camera
