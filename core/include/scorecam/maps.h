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
// Score-CAM's masks: the channels of `maps` ([1, k, h, w]) upsampled to the input's size and
// normalized to [0, 1], [k, 1, H, W] in the input's type. They multiply the normalized input, so a
// masked-out pixel becomes the mean colour.
torch::Tensor channel_masks(const torch::Tensor& maps, const torch::Tensor& input);
// The masked inputs X * M_k of `channels` ([k] int64) of `activations` ([1, K, h, w]), [k, C, H, W]:
// what Score-CAM classifies, for whoever measures a model on exactly those inputs.
torch::Tensor masked_inputs(const torch::Tensor& input, const torch::Tensor& activations, const torch::Tensor& channels);
// Bilinear resize of a [h, w] map (any device) to [height, width] float32 on the CPU.
torch::Tensor resize_map(const torch::Tensor& map, int height, int width);

}  // namespace scorecam
