#include "scorecam/stream_explainer.h"

#include <utility>

#include "scorecam/error.h"
#include "scorecam/target_class.h"

namespace scorecam {
namespace {

constexpr uint64_t kWarmUpFrames = 3;

}  // namespace

StreamExplainer::StreamExplainer(std::shared_ptr<Model> model, const ExplainerSettings& settings, bool async,
                                 StreamEvents events)
    : events_(std::move(events)), model_(std::move(model)), settings_(settings) {
  explainer_ = make_explainer(settings);
  if (!async) {
    latency_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(explainer_->estimate_worst_frame_seconds()));
    return;
  }
  worker_ = std::make_unique<NewestFrameWorker>(
      [this](const PostedFrame& frame) { explain(frame.view, frame.timestamp, frame.generation, frame.posted); },
      [this](const std::string& what) {
        {
          std::lock_guard<std::mutex> lock(state_lock_);
          failed_ = true;
        }
        if (events_.failed) events_.failed(what);
      });
}

StreamExplainer::~StreamExplainer() = default;

std::shared_ptr<const Heatmap> StreamExplainer::submit(const ImageView& frame, int64_t timestamp) {
  const auto submitted = std::chrono::steady_clock::now();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    generation = generation_;
  }
  if (!worker_) return explain(frame, timestamp, generation, submitted);
  worker_->post(frame, timestamp, generation);
  std::lock_guard<std::mutex> lock(state_lock_);
  return latest_;
}

void StreamExplainer::reconfigure(const ExplainerSettings& settings) {
  std::lock_guard<std::mutex> lock(state_lock_);
  settings_ = settings;
  ++settings_revision_;
}

void StreamExplainer::flush() {
  if (worker_) worker_->discard_waiting();
  std::lock_guard<std::mutex> lock(state_lock_);
  ++generation_;
  latest_.reset();
  restart_reuse_ = true;
}

void StreamExplainer::frame_finished(std::chrono::nanoseconds took) {
  if (worker_) return;
  std::lock_guard<std::mutex> engine(engine_lock_);
  if (explainer_) explainer_->frame_finished(std::chrono::duration<double>(took).count());
}

void StreamExplainer::restart_reuse() {
  std::lock_guard<std::mutex> lock(state_lock_);
  restart_reuse_ = true;
}

void StreamExplainer::discard_waiting() {
  if (worker_) worker_->discard_waiting();
}

void StreamExplainer::wait_until_idle() {
  if (worker_) worker_->wait_until_idle();
}

bool StreamExplainer::failed() const {
  std::lock_guard<std::mutex> lock(state_lock_);
  return failed_;
}

std::chrono::nanoseconds StreamExplainer::latency() const {
  std::lock_guard<std::mutex> lock(state_lock_);
  return worker_ ? std::chrono::nanoseconds(0) : latency_;
}

uint64_t StreamExplainer::explained_frames() const {
  std::lock_guard<std::mutex> lock(state_lock_);
  return explained_frames_;
}

uint64_t StreamExplainer::dropped_frames() const { return worker_ ? worker_->dropped() : 0; }

// Called with the engine lock held.
void StreamExplainer::rebuild_if_reconfigured() {
  ExplainerSettings settings;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (settings_revision_ == explainer_revision_) return;
    settings = settings_;
    explainer_revision_ = settings_revision_;
  }
  if (const auto problem = target_class_problem(settings.target_class, model_->num_classes())) {
    if (events_.warning) events_.warning(*problem + "; explaining the predicted class instead");
    settings.target_class = kPredictedClass;
  }
  explainer_ = make_explainer(settings);
}

std::unique_ptr<FrameExplainer> StreamExplainer::make_explainer(const ExplainerSettings& settings) {
  auto explainer = std::make_unique<FrameExplainer>(*model_, settings.score_cam, settings.reuse,
                                                    settings.target_class, settings.method);
  const ReuseOptions& reuse = settings.reuse;
  const bool asks_for_reuse = reuse.refresh_interval > 1 || reuse.rolling || reuse.drift_threshold > 0;
  if (asks_for_reuse && !explainer->reuses_scores() && events_.warning) {
    events_.warning(method_name(settings.method.method) +
                    " has no channel scores to reuse: refresh-interval, rolling and drift-threshold do not apply, "
                    "every frame is explained in full (one forward and one backward pass)");
  }
  return explainer;
}

std::shared_ptr<const Heatmap> StreamExplainer::explain(const ImageView& frame, int64_t timestamp,
                                                         uint64_t generation,
                                                         std::chrono::steady_clock::time_point submitted) {
  std::lock_guard<std::mutex> engine(engine_lock_);
  rebuild_if_reconfigured();
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (generation != generation_) return nullptr;
    if (std::exchange(restart_reuse_, false)) explainer_->reset();
  }
  if (events_.explaining) events_.explaining();

  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  auto heat = std::make_shared<Heatmap>();
  heat->result = explainer_->process(frame);
  if (heat->result.valid && heat->result.top.empty()) throw Error("the explainer returned no classification");
  heat->result.map = heat->result.map.to(torch::kCPU, torch::kFloat).contiguous();
  if (heat->result.target_class >= 0) heat->target_label = model_->label(heat->result.target_class);
  heat->caption = caption_text(heat->result, heat->target_label);
  heat->source_timestamp = timestamp;
  const auto finished = std::chrono::steady_clock::now();
  const auto elapsed = finished - start;
  heat->latency = std::chrono::duration_cast<std::chrono::nanoseconds>(finished - submitted);
  explainer_->frame_finished(std::chrono::duration<double>(elapsed).count());

  std::chrono::nanoseconds grown_latency{0};
  bool first_invalid = false, first_over_budget = false;
  const double budget_ms = explainer_->budgeted() ? explainer_->reuse_options().frame_budget_ms : 0;
  const double elapsed_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (generation != generation_) return nullptr;
    latest_ = heat;
    ++explained_frames_;
    first_invalid = !heat->result.valid && !std::exchange(warned_invalid_, true);
    // The first frames pay for TorchScript's profiling runs: judge the budget after them.
    first_over_budget = budget_ms > 0 && explained_frames_ > kWarmUpFrames && elapsed_ms > budget_ms * 1.25 &&
                        !std::exchange(warned_over_budget_, true);
    // Sync: tell the caller when frames take clearly longer than the latency it reported. With
    // rolling refresh a forced full refresh is the exception the latency does not cover.
    const bool exception = explainer_->rolling() && heat->result.full_refresh;
    if (!worker_ && !exception && elapsed > latency_ + latency_ / 4) {
      latency_ = grown_latency = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
    }
  }
  if (grown_latency.count() > 0 && events_.latency_grew) events_.latency_grew(grown_latency);
  if (first_over_budget && events_.warning) {
    events_.warning("a frame took " + std::to_string(static_cast<int>(elapsed_ms)) + " ms, over frame-budget-ms=" +
                    std::to_string(static_cast<int>(budget_ms)) +
                    ": the first pass alone and one rescored channel take about that; raise the budget, or use "
                    "a faster precision or device");
  }
  if (first_invalid && events_.warning) {
    events_.warning("the model's class scores are not finite (NaN or infinity): such frames are marked invalid "
                    "and get no heatmap; check the model file and its input normalization");
  }
  return heat;
}

}  // namespace scorecam
