#include "scorecam/maps.h"

namespace scorecam {

torch::Tensor upsample_planes(const torch::Tensor& planes, int64_t height, int64_t width) {
  return at::upsample_bilinear2d(planes, {height, width}, /*align_corners=*/false);
}

torch::Tensor normalize_planes(const torch::Tensor& planes) {
  const auto flat = planes.flatten(-2);
  const auto low = flat.amin(-1, /*keepdim=*/true);
  const auto range = flat.amax(-1, /*keepdim=*/true) - low;
  const auto safe_range = torch::where(range > 0, range, torch::ones_like(range));
  return torch::where(range > 0, (flat - low) / safe_range, torch::zeros_like(flat)).view(planes.sizes());
}

torch::Tensor weighted_map(const torch::Tensor& activations, const torch::Tensor& weights, int64_t height,
                           int64_t width, bool& empty) {
  c10::InferenceMode guard;
  const auto maps = activations[0].flatten(1).to(torch::kFloat);  // [K, h*w]
  // Bilinear upsampling is linear, so upsampling the weighted sum equals the official code's
  // sum of upsampled channels, for one upsample instead of K.
  const auto sum = weights.to(torch::kFloat).matmul(maps).view({1, 1, activations.size(2), activations.size(3)});
  const auto saliency = upsample_planes(sum, height, width).view({height, width}).relu();
  empty = !(saliency.amax() > saliency.amin()).item<bool>();
  return normalize_planes(saliency);
}

torch::Tensor channel_masks(const torch::Tensor& maps, const torch::Tensor& input) {
  const int64_t count = maps.size(1), height = input.size(2), width = input.size(3);
  return normalize_planes(upsample_planes(maps.to(torch::kFloat), height, width))
      .view({count, 1, height, width})
      .to(input.scalar_type());
}

torch::Tensor masked_inputs(const torch::Tensor& input, const torch::Tensor& activations, const torch::Tensor& channels) {
  c10::InferenceMode guard;
  auto out = torch::empty({channels.numel(), input.size(1), input.size(2), input.size(3)}, input.options());
  if (channels.numel() > 0) at::mul_out(out, input, channel_masks(activations.index_select(1, channels), input));
  return out;
}

torch::Tensor resize_map(const torch::Tensor& map, int height, int width) {
  c10::InferenceMode guard;
  auto planes = map.to(torch::kFloat).view({1, 1, map.size(0), map.size(1)});
  if (map.size(0) != height || map.size(1) != width) planes = upsample_planes(planes, height, width);
  return planes.view({height, width}).clamp(0.0, 1.0).to(torch::kCPU).contiguous();
}

}  // namespace scorecam
