#include "scorecam/grad_cam.h"

#include <chrono>

namespace scorecam {

GradCam::GradCam(Model& model, bool plus_plus) : CamMethod(model), plus_plus_(plus_plus) {}

CamMethod::Evidence GradCam::weigh(const torch::Tensor& input, int target_class) {
  check_target(target_class);
  GradientResult pass = model_.gradients(input, target_class);
  c10::InferenceMode guard;
  Evidence evidence{pass.logits, pass.activations};
  evidence.target_class = pass.target_class;
  const auto g = pass.gradients[0].to(torch::kFloat);  // [K, h, w]
  if (!plus_plus_) {
    evidence.weights = g.mean({1, 2});
    return evidence;
  }
  // Grad-CAM++'s closed form for the logit's gradients, as pytorch-grad-cam computes it: the
  // second- and third-order terms are powers of the first, and positions without gradient get 0.
  const auto activation_sums = pass.activations[0].to(torch::kFloat).sum({1, 2}).view({-1, 1, 1});
  const auto squared = g.pow(2);
  auto alpha = squared / (2 * squared + activation_sums * g.pow(3) + 1e-6);
  alpha = torch::where(g != 0, alpha, torch::zeros_like(alpha));
  evidence.weights = (alpha * g.relu()).sum({1, 2});
  return evidence;
}

double GradCam::estimate_seconds_per_frame(int) {
  const auto input = model_.smooth_test_input();
  model_.gradients(input, -1);  // loads the module for gradients, and TorchScript profiles its first run
  const auto start = std::chrono::steady_clock::now();
  model_.gradients(input, -1).gradients.sum().item<float>();  // waits for the device
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace scorecam
