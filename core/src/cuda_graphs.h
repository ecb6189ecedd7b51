#pragma once
// CUDA graphs for the masked batches (ModelOptions::cuda_graphs).
//
// Every masked batch is the same module on the same shape: its few hundred kernel launches can be
// recorded once as a CUDA graph and then replayed with one launch. That saves the time the CPU
// spends launching them where the GPU would otherwise wait for it (small models, small batches,
// half precision); elsewhere a replay only adds a copy of the input and of the output. So each
// batch shape is timed both ways when first seen, and its graph kept only where the replay was
// faster and gave the same output.
#include <functional>
#include <memory>
#include <string>

#include <torch/script.h>

namespace scorecam::detail {

class CudaGraphs {
 public:
  using Pass = std::function<torch::Tensor(const torch::Tensor& batch)>;

  // Throws Error where `device` is not a CUDA device, or this build cannot record graphs (LibTorch
  // without CUDA or older than 2.0, or built with SCORECAM_CUDA_GRAPHS off).
  static std::unique_ptr<CudaGraphs> make(const torch::Device& device);
  virtual ~CudaGraphs() = default;

  // pass(batch), or the replay of its graph where that was kept for this shape. The first batch of
  // a shape runs about a dozen passes to time and record it. From any thread, one at a time.
  virtual torch::Tensor run(const torch::Tensor& batch, const Pass& pass) = 0;
  // Each shape seen, how its batches run and the times that decided it.
  virtual std::string how() const = 0;
};

}  // namespace scorecam::detail
