#pragma once
// Arithmetic on saliency maps and activation planes that every method and the overlay share.
#include <cstdint>

#include <torch/script.h>

namespace scorecam {

// Min-max normalizes each [.., h, w] plane to [0, 1]; constant planes become 0.
torch::Tensor normalize_planes(const torch::Tensor& planes);
// Bilinear upsampling of [N, C, h, w] planes with align_corners=false, as the official code and
// F.interpolate's default.
torch::Tensor upsample_planes(const torch::Tensor& planes, int64_t height, int64_t width);
// The map every method ends with: ReLU(sum_k weights_k A_k) upsampled to height x width, in [0, 1],
// on the activations' device; `empty` set when nothing is positive. activations [1, K, h, w], weights [K].
torch::Tensor weighted_map(const torch::Tensor& activations, const torch::Tensor& weights, int64_t height,
                           int64_t width, bool& empty);
// Bilinear resize of a [h, w] map (any device) to [height, width] float32 on the CPU.
torch::Tensor resize_map(const torch::Tensor& map, int height, int width);

}  // namespace scorecam
