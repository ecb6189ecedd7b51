#include "scorecam/cam_method.h"

#include "scorecam/faithfulness.h"
#include "scorecam/maps.h"
#include "scorecam/target_class.h"

namespace scorecam {

FirstPass CamMethod::first_pass(const torch::Tensor& input, int target_class) {
  c10::InferenceMode guard;
  const auto forward = model_.forward(input);
  FirstPass pass{forward.logits, forward.activations};
  pass.target_class = resolve_target_class(forward.logits, target_class);
  return pass;
}

torch::Tensor CamMethod::select_channels(const torch::Tensor& activations) const {
  return torch::empty({0}, torch::TensorOptions().device(activations.device()).dtype(torch::kLong));
}

ChannelScores CamMethod::empty_scores() const {
  c10::InferenceMode guard;
  const int64_t channels = model_.activation_shape()[0];
  const auto on_device = torch::TensorOptions().device(model_.device());
  return {torch::zeros({channels}, on_device.dtype(torch::kFloat)),
          torch::zeros({channels}, on_device.dtype(torch::kBool))};
}

int CamMethod::score_channels(const torch::Tensor&, const FirstPass&, const torch::Tensor&, ChannelScores&, bool) {
  return 0;
}

torch::Tensor CamMethod::combine(const torch::Tensor& activations, const torch::Tensor& weights, bool& empty) const {
  return weighted_map(activations, weights, model_.config().input_height, model_.config().input_width, empty);
}

torch::Tensor CamMethod::map_of(const FirstPass& pass, const ChannelScores& scores, bool& empty) const {
  return combine(pass.activations, weigh(pass, scores), empty);
}

void CamMethod::report_precision_trial(const FirstPass& pass, const ChannelScores& scores, const torch::Tensor& map) {
  if (scores.compared.empty()) return;
  c10::InferenceMode guard;
  std::vector<double> correlations;
  for (const torch::Tensor& compared : scores.compared) {
    bool empty = false;
    correlations.push_back(map_correlation(map_of(pass, {compared, scores.evaluated}, empty), map));
  }
  model_.report_map_agreement(correlations);
}

Explanation CamMethod::explain(const torch::Tensor& input, int target_class) {
  const FirstPass pass = first_pass(input, target_class);
  ChannelScores scores = empty_scores();
  const int masked_passes = score_channels(input, pass, select_channels(pass.activations), scores, true);
  c10::InferenceMode guard;
  Explanation result;
  result.target_class = pass.target_class;
  result.probabilities = torch::softmax(pass.logits[0].to(torch::kFloat), 0).to(torch::kCPU);
  const auto weights = weigh(pass, scores);
  const auto map = combine(pass.activations, weights, result.empty);
  report_precision_trial(pass, scores, map);
  result.map = map.to(torch::kCPU);
  result.weights = weights.to(torch::kCPU, torch::kFloat);
  result.channels_evaluated = masked_passes;
  return result;
}

}  // namespace scorecam
