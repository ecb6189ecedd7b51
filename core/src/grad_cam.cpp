#include "scorecam/grad_cam.h"

#include <chrono>

namespace scorecam {

GradCam::GradCam(Model& model, bool plus_plus) : CamMethod(model), plus_plus_(plus_plus) {}

FirstPass GradCam::first_pass(const torch::Tensor& input, int target_class) {
  GradientResult pass = model_.gradients(input, target_class);
  return {pass.logits, pass.activations, pass.gradients, pass.target_class};
}

torch::Tensor GradCam::weigh(const FirstPass& pass, const ChannelScores&) const {
  c10::InferenceMode guard;
  const auto g = pass.gradients[0].to(torch::kFloat);  // [K, h, w]
  if (!plus_plus_) return g.mean({1, 2});
  // Grad-CAM++'s closed form for the logit's gradients, as pytorch-grad-cam computes it: the
  // second- and third-order terms are powers of the first, and positions without gradient get 0.
  const auto activation_sums = pass.activations[0].to(torch::kFloat).sum({1, 2}).view({-1, 1, 1});
  const auto squared = g.pow(2);
  auto alpha = squared / (2 * squared + activation_sums * g.pow(3) + 1e-6);
  alpha = torch::where(g != 0, alpha, torch::zeros_like(alpha));
  return (alpha * g.relu()).sum({1, 2});
}

double GradCam::estimate_seconds_per_frame(int) {
  const auto input = model_.smooth_test_input();
  model_.gradients(input, -1);  // loads the module for gradients, and TorchScript profiles its first run
  const auto start = std::chrono::steady_clock::now();
  model_.gradients(input, -1).gradients.sum().item<float>();  // waits for the device
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace scorecam
