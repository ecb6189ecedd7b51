#pragma once
// Copies of one TorchScript module that compute the same classification; timed once, at load, on
// a batch like those they will run, and the fastest stays.
//
// Which copy is fastest depends on the model and even on the input's values: on this project's
// 2-core CPU, oneDNN's prepacked path (optimize_for_inference) ran the bundled model's masked
// scenes about 25% slower than plain freezing, and ResNet-18's masked photos about 6% faster.
// So it is measured on masked inputs, the way cuDNN's autotuning picks an algorithm. Timing at
// load rather than on the first frames keeps the first frames at steady speed and lets a shared
// model merge its streams' passes from the start.
//
// The exact copies are made from a list of candidates (Candidate in fastest_module.cpp: how a copy
// is made, and within what tolerance it must match the module on a probe input); those that match
// are timed. Reduced-precision copies (reduced_precision.h) join them as further variants.
#include <string>
#include <vector>

#include <torch/script.h>

namespace scorecam::detail {

struct Variant {
  torch::jit::Module module;
  std::string how;  // how it runs, e.g. "frozen and optimized for inference"
  bool frozen = false;
  torch::ScalarType input_type = torch::kFloat;  // its input is converted to this first
  // Names how the copy is made, the same from one load to the next, so that a load can make the
  // copy an earlier one chose and no other (copy_choice_cache.h): e.g. "frozen+optimized", "int8".
  std::string key;
};

// The copies of `module` worth timing: its exact copies that match it on `probe`, frozen (attributes
// folded into constants, BatchNorm into the convolutions before it), and frozen then optimized for
// inference (on the CPU, oneDNN operators with prepacked weights); `module` itself when none does.
// Without a probe (optimization off), `module` as loaded. `only` (a Variant::key): that copy alone,
// or none when it cannot be made or does not match.
std::vector<Variant> exact_copies(const torch::jit::Module& module, const torch::Tensor* probe,
                                  const std::string& only = "");

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

  // Times every copy on `batch` (after the calls TorchScript spends optimizing it for that shape)
  // and keeps the fastest; a single copy is timed too, for images_per_second().
  void keep_fastest(const torch::Tensor& batch);
  // For the one copy an earlier load chose: its rate then, and how it was chosen, instead of timing.
  void remember(double images_per_second, const std::string& chosen_because);
  // Runs the kept copy (the first, until keep_fastest()).
  torch::jit::IValue forward(const torch::Tensor& input);
  // Runs every copy through the calls that TorchScript spends optimizing it for this input's shape,
  // so that the caller's first frames do not pay for them.
  void warm_up(const torch::Tensor& input);

  // The kept copy's `how` with the rates that chose it, or the copies not yet timed.
  std::string how() const;
  // The first copy's `how` and `key` alone: the kept one's once decided.
  const std::string& copy_how() const { return variants_.front().how; }
  const std::string& copy_key() const { return variants_.front().key; }
  bool decided() const { return variants_.size() == 1; }
  bool frozen() const;  // every copy still in the running is frozen
  // The kept copy's rate on the batch keep_fastest() timed; 0 before.
  double images_per_second() const { return images_per_second_; }

 private:
  std::vector<Variant> variants_;
  double images_per_second_ = 0;
  std::string chosen_because_;
};

}  // namespace scorecam::detail
