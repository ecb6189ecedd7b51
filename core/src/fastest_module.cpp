#include "fastest_module.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <torch/cuda.h>

namespace scorecam::detail {
namespace {

// Per copy: TorchScript's profiling executor records shapes on the first call and optimizes the
// graph on the second, so neither says how fast the copy runs.
constexpr int kWarmUpCalls = 2;
constexpr int kTimedCalls = 2;

}  // namespace

FastestModule::FastestModule(std::vector<Variant> variants)
    : variants_(std::move(variants)), timings_(variants_.size()) {}

void FastestModule::time_batches_of(int64_t batch) {
  if (batch <= batch_) return;
  batch_ = batch;  // a larger batch: time that size from scratch
  timings_.assign(variants_.size(), Timing{});
}

void FastestModule::warm_up(const torch::Tensor& input) {
  for (Variant& variant : variants_) {
    for (int call = 0; call < kWarmUpCalls; ++call) variant.module.forward({input});
  }
  if (decided()) return;
  time_batches_of(input.size(0));
  if (input.size(0) != batch_) return;
  for (Timing& timing : timings_) timing.calls = std::max(timing.calls, kWarmUpCalls);
}

torch::jit::IValue FastestModule::forward(const torch::Tensor& input) {
  if (decided()) return variants_.front().module.forward({input});
  const int64_t batch = input.size(0);
  time_batches_of(batch);
  const std::size_t index = turn_++ % variants_.size();
  const auto start = std::chrono::steady_clock::now();
  torch::jit::IValue output = variants_[index].module.forward({input});
  if (input.is_cuda()) torch::cuda::synchronize(input.device().index());
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Timing& timing = timings_[index];
  if (batch == batch_ && timing.calls++ >= kWarmUpCalls) {
    timing.seconds += elapsed;
    timing.images += batch;
  }
  bool all_timed = true;
  for (const Timing& t : timings_) all_timed = all_timed && t.calls >= kWarmUpCalls + kTimedCalls;
  if (all_timed) keep_fastest();
  return output;
}

void FastestModule::keep_fastest() {
  std::size_t best = 0;
  std::string rates;
  for (std::size_t i = 0; i < variants_.size(); ++i) {
    const Timing& t = timings_[i];
    if (t.seconds * timings_[best].images < timings_[best].seconds * t.images) best = i;
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f", t.images / t.seconds);
    rates += (rates.empty() ? "" : " against ") + std::string(rate);
  }
  chosen_because_ = " (the fastest of " + std::to_string(variants_.size()) + " exact copies timed on batches of " +
                    std::to_string(batch_) + ": " + rates + " images/s)";
  Variant kept = std::move(variants_[best]);
  variants_.assign(1, std::move(kept));
  timings_.clear();
}

bool FastestModule::frozen() const {
  for (const Variant& variant : variants_) {
    if (!variant.frozen) return false;
  }
  return true;
}

std::string FastestModule::how() const {
  if (decided()) return variants_.front().how + chosen_because_;
  std::string names;
  for (const Variant& variant : variants_) names += (names.empty() ? "" : "; ") + variant.how;
  return "timing " + std::to_string(variants_.size()) + " exact copies on the first batches (" + names + ")";
}

}  // namespace scorecam::detail
