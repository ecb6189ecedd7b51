#pragma once
// Exact copies of one TorchScript module that take turns on its first real batches; the fastest stays.
//
// Which copy is fastest depends on the model and even on the input's values: on this project's
// 2-core CPU, oneDNN's prepacked path (optimize_for_inference) ran the bundled model's masked
// scenes about 25% slower than plain freezing, and ResNet-18's masked photos about 6% faster.
// So it is measured on the inputs that matter, the way cuDNN's autotuning picks an algorithm.
// Every copy computes the same result, so no work is wasted while they are timed.
//
// The copies to time are made from a list of candidates (Candidate in fastest_module.cpp: how a
// copy is made, and within what tolerance it must match the module on a probe input); those that
// match are timed.
#include <string>
#include <vector>

#include <torch/script.h>

namespace scorecam::detail {

struct Variant {
  torch::jit::Module module;
  std::string how;  // how it runs, e.g. "frozen and optimized for inference"
  bool frozen = false;
};

// The copies of `module` worth timing: its exact copies that match it on `probe`, frozen (attributes
// folded into constants, BatchNorm into the convolutions before it), and frozen then optimized for
// inference (on the CPU, oneDNN operators with prepacked weights); `module` itself when none does.
// Without a probe (optimization off), `module` as loaded.
std::vector<Variant> exact_copies(const torch::jit::Module& module, const torch::Tensor* probe);

// `module` as loaded, where no frozen copy can run it: `why` says why.
Variant as_loaded(const torch::jit::Module& module, const std::string& why);

// The largest difference between two outputs (a tensor or a tuple of them), relative to the
// reference's largest magnitude; and the most it may be for a copy in `dtype` to count as exact.
double relative_difference(const torch::jit::IValue& output, const torch::jit::IValue& reference);
double exact_tolerance(torch::ScalarType dtype);

class FastestModule {
 public:
  FastestModule() = default;
  explicit FastestModule(std::vector<Variant> variants);

  // Runs one of the copies: in turn while they are being timed, then always the fastest.
  torch::jit::IValue forward(const torch::Tensor& input);
  // Runs every copy through the calls that TorchScript spends optimizing it for this input's shape,
  // so that neither the timing nor the caller's first frames pay for them.
  void warm_up(const torch::Tensor& input);

  // The kept copy's `how` with the rates that chose it, or which copies are being timed.
  std::string how() const;
  bool decided() const { return variants_.size() == 1; }
  bool frozen() const;  // every copy still in the running is frozen

 private:
  struct Timing {
    int calls = 0;  // of the timed batch size, warm-up calls included
    double seconds = 0;
    int64_t images = 0;
  };
  void keep_fastest();
  void time_batches_of(int64_t batch);

  std::vector<Variant> variants_;
  std::vector<Timing> timings_;
  std::size_t turn_ = 0;
  int64_t batch_ = 0;  // only calls of the largest batch size seen are timed
  std::string chosen_because_;
};

}  // namespace scorecam::detail
