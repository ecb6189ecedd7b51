#pragma once
// The masked passes' module with its 4-D weights in channels_last order (NHWC), for copies timed
// with its other copies (FastestModule) and so kept only where faster.
//
// A convolution runs in channels_last order when its input or its weight is in that order, and its
// output stays so for the layers after it. On a GPU cuDNN's tensor-core kernels are NHWC, which is
// why PyTorch recommends channels_last for fp16 and bf16 convolutions there; on a CPU oneDNN picks
// its own blocked formats either way. Which is faster depends on the model, device and precision,
// so it is measured rather than assumed.
#include <torch/script.h>

namespace scorecam::detail {

// A copy of `module` whose weights and buffers of four dimensions are in channels_last order. With
// a probe, it must first match `module` on it (within exact_tolerance), else Error says by how much.
torch::jit::Module in_channels_last(const torch::jit::Module& module, const torch::Tensor* probe);

}  // namespace scorecam::detail
