#include "fastest_module.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

#include <torch/cuda.h>

#include "torchscript_error.h"

namespace scorecam::detail {
namespace {

// Per copy: TorchScript's profiling executor records shapes on the first call and optimizes the
// graph on the second, so neither says how fast the copy runs.
constexpr int kWarmUpCalls = 2;
constexpr int kTimedCalls = 2;
constexpr const char* kAsLoaded = "as loaded";

torch::jit::IValue run(Variant& variant, const torch::Tensor& input) {
  return variant.module.forward({input.scalar_type() == variant.input_type ? input : input.to(variant.input_type)});
}

// A copy of a module worth timing, kept only if its output on the probe differs from the module's
// by at most `tolerance`, relative to the largest value.
struct Candidate {
  std::string key;
  std::string how;
  std::function<torch::jit::Module(const torch::jit::Module&)> make;
  double tolerance = 0;
};

// Every tensor of a forward pass's output (a tensor, or a tuple of them), for comparison.
std::vector<torch::Tensor> tensors_of(const torch::jit::IValue& output) {
  if (output.isTensor()) return {output.toTensor()};
  std::vector<torch::Tensor> tensors;
  for (const auto& element : output.toTupleRef().elements()) tensors.push_back(element.toTensor());
  return tensors;
}

}  // namespace

double relative_difference(const torch::jit::IValue& output, const torch::jit::IValue& reference) {
  const auto got = tensors_of(output), expected = tensors_of(reference);
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto a = got.at(i).to(torch::kCPU, torch::kDouble), b = expected[i].to(torch::kCPU, torch::kDouble);
    if (a.sizes() != b.sizes()) return INFINITY;
    const double scale = std::max(1.0, b.abs().max().item<double>());
    worst = std::max(worst, (a - b).abs().max().item<double>() / scale);
  }
  return worst;
}

double exact_tolerance(torch::ScalarType dtype) { return dtype == torch::kFloat ? 1e-3 : 3e-2; }

namespace {

struct CheckedCopies {
  std::vector<Variant> kept;         // frozen, in the candidates' order
  std::vector<std::string> why_not;  // per candidate: why it was not kept, empty if it was
};

// Some copies fail or drift only when run (oneDNN pools only evenly dividing sizes), so each
// candidate is made and run on `probe` before it may be timed.
// Candidates other than `only` (when given) are left out, with that as the reason.
CheckedCopies check(const torch::jit::Module& module, const torch::Tensor& probe,
                    const std::vector<Candidate>& candidates, const std::string& only) {
  c10::InferenceMode guard;
  const torch::jit::IValue reference = const_cast<torch::jit::Module&>(module).forward({probe});
  CheckedCopies result;
  for (const Candidate& candidate : candidates) {
    std::string& why_not = result.why_not.emplace_back();
    if (!only.empty() && candidate.key != only) {
      why_not = "not the copy asked for";
      continue;
    }
    try {
      torch::jit::Module copy = candidate.make(module);
      const double difference = relative_difference(copy.forward({probe}), reference);
      if (difference <= candidate.tolerance) {
        result.kept.push_back({copy, candidate.how, true, torch::kFloat, candidate.key});
        continue;
      }
      why_not = "its output differs by " + std::to_string(difference) + " of the largest value";
    } catch (const std::exception& e) {
      why_not = reason(e);
    }
  }
  return result;
}

}  // namespace

std::vector<Variant> exact_copies(const torch::jit::Module& module, const torch::Tensor* probe,
                                  const std::string& only) {
  if (!probe) return {{module, "as loaded (optimization off)", false, torch::kFloat, kAsLoaded}};
  if (only == kAsLoaded) return {as_loaded(module, "no frozen copy matched it at an earlier load")};
  const double tolerance = exact_tolerance(probe->scalar_type());
  auto [copies, why_not] = check(module, *probe, {
      {"frozen+optimized", "frozen and optimized for inference",
       [](const torch::jit::Module& m) {
         torch::jit::Module frozen = torch::jit::freeze(m);
         return torch::jit::optimize_for_inference(frozen);
       },
       tolerance},
      {"frozen", "frozen", [](const torch::jit::Module& m) { return torch::jit::freeze(m); }, tolerance},
  }, only);
  if (!only.empty()) return copies;
  const std::string &why_not_optimized = why_not[0], &why_not_frozen = why_not[1];
  if (copies.size() == 1 && !why_not_optimized.empty()) {
    copies.front().how = "frozen, not optimized for inference (" + why_not_optimized + ")";
  }
  if (copies.empty()) copies.push_back(as_loaded(module, why_not_frozen));
  return copies;
}

Variant as_loaded(const torch::jit::Module& module, const std::string& why) {
  return {module, "as loaded, not frozen (" + why + ")", false, torch::kFloat, kAsLoaded};
}

FastestModule::FastestModule(std::vector<Variant> variants) : variants_(std::move(variants)) {}

void FastestModule::warm_up(const torch::Tensor& input) {
  for (Variant& variant : variants_) {
    for (int call = 0; call < kWarmUpCalls; ++call) run(variant, input);
  }
}

torch::jit::IValue FastestModule::forward(const torch::Tensor& input) { return run(variants_.front(), input); }

void FastestModule::keep_fastest(const torch::Tensor& batch) {
  if (images_per_second_ > 0) return;
  c10::InferenceMode guard;
  warm_up(batch);
  std::size_t best = 0;
  std::vector<double> rates;
  for (Variant& variant : variants_) {
    const auto start = std::chrono::steady_clock::now();
    for (int call = 0; call < kTimedCalls; ++call) run(variant, batch);
    if (batch.is_cuda()) torch::cuda::synchronize(batch.device().index());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(kTimedCalls * batch.size(0) / seconds);
    if (rates.back() > rates[best]) best = rates.size() - 1;
  }
  images_per_second_ = rates[best];
  if (decided()) return;
  // The kept copy's rate first, then each other copy's with its name: a bare list read as if the
  // first rate were the kept one's.
  const auto rate_text = [](double rate) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", rate);
    return std::string(text);
  };
  std::string others;
  for (std::size_t i = 0; i < variants_.size(); ++i) {
    if (i == best) continue;
    others += (others.empty() ? "" : ", ") + rate_text(rates[i]) + " " + variants_[i].how;
  }
  chosen_because_ = " (the fastest of " + std::to_string(variants_.size()) + " copies timed at load on batches of " +
                    std::to_string(batch.size(0)) + ": " + rate_text(rates[best]) + " images/s, against " + others +
                    ")";
  Variant kept = std::move(variants_[best]);
  variants_.assign(1, std::move(kept));
}

void FastestModule::remember(double images_per_second, const std::string& chosen_because) {
  images_per_second_ = images_per_second;
  chosen_because_ = chosen_because;
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
  return std::to_string(variants_.size()) + " copies not yet timed (" + names + ")";
}

}  // namespace scorecam::detail
