#include "scorecam/frame_explainer.h"

#include "scorecam/error.h"

namespace scorecam {

std::vector<ClassScore> top_classes(const Model& model, const torch::Tensor& probabilities, int k) {
  const auto best = probabilities.to(torch::kCPU).topk(std::min<int64_t>(k, probabilities.numel()));
  const auto values = std::get<0>(best), indices = std::get<1>(best);
  std::vector<ClassScore> top;
  for (int64_t i = 0; i < values.numel(); ++i) {
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
      score_cam_(dynamic_cast<ScoreCam*>(method_.get())),
      reuse_(reuse),
      target_class_(target_class) {
  if (reuse_.refresh_interval < 1) throw Error("refresh-interval must be at least 1");
  if (!(reuse_.drift_threshold >= 0.0)) throw Error("drift-threshold must be 0 (off) or positive");
  if (!(reuse_.smoothing >= 0.0 && reuse_.smoothing < 1.0)) throw Error("smoothing must be within [0, 1)");
  if (target_class >= model.num_classes()) {
    throw Error("target class " + std::to_string(target_class) + " is out of range: the model has " +
                std::to_string(model.num_classes()) + " classes");
  }
}

double FrameExplainer::estimate_worst_frame_seconds() {
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
  if (reuse_.drift_threshold > 0.0) {
    const auto reference = refresh_activations_.to(torch::kFloat);
    const double change = (activations.to(torch::kFloat) - reference).norm().item<double>() /
                          std::max(reference.norm().item<double>(), 1e-12);
    if (change > reuse_.drift_threshold) return true;
  }
  return false;
}

// The next 1/N of the refreshed channels, wrapping around.
torch::Tensor FrameExplainer::rolling_slice(const torch::Tensor& channels) {
  const int64_t count = channels.numel();
  if (count == 0) return channels;
  const int64_t size = (count + reuse_.refresh_interval - 1) / reuse_.refresh_interval;
  const int64_t start = rolling_cursor_ % count;
  const int64_t end = std::min(count, start + size);
  rolling_cursor_ = static_cast<int>(end % count);
  return channels.slice(0, start, end);
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

FrameResult FrameExplainer::explain_in_full(const torch::Tensor& input) {
  const Explanation explanation = method_->explain(input, target_class_);
  c10::InferenceMode guard;
  if (!torch::isfinite(explanation.probabilities).all().item<bool>()) return invalid_result();
  FrameResult result;
  result.top = top_classes(method_->model(), explanation.probabilities, 5);
  result.target_class = explanation.target_class;
  result.empty = explanation.empty;
  result.refreshed = result.full_refresh = true;
  result.forward_passes = 1 + explanation.channels_evaluated;
  result.map = smoothed(explanation.map);
  return result;
}

FrameResult FrameExplainer::process(const ImageView& frame) {
  c10::InferenceMode guard;
  Model& model = method_->model();
  const auto input = to_model_input(frame, model);
  if (!score_cam_) return explain_in_full(input);
  const auto forward = model.forward(input);
  if (!torch::isfinite(forward.logits).all().item<bool>()) return invalid_result();
  FrameResult result;
  result.forward_passes = 1;
  const auto probabilities = torch::softmax(forward.logits[0], 0).to(torch::kCPU);

  result.top = top_classes(model, probabilities, 5);
  result.target_class = target_class_ >= 0 ? target_class_ : result.top.front().class_id;
  if (reuse_.refresh_interval == 1 || needs_full_refresh(result.target_class, forward.activations)) {
    // Forced refreshes are full, even in rolling mode: stale scores of another class would mislead.
    refresh_channels_ = score_cam_->select_channels(forward.activations);
    scores_ = score_cam_->empty_scores();
    score_cam_->score_channels(input, forward.activations, refresh_channels_, result.target_class, scores_);
    refresh_activations_ = forward.activations;
    refresh_class_ = result.target_class;
    frames_since_refresh_ = 0;
    rolling_cursor_ = 0;
    result.refreshed = true;
    result.full_refresh = true;
    result.forward_passes += static_cast<int>(refresh_channels_.numel()) * score_cam_->samples();
  } else if (reuse_.rolling) {
    const auto slice = rolling_slice(refresh_channels_);
    score_cam_->score_channels(input, forward.activations, slice, result.target_class, scores_);
    result.refreshed = slice.numel() > 0;
    result.forward_passes += static_cast<int>(slice.numel()) * score_cam_->samples();
  }
  ++frames_since_refresh_;
  result.map = smoothed(score_cam_->combine(forward.activations, scores_, result.empty));
  return result;
}

}  // namespace scorecam
