#include "scorecam/cam_method.h"

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

int CamMethod::score_channels(const torch::Tensor&, const FirstPass&, const torch::Tensor&, ChannelScores&) {
  return 0;
}

torch::Tensor CamMethod::combine(const torch::Tensor& activations, const torch::Tensor& weights, bool& empty) const {
  return weighted_map(activations, weights, model_.config().input_height, model_.config().input_width, empty);
}

Explanation CamMethod::explain(const torch::Tensor& input, int target_class) {
  const FirstPass pass = first_pass(input, target_class);
  ChannelScores scores = empty_scores();
  const int masked_passes = score_channels(input, pass, select_channels(pass.activations), scores);
  c10::InferenceMode guard;
  Explanation result;
  result.target_class = pass.target_class;
  result.probabilities = torch::softmax(pass.logits[0].to(torch::kFloat), 0).to(torch::kCPU);
  const auto weights = weigh(pass, scores);
  result.map = combine(pass.activations, weights, result.empty).to(torch::kCPU);
  result.weights = weights.to(torch::kCPU, torch::kFloat);
  result.channels_evaluated = masked_passes;
  return result;
}

}  // namespace scorecam
