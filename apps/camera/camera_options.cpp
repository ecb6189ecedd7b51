#include "camera/camera_options.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "camera/camera_log.h"

namespace scorecam::camera {
namespace {

using cli::Range;
using cli::UsageError;

// A camera as the user wrote it, and where ("--camera a", "cameras.txt:3"), for the messages.
struct GivenCamera {
  std::string name, url, where;
  std::vector<cli::Property> properties;
};

// A name becomes a folder, a log prefix, a path of the API and a metric label (later an RTSP
// path): no '/', no spaces, nothing a shell or a URL would mangle.
void check_name(const std::string& name, const std::string& where) {
  static const char* kAllowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  if (name.empty() || name.find_first_not_of(kAllowed) != std::string::npos)
    throw UsageError(where + ": '" + name +
                     "' is not a camera name: use letters, digits, '_' and '-' (it names the camera's folder)");
}

// The URL taken apart for rtspsrc; `who` before the message ("" in the URL form, as it always was).
app::SplitUrl rtsp_url(const std::string& url, const std::string& who) {
  const auto split = app::split_credentials(url);
  if (!split || (url.rfind("rtsp://", 0) != 0 && url.rfind("rtsps://", 0) != 0))
    throw UsageError(who + "'" + app::redact_credentials(url) + "' is not an rtsp:// URL");
  return *split;
}

// --camera NAME=URL.
GivenCamera camera_option(const std::string& value) {
  const auto equals = value.find('=');
  const std::string name = equals == std::string::npos ? "" : value.substr(0, equals);
  // "rtsp://host/x?a=b" alone: the word before '=' is no name, and the message must not quote it
  // as one (it may hold a password).
  if (equals == std::string::npos || name.empty() || name.find_first_of(":/@") != std::string::npos)
    throw UsageError("--camera takes NAME=URL, not '" + app::redact_credentials(value) + "'");
  return {name, value.substr(equals + 1), "--camera " + name, {}};
}

// --cameras FILE: one camera a line, "NAME URL [PROPERTY=VALUE ...]", split into words at spaces
// and read by the command-line parser itself, so that a line takes exactly what the command line
// takes; blank lines and lines whose first word starts with '#' are skipped.
std::vector<GivenCamera> camera_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read --cameras " + path + ": " + std::strerror(errno));
  cli::Syntax line_syntax;
  line_syntax.properties = true;
  line_syntax.fixed_positionals = line_syntax.max_positionals = 2;  // a URL may hold '='
  std::vector<GivenCamera> cameras;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    const std::string where = path + ":" + std::to_string(++number);
    std::istringstream split(line);
    std::vector<std::string> words{"--cameras"};  // argv[0], which the parser skips
    for (std::string word; split >> word;) words.push_back(word);
    if (words.size() == 1 || words[1].front() == '#') continue;
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    try {
      const cli::CommandLine fields(static_cast<int>(argv.size()), argv.data(), line_syntax);
      if (fields.positional().size() < 2 || fields.has("help"))
        throw UsageError("give NAME URL [PROPERTY=VALUE ...]");
      cameras.push_back({fields.positional()[0], fields.positional()[1], where, fields.properties()});
    } catch (const UsageError& e) {
      throw UsageError(where + ": " + app::redact_credentials(e.what()));
    }
  }
  if (cameras.empty()) throw UsageError("--cameras " + path + " names no camera");
  return cameras;
}

// The cameras of --camera and --cameras, checked: valid, unique names and rtsp:// URLs.
std::vector<CameraSpec> named_cameras(const cli::CommandLine& args, const Options& options) {
  std::vector<GivenCamera> given;
  for (const auto& value : args.all("camera")) given.push_back(camera_option(value));
  if (args.has("cameras"))
    for (auto& camera : camera_file(args.text("cameras"))) given.push_back(std::move(camera));
  std::vector<CameraSpec> cameras;
  std::set<std::string> names;
  for (auto& camera : given) {
    cameras.push_back(named_camera(camera.name, camera.url, camera.properties, options, camera.where));
    if (!names.insert(camera.name).second)
      throw UsageError(camera.where + ": two cameras are named '" + camera.name + "'");
  }
  return cameras;
}

