#include "camera/camera_api.h"

#include <cmath>
#include <ctime>

#include "camera/camera_admission.h"
#include "camera/camera_log.h"
#include "camera/camera_metrics.h"
#include "camera/status_page.h"
#include "prometheus_text.h"
#include "url_credentials.h"

namespace scorecam::camera {
namespace {

using app::error_response;
using app::HttpRequest;
using app::HttpResponse;
using app::json_response;
using nlohmann::json;

constexpr char kCameras[] = "/api/v1/cameras";

// "2026-11-29T16:40:02Z".
std::string utc(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm time{};
  gmtime_r(&seconds, &time);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &time);
  return text;
}

// Where a camera's newest explained frame is, as a JPEG ("*": the route of every camera's).
std::string snapshot_path(const std::string& name) { return "/cameras/" + name + "/snapshot.jpg"; }

// The newest explained frame's result, and where its JPEG is; null before the first.
json newest_frame_json(const CameraSnapshot& c) {
  if (!c.newest_frame) return nullptr;
  const ExplainedFrame& frame = *c.newest_frame;
  const auto& result = frame.classification;
  const bool labelled = result.valid && !result.label.empty();
  return {{"snapshot", snapshot_path(c.name)},
          {"number", frame.number},
          {"at", utc(frame.at)},
          {"class_id", result.class_id},
          {"class", labelled ? json(result.label) : json(nullptr)},
          {"confidence", result.valid ? json(result.confidence) : json(nullptr)}};
}

// JSON has no NaN: a quantile before the first map is null.
json number_or_null(double value) { return std::isnan(value) ? json(nullptr) : json(value); }

json camera_json(const CameraSnapshot& c) {
  const auto now = std::chrono::system_clock::now();
  json camera = {
      {"name", c.name},
      {"url", c.url},
      {"state", state_name(c.state)},
      {"since", utc(c.since)},
      {"seconds_in_state", std::chrono::duration<double>(now - c.since).count()},
      {"added", utc(c.added)},
      {"connection", c.connection},
      {"frames_in", c.frames_in},
      {"frames_explained", c.explained},
      {"dropped_work", c.dropped},
      {"reconnections", c.reconnections},
      {"segments_finished", c.segments},
      {"seconds_since_last_frame", c.seconds_since_frame},
      {"segment_in_progress", c.segment.empty() ? json(nullptr) : json(c.segment)},
      {"last_error",
       c.last_error.empty() ? json(nullptr) : json{{"message", c.last_error}, {"at", utc(c.last_error_at)}}},
      {"latency_seconds",
       {{"p50", number_or_null(c.latency_p50)}, {"p90", number_or_null(c.latency_p90)},
        {"p99", number_or_null(c.latency_p99)}, {"count", c.latency_count}}},
      {"newest_frame", newest_frame_json(c)},
      {"model", nullptr}};
  if (c.model)
    camera["model"] = {{"location", c.model->location}, {"device", c.model->device},
                       {"precision", c.model->precision}, {"shared", c.model->shared}, {"users", c.model->users}};
  return camera;
}

// A property's value as the command line would give it: JSON strings, numbers and booleans.
std::vector<cli::Property> properties_of(const json& given) {
  if (!given.is_object()) throw cli::UsageError("\"properties\" must be an object of PROPERTY: VALUE");
  std::vector<cli::Property> properties;
  for (const auto& [name, value] : given.items()) {
    if (value.is_string()) properties.push_back({name, value.get<std::string>()});
    else if (value.is_boolean()) properties.push_back({name, value.get<bool>() ? "true" : "false"});
    else if (value.is_number()) properties.push_back({name, value.dump()});
    else throw cli::UsageError("property '" + name + "' must be a string, a number or a boolean, not " +
                               std::string(value.type_name()));
  }
  return properties;
}

std::string text_field(const json& body, const char* name) {
  if (!body.contains(name) || !body[name].is_string())
    throw cli::UsageError(std::string("give \"") + name + "\" as a string");
  return body[name].get<std::string>();
}

// The camera a POST describes, checked as the command line's are.
CameraSpec camera_in(const std::string& text, const Options& options) {
  const json body = json::parse(text);  // json::parse_error: not JSON
  if (!body.is_object()) throw cli::UsageError("the body must be a JSON object: {\"name\": ..., \"url\": ...}");
  for (const auto& [field, value] : body.items())
    if (field != "name" && field != "url" && field != "properties")
      throw cli::UsageError("unknown field \"" + field + "\": a camera has \"name\", \"url\" and \"properties\"");
  const std::string name = text_field(body, "name");
  const auto properties =
      body.contains("properties") ? properties_of(body["properties"]) : std::vector<cli::Property>{};
  return named_camera(name, text_field(body, "url"), properties, options, "camera " + name);
}

HttpResponse taken(const CameraSnapshot& existing) {
  return error_response(409, "a camera named '" + existing.name + "' exists (" + state_name(existing.state) +
                                 "): remove it first (DELETE " + kCameras + "/" + existing.name + ")");
}

HttpResponse add_camera(const HttpRequest& request, CameraSupervisor& cameras, const Options& options) {
  if (cameras.stopping()) return error_response(503, "the runner is stopping");
  CameraSpec camera;
  try {
    camera = camera_in(request.body, options);
  } catch (const json::exception& e) {  // not JSON, or not the JSON asked for
    return error_response(400, app::redact_credentials(std::string("the body is not the JSON asked for: ") + e.what()));
  } catch (const cli::UsageError& e) {
    return error_response(400, app::redact_credentials(e.what()));
  }
  if (const auto existing = cameras.snapshot(camera.name)) return taken(*existing);
  if (const auto problem = property_problem(camera)) return error_response(400, camera.who() + *problem);
  if (const auto problem = make_directory(camera)) return error_response(500, camera.who() + *problem);
  switch (cameras.add(camera)) {
    case CameraSupervisor::Added::kAdded: break;
    case CameraSupervisor::Added::kNameTaken: return error_response(409, "a camera named '" + camera.name + "' exists");
    case CameraSupervisor::Added::kStopping: return error_response(503, "the runner is stopping");
  }
  log(camera.who(), "added through the API: %s", camera.url.c_str());
  HttpResponse added = json_response(201, camera_json(*cameras.snapshot(camera.name)));
  added.headers.emplace_back("Location", std::string(kCameras) + "/" + camera.name);
  return added;
}

// The camera's newest explained frame as a JPEG, encoded by this request's thread.
HttpResponse snapshot_jpeg(const std::string& name, const CameraSupervisor& cameras) {
  const auto camera = cameras.snapshot(name);
  if (!camera) return error_response(404, "no camera named '" + name + "'");
  if (!camera->newest_frame) {
    HttpResponse none = error_response(503, "camera " + name + " has no explained frame yet (it is " +
                                                state_name(camera->state) + ")");
    none.headers.emplace_back("Retry-After", "1");
    return none;
  }
  std::string error;
  std::string jpeg = camera->newest_frame->jpeg(error);
  if (jpeg.empty()) return error_response(500, "camera " + name + ": " + error);
  return {200, "image/jpeg", std::move(jpeg),
          {{"Cache-Control", "no-store"}, {"X-Scorecam-Frame", std::to_string(camera->newest_frame->number)}}};
}

// The status page, which loads nothing from anywhere else, and may not: the browser is told so.
HttpResponse page() {
  return {200, "text/html; charset=utf-8", std::string(status_page_html()),
          {{"Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                       "img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"},
           {"X-Content-Type-Options", "nosniff"},
           {"Cache-Control", "no-cache"}}};
}

json health(const std::vector<CameraSnapshot>& cameras, bool stopping) {
  json each = json::array();
  for (const auto& c : cameras)
    each.push_back(
        {{"name", c.name}, {"state", state_name(c.state)}, {"seconds_since_last_frame", c.seconds_since_frame}});
  return {{"status", stopping ? "stopping" : "serving"}, {"cameras", each}};
}

}  // namespace

void add_camera_routes(app::HttpServer& server, CameraSupervisor& cameras, const Options& options) {
  server.route("GET", kCameras, [&cameras](const HttpRequest&) {
    json all = json::array();
    for (const auto& camera : cameras.snapshots()) all.push_back(camera_json(camera));
    return json_response(200, {{"cameras", all}});
  });
  server.route("POST", kCameras,
               [&cameras, &options](const HttpRequest& request) { return add_camera(request, cameras, options); });
  server.route("GET", std::string(kCameras) + "/*", [&cameras](const HttpRequest& request) {
    const auto camera = cameras.snapshot(request.captured[0]);
    return camera ? json_response(200, camera_json(*camera))
                  : error_response(404, "no camera named '" + request.captured[0] + "'");
  });
  server.route_slow("DELETE", std::string(kCameras) + "/*", [&cameras](const HttpRequest& request) {
    const auto removed = cameras.remove(request.captured[0]);
    return removed ? json_response(200, camera_json(*removed))
                   : error_response(404, "no camera named '" + request.captured[0] + "' (or it is being removed)");
  });
  server.route("GET", "/healthz", [&cameras](const HttpRequest&) {
    const bool stopping = cameras.stopping();
    return json_response(stopping ? 503 : 200, health(cameras.snapshots(), stopping));
  });
  server.route("GET", "/metrics", [&cameras](const HttpRequest&) {
    return HttpResponse{200, app::prometheus::kContentType, metrics_text(cameras.snapshots()), {}};
  });
  // Encoding a frame takes a pipeline's start: on a thread of its own.
  server.route_slow("GET", snapshot_path("*"),
                    [&cameras](const HttpRequest& request) { return snapshot_jpeg(request.captured[0], cameras); });
  server.route_open("GET", "/", [](const HttpRequest&) { return page(); });
}

}  // namespace scorecam::camera
