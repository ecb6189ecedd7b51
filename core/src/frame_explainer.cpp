#include "scorecam/frame_explainer.h"

#include <chrono>

#include "scorecam/error.h"
#include "scorecam/target_class.h"

namespace scorecam {

std::vector<ClassScore> top_classes(const Model& model, const torch::Tensor& probabilities, int k) {
  // A stable sort breaks ties by the lower class, as argmax picks the predicted class
  // (resolve_target_class), so that the best class named is the one a -1 target explains.
  const auto sorted = probabilities.to(torch::kCPU).sort(/*stable=*/true, /*dim=*/0, /*descending=*/true);
  const auto values = std::get<0>(sorted), indices = std::get<1>(sorted);
  std::vector<ClassScore> top;
  for (int64_t i = 0; i < std::min<int64_t>(k, values.numel()); ++i) {
    const int id = static_cast<int>(indices[i].item<int64_t>());
    top.push_back({id, model.label(id), values[i].item<float>()});
  }
  return top;
}

std::string caption_text(const FrameResult& result, const std::string& target_label) {
  if (!result.valid || result.top.empty()) return "no valid model output";
  const ClassScore& best = result.top.front();
  std::string text = best.label + " " + std::to_string(static_cast<int>(best.probability * 100.f + 0.5f)) + "%";
  if (result.target_class != best.class_id) text += " | map: " + target_label;
  return text;
}

FrameExplainer::FrameExplainer(Model& model, ScoreCamOptions score_cam, ReuseOptions reuse, int target_class,
                               MethodOptions method)
    : method_(make_method(model, method, score_cam)),
      reuse_(reuse),
      target_class_(target_class) {
  if (reuse_.refresh_interval < 1) throw Error("refresh-interval must be at least 1");
  if (!(reuse_.drift_threshold >= 0.0)) throw Error("drift-threshold must be 0 (off) or positive");
  if (!(reuse_.smoothing >= 0.0 && reuse_.smoothing < 1.0)) throw Error("smoothing must be within [0, 1)");
  if (!(reuse_.frame_budget_ms >= 0.0)) throw Error("frame-budget-ms must be 0 (off) or positive");
  if (reuse_.frame_budget_ms > 0 && method_->keeps_channel_scores()) budget_.emplace(reuse_.frame_budget_ms / 1000.0);
  check_target_class(target_class, model.num_classes());
}

double FrameExplainer::estimate_worst_frame_seconds() {
  if (budget_) return budget_->seconds();
  return method_->estimate_seconds_per_frame(rolling() ? reuse_.refresh_interval : 1);
}

void FrameExplainer::reset() {
  scores_ = {};
  refresh_activations_ = torch::Tensor();
  refresh_channels_ = torch::Tensor();
  refresh_class_ = -1;
  frames_since_refresh_ = 0;
  rolling_cursor_ = 0;
  previous_map_ = torch::Tensor();
}

bool FrameExplainer::needs_full_refresh(int target, const torch::Tensor& activations) const {
  if (!scores_.scores.defined() || target != refresh_class_) return true;
  if (!reuse_.rolling && frames_since_refresh_ >= reuse_.refresh_interval) return true;
  return drifted(activations);
}

bool FrameExplainer::drifted(const torch::Tensor& activations) const {
  if (reuse_.drift_threshold <= 0.0) return false;
  const auto reference = refresh_activations_.to(torch::kFloat);
  const double change = (activations.to(torch::kFloat) - reference).norm().item<double>() /
                        std::max(reference.norm().item<double>(), 1e-12);
  return change > reuse_.drift_threshold;
}

torch::Tensor FrameExplainer::next_channels(int64_t size) {
  const int64_t count = refresh_channels_.numel();
  if (count == 0) return refresh_channels_;
  const int64_t start = rolling_cursor_ % count;
  const int64_t end = std::min(count, start + size);
  rolling_cursor_ = static_cast<int>(end % count);
  return refresh_channels_.slice(0, start, end);
}

void FrameExplainer::rescore_within_budget(const torch::Tensor& input, const FirstPass& pass, double first_pass_seconds,
                                           FrameResult& result) {
  if (!scores_.scores.defined() || pass.target_class != refresh_class_ || drifted(pass.activations)) {
    // Afresh rather than all at once, which would break the budget: the map grows from the
    // channels scored so far (unscored ones weigh 0) until every channel is.
    refresh_channels_ = method_->select_channels(pass.activations);
    scores_ = method_->empty_scores();
    refresh_activations_ = pass.activations;
    refresh_class_ = pass.target_class;
    rolling_cursor_ = 0;
  }
  const int64_t count = refresh_channels_.numel();
  const int64_t share = budget_->channels(first_pass_seconds, count);
  const auto start = std::chrono::steady_clock::now();
  const auto slice = next_channels(share);
  result.forward_passes += method_->score_channels(input, pass, slice, scores_, false);
  scores_.scores.sum().item<float>();  // waits for the device, for an honest timing
  budget_->observe(first_pass_seconds, slice.numel(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  result.refreshed = slice.numel() > 0;
  result.refresh_period = share > 0 ? static_cast<int>((count + share - 1) / share) : 1;
}

FrameResult FrameExplainer::invalid_result() const {
  FrameResult result;
  result.valid = false;
  result.target_class = target_class_;
  result.empty = true;
  const auto& config = method_->model().config();
  result.map = torch::zeros({config.input_height, config.input_width});
  return result;
}

torch::Tensor FrameExplainer::smoothed(const torch::Tensor& map) {
  const auto blended = reuse_.smoothing > 0.0 && previous_map_.defined()
                           ? map * (1.0 - reuse_.smoothing) + previous_map_ * reuse_.smoothing
                           : map;
  previous_map_ = blended;
  return blended.to(torch::kCPU);
}

// The steps of CamMethod::explain(), with the channel scores kept from frame to frame: a full
// refresh scores every selected channel as explain() does, a rolling one the next share of them.
FrameResult FrameExplainer::process(const ImageView& frame) {
  c10::InferenceMode guard;
  const auto start = std::chrono::steady_clock::now();
  const auto input = to_model_input(frame, method_->model());
  const FirstPass pass = method_->first_pass(input, target_class_);
  if (!torch::isfinite(pass.logits).all().item<bool>()) return invalid_result();
  FrameResult result;
  result.forward_passes = 1;
  result.top = top_classes(method_->model(), torch::softmax(pass.logits[0].to(torch::kFloat), 0), 5);
  result.target_class = pass.target_class;
  result.refresh_period = reuses_scores() ? reuse_.refresh_interval : 1;
  // Until the model has chosen its masked passes' precision, frames are explained in full (the
  // budget's too): the first such frame's map decides it (Model::report_map_agreement).
  const bool choosing_precision = method_->model().comparing_precisions();
  if (budget_ && !choosing_precision) {
    rescore_within_budget(input, pass, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                          result);
  } else if (choosing_precision || !reuses_scores() || reuse_.refresh_interval == 1 ||
             needs_full_refresh(pass.target_class, pass.activations)) {
    // Forced refreshes are full, even in rolling mode: stale scores of another class would mislead.
    refresh_channels_ = method_->select_channels(pass.activations);
    scores_ = method_->empty_scores();
    result.forward_passes += method_->score_channels(input, pass, refresh_channels_, scores_, true);
    refresh_activations_ = pass.activations;
    refresh_class_ = pass.target_class;
    frames_since_refresh_ = 0;
    rolling_cursor_ = 0;
    result.refreshed = result.full_refresh = true;
  } else if (reuse_.rolling) {
    const auto slice = next_channels((refresh_channels_.numel() + reuse_.refresh_interval - 1) / reuse_.refresh_interval);
    result.forward_passes += method_->score_channels(input, pass, slice, scores_, false);
    result.refreshed = slice.numel() > 0;
  }
  ++frames_since_refresh_;
  const auto map = method_->map_of(pass, scores_, result.empty);
  method_->report_precision_trial(pass, scores_, map);
  scores_.compared.clear();  // once reported: later frames rescore without them
  result.map = smoothed(map);
  frame_finished(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return result;
}

void FrameExplainer::frame_finished(double seconds) {
  if (budget_) budget_->observe_frame(seconds);
}

}  // namespace scorecam
