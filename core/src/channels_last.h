#pragma once
// Copies of the masked passes' module with its 4-D weights in channels_last order (NHWC), timed
// with its other exact copies (FastestModule) and so kept only where faster.
//
// A convolution runs in channels_last order when its input or its weight is in that order, and its
// output stays so for the layers after it. On a GPU cuDNN's tensor-core kernels are NHWC, which is
// why PyTorch recommends channels_last for fp16 and bf16 convolutions there; on a CPU oneDNN picks
// its own blocked formats either way. Which is faster depends on the model, device and precision,
// so it is measured rather than assumed.
#include <vector>

#include <torch/script.h>

#include "fastest_module.h"

namespace scorecam::detail {

// exact_copies() of `module` once its weights and buffers of four dimensions are in channels_last
// order, each `how` saying so. With a probe, the converted module must first match `module` on it
// (within exact_tolerance), else Error says by how much.
std::vector<Variant> channels_last_copies(const torch::jit::Module& module, const torch::Tensor* probe);

}  // namespace scorecam::detail
