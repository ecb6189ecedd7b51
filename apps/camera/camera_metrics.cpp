#include "camera/camera_metrics.h"

#include <algorithm>
#include <map>

#include "prometheus_text.h"

namespace scorecam::camera {
namespace {

namespace prometheus = app::prometheus;
using prometheus::Type;

constexpr CameraState kStates[] = {CameraState::kConnecting, CameraState::kConnected, CameraState::kReconnecting,
                                   CameraState::kStopped, CameraState::kEnded};

// A counter or gauge with one sample for each `Of` (a camera, a loaded model).
template <typename Of>
struct Series {
  const char* name;
  Type type;
  const char* help;
  double (*value)(const Of&);
};

constexpr Series<CameraSnapshot> kCameraSeries[] = {
    {"scorecam_camera_frames_in_total", Type::kCounter,
     "Frames that reached the camera's scorecamoverlay, over all its connections",
     [](const CameraSnapshot& c) { return static_cast<double>(c.frames_in); }},
    {"scorecam_camera_frames_explained_total", Type::kCounter,
     "Frames the camera's element explained (its explained-frames, over all its connections)",
     [](const CameraSnapshot& c) { return static_cast<double>(c.explained); }},
    {"scorecam_camera_dropped_work_total", Type::kCounter,
     "Frames not explained because a newer frame replaced them in the element's queue (dropped-work)",
     [](const CameraSnapshot& c) { return static_cast<double>(c.dropped); }},
    {"scorecam_camera_reconnections_total", Type::kCounter, "Times the camera was lost and reconnected",
     [](const CameraSnapshot& c) { return static_cast<double>(c.reconnections); }},
    {"scorecam_camera_segments_finished_total", Type::kCounter,
     "Segments the camera finished (video and results under their final names)",
     [](const CameraSnapshot& c) { return static_cast<double>(c.segments); }},
    {"scorecam_camera_seconds_since_last_frame", Type::kGauge,
     "Seconds since the camera's last frame, or since it was added when none has come",
     [](const CameraSnapshot& c) { return c.seconds_since_frame; }},
};

constexpr Series<ModelUse> kModelSeries[] = {
    {"scorecam_model_users", Type::kGauge, "Elements using the loaded model",
     [](const ModelUse& m) { return static_cast<double>(m.users); }},
    {"scorecam_model_passes_total", Type::kCounter, "Forward passes the model ran",
     [](const ModelUse& m) { return static_cast<double>(m.passes); }},
    {"scorecam_model_requests_total", Type::kCounter, "Requests for a forward pass that the model's passes served",
     [](const ModelUse& m) { return static_cast<double>(m.requests); }},
    {"scorecam_model_merged_requests_total", Type::kCounter,
     "Requests served by a pass run for another request too (merged into one batch): requests - passes",
     [](const ModelUse& m) { return static_cast<double>(m.requests - std::min(m.requests, m.passes)); }},
};

// The labels that tell one loaded model from another: the same file loaded alike is one model
// for every camera that shares it; one a camera does not share is its own.
prometheus::Labels model_labels(const CameraSnapshot& camera) {
  prometheus::Labels labels{{"model", camera.model->location}, {"device", camera.model->device},
                            {"precision", camera.model->precision}};
  if (!camera.model->shared) labels.emplace_back("camera", camera.name);
  return labels;
}

// Each model once, with the newest counts its cameras read (they read it at different moments).
std::map<prometheus::Labels, ModelUse> models_in_use(const std::vector<CameraSnapshot>& cameras) {
  std::map<prometheus::Labels, ModelUse> models;
  for (const auto& camera : cameras) {
    // A camera that has stopped or ended holds no model: its last reading would be stale.
    if (!camera.model || camera.state == CameraState::kStopped || camera.state == CameraState::kEnded) continue;
    ModelUse& model = models.try_emplace(model_labels(camera), *camera.model).first->second;
    model.users = std::max(model.users, camera.model->users);
    model.passes = std::max(model.passes, camera.model->passes);
    model.requests = std::max(model.requests, camera.model->requests);
  }
  return models;
}

}  // namespace

std::string metrics_text(const std::vector<CameraSnapshot>& cameras) {
  prometheus::Exposition out;
  for (const auto& series : kCameraSeries) {
    out.family(series.name, series.type, series.help);
    for (const auto& camera : cameras) out.sample({{"camera", camera.name}}, series.value(camera));
  }
  out.family("scorecam_camera_state", Type::kGauge,
             "1 for the camera's state (connecting, connected, reconnecting, stopped, ended), 0 for the others");
  for (const auto& camera : cameras)
    for (const CameraState state : kStates)
      out.sample({{"camera", camera.name}, {"state", state_name(state)}}, camera.state == state ? 1 : 0);
  out.family("scorecam_camera_latency_seconds", Type::kSummary,
             "From a frame's arrival at the element until its map was ready (quantiles of the newest 1000 maps)");
  for (const auto& c : cameras)
    out.summary({{"camera", c.name}}, {{{0.5, c.latency_p50}, {0.9, c.latency_p90}, {0.99, c.latency_p99}},
                                       c.latency_sum, static_cast<double>(c.latency_count)});
  const auto models = models_in_use(cameras);
  for (const auto& series : kModelSeries) {
    out.family(series.name, series.type, series.help);
    for (const auto& [labels, model] : models) out.sample(labels, series.value(model));
  }
  return out.text();
}

}  // namespace scorecam::camera