RunnerOptions runner_options(const cli::CommandLine& args) {
  RunnerOptions options;
  options.prefix = args.text("prefix", options.prefix);
  options.encoder = args.text("encoder", options.encoder);
  options.display = args.text("display");
  options.serve = app::read_serve_options(args);
  options.tcp = args.has("tcp");
  options.segment_seconds = args.number("segment-seconds", options.segment_seconds, Range::above(0));
  options.stall_seconds = args.number("stall-seconds", options.stall_seconds, Range::above(0));
  options.retry_min = args.number("retry-min", options.retry_min, Range::above(0));
  options.retry_max = std::max(args.number("retry-max", options.retry_max, Range::above(0)), options.retry_min);
  options.latency_ms = args.integer("latency", options.latency_ms, Range::above(0));
  options.max_reconnects = args.integer("max-reconnects", options.max_reconnects, Range::at_least(0));
  return options;
}

}  // namespace

CameraSpec named_camera(const std::string& name, const std::string& url, const std::vector<cli::Property>& own,
                        const Options& options, const std::string& where) {
  check_name(name, where);
  CameraSpec spec{name, url, rtsp_url(url, where + ": "), options.directory.empty() ? "" : options.directory + "/" + name,
                  options.properties};
  spec.properties.insert(spec.properties.end(), own.begin(), own.end());
  return spec;
}

std::string CameraSpec::program() const { return name.empty() ? kProgram : std::string(kProgram) + ": camera " + name; }

// URL and OUTPUT_DIR (OUTPUT_DIR alone with --camera or --cameras), then properties: words with
// '=' are properties wherever they stand.
cli::Syntax syntax() {
  cli::Syntax syntax{{"segment-seconds", "prefix", "encoder", "display", "latency", "stall-seconds", "retry-min",
                      "retry-max", "max-reconnects", "cameras"},
                     {"tcp"}};
  syntax.repeatable = {"camera"};
  app::add_serve_options(syntax);
  add_api_options(syntax);
  syntax.properties = true;
  syntax.max_positionals = 2;
  return syntax;
}

Options read_options(const cli::CommandLine& args) {
  Options options;
  options.runner = runner_options(args);
  options.properties = args.properties();
  options.api = read_api_options(args);
  const auto& words = args.positional();
  const bool named = args.has("camera") || args.has("cameras");
  if (options.api && !named && !words.empty() && words[0].find("://") != std::string::npos)
    throw UsageError("--api adds and removes cameras by name: give --camera NAME=URL, not the URL alone");
  if (named || options.api) {
    if (!words.empty() && words[0].find("://") != std::string::npos)
      throw UsageError("give the camera's URL, or --camera and --cameras, not both");
    if (words.size() > 1) throw UsageError("with --camera or --cameras, the one word is OUTPUT_DIR: '" + words[1] +
                                           "' is one too many");
    if (options.runner.serve)
      throw UsageError("--serve re-serves the one camera of the URL form; with --camera or --cameras it is not "
                       "supported yet");
    if (!words.empty()) options.directory = words[0];
    options.cameras = named_cameras(args, options);
  } else {
    if (words.empty()) throw UsageError("give the camera's URL, or --camera NAME=URL (once per camera), or --cameras FILE");
    if (words.size() > 1) options.directory = words[1];
    options.cameras.push_back({"", words[0], rtsp_url(words[0], ""), options.directory, options.properties});
  }
  if (options.directory.empty() && options.runner.display.empty() && !options.runner.serve)
    throw UsageError("give an OUTPUT_DIR to record into, --display or --serve to watch, or several");
  return options;
}

}  // namespace scorecam::camera
