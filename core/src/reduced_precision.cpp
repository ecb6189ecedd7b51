#include "reduced_precision.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "scorecam/error.h"
#include "torchscript_error.h"

namespace scorecam::detail {
namespace {

at::QEngine quantized_engine(const std::string& name, const std::string& file) {
  const std::vector<std::pair<std::string, at::QEngine>> known = {
      {"onednn", at::QEngine::ONEDNN}, {"x86", at::QEngine::X86}, {"fbgemm", at::QEngine::FBGEMM},
      {"qnnpack", at::QEngine::QNNPACK}};
  std::string supported;
  for (const auto& [text, engine] : known) {
    const auto& engines = at::globalContext().supportedQEngines();
    const bool here = std::find(engines.begin(), engines.end(), engine) != engines.end();
    if (here) supported += (supported.empty() ? "" : ", ") + text;
    if (text == name && here) return engine;
  }
  throw Error("int8 model '" + file + "' was quantized for the '" + name + "' engine, which this LibTorch lacks (it has " +
              supported + "); quantize it again with tools/export_torchvision.py --int8 on this machine");
}

// Runs on `probe` and gives [1, classes] logits, or says why not.
std::string fails_on(torch::jit::Module& module, const torch::Tensor& probe, int classes) {
  try {
    const auto output = module.forward({probe});
    if (!output.isTensor()) return "it returns " + output.tagKind() + ", not class scores";
    const auto sizes = output.toTensor().sizes();
    if (sizes.size() != 2 || sizes[0] != 1 || sizes[1] != classes) {
      return "it outputs " + std::to_string(sizes.size() == 2 ? sizes[1] : -1) + " class scores, the model " +
             std::to_string(classes);
    }
    return {};
  } catch (const std::exception& e) {
    return reason(e);
  }
}

std::string type_name(torch::ScalarType type) { return type == torch::kBFloat16 ? "bf16" : "fp16"; }

}  // namespace

std::vector<Variant> float_copies(const torch::jit::Module& module, torch::ScalarType type, const torch::Tensor& probe,
                                  const std::string& only) {
  c10::InferenceMode guard;
  const int classes = static_cast<int>(const_cast<torch::jit::Module&>(module).forward({probe}).toTensor().size(1));
  std::vector<Variant> copies;
  std::string why_not;
  for (const bool optimize : {true, false}) {
    const std::string key = type_name(type) + (optimize ? " frozen+optimized" : " frozen");
    if (!only.empty() && key != only) continue;
    try {
      torch::jit::Module converted = module.clone();
      converted.to(type);
      torch::jit::Module copy = torch::jit::freeze(converted);
      if (optimize) copy = torch::jit::optimize_for_inference(copy);
      Variant variant{copy, type_name(type) + (optimize ? ", frozen and optimized for inference" : ", frozen"), true, type,
                      key};
      why_not = fails_on(variant.module, probe.to(type), classes);
      if (why_not.empty()) copies.push_back(variant);
    } catch (const std::exception& e) {
      why_not = reason(e);
    }
  }
  if (copies.empty()) throw Error("the model has no " + type_name(type) + " copy that runs: " + why_not + "; use fp32");
  return copies;
}

std::vector<Variant> int8_copies(const ModelConfig& config, int classes, const torch::Tensor& probe) {
  const std::string& file = config.int8_model;
  if (file.empty()) {
    throw Error("precision int8 needs the model's int8 copy, and its sidecar names none (key \"int8_model\"); make "
                "one with tools/export_torchvision.py --int8 --calibration DIR");
  }
  if (!std::filesystem::is_regular_file(file)) throw Error("int8 model '" + file + "' (the sidecar's int8_model) does not exist");
  at::globalContext().setQEngine(quantized_engine(config.quantized_engine, file));
  c10::InferenceMode guard;
  torch::jit::Module module;
  try {
    module = torch::jit::load(file, torch::kCPU);
    module.eval();
  } catch (const c10::Error& e) {
    throw Error("'" + file + "' is not a readable TorchScript model (" + reason(e) + ")");
  }
  Variant variant{module, "int8 (" + config.quantized_engine + ")", true, torch::kFloat, "int8"};
  try {
    variant.module = torch::jit::freeze(module);  // the helpers freeze it already; older files gain from it
    variant.how += ", frozen";
  } catch (const std::exception&) {
  }
  if (const std::string why_not = fails_on(variant.module, probe, classes); !why_not.empty()) {
    throw Error("int8 model '" + file + "' does not classify the model's input: " + why_not);
  }
  return {variant};
}

Precision precision_of_copy(const std::string& key) {
  const std::string name = key.substr(0, key.find(' '));
  for (const Precision reduced : {Precision::Float16, Precision::BFloat16, Precision::Int8}) {
    if (name == precision_name(reduced)) return reduced;
  }
  return Precision::Float32;
}

double PrecisionChoice::Sums::correlation() const {
  const double spread = std::sqrt((n * xx - x * x) * (n * yy - y * y));
  return spread > 0 ? (n * xy - x * y) / spread : 0.0;
}

PrecisionChoice::PrecisionChoice(Copy fp32, std::vector<Copy> candidates, bool any_agreement, Settled on_settled,
                                 std::string not_tried)
    : kept_(std::move(fp32)), candidates_(std::move(candidates)), any_agreement_(any_agreement),
      on_settled_(std::move(on_settled)), not_tried_(std::move(not_tried)), sums_(candidates_.size()) {
  if (!candidates_.empty()) return;
  if (!not_tried_.empty()) chosen_because_ = " (precision=auto, no other copy to try" + not_tried_ + ")";
  settled_ = true;
  if (on_settled_) chosen_because_ += on_settled_(kept_, chosen_because_);
}

PrecisionChoice::PrecisionChoice(Copy remembered, std::string chosen_because)
    : kept_(std::move(remembered)), chosen_because_(std::move(chosen_because)) {
  settled_ = true;
}

torch::Tensor PrecisionChoice::classify(const torch::Tensor& batch) {
  if (settled_.load(std::memory_order_acquire)) return kept_.module.forward(batch).toTensor();
  std::lock_guard<std::mutex> lock(lock_);
  const auto logits = kept_.module.forward(batch).toTensor();
  if (settled_) return logits;
  const auto expected = torch::softmax(logits.to(torch::kDouble), 1).flatten();
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    const auto got = torch::softmax(candidates_[i].module.forward(batch).toTensor().to(torch::kDouble), 1).flatten();
    Sums& s = sums_[i];
    s.x += expected.sum().item<double>();
    s.y += got.sum().item<double>();
    s.xx += (expected * expected).sum().item<double>();
    s.yy += (got * got).sum().item<double>();
    s.xy += (expected * got).sum().item<double>();
    s.n += static_cast<double>(expected.numel());
  }
  rows_ += batch.size(0);
  if (rows_ >= kTrialRows) settle();
  return logits;
}

void PrecisionChoice::settle() {
  char rates[160];
  std::string compared;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    const double agreement = sums_[i].correlation();
    const bool agrees = any_agreement_ || (agreement >= kAutoAgreement &&
                                           candidates_[i].images_per_second > kept_.images_per_second);
    if (agrees && (!best || candidates_[i].images_per_second > candidates_[*best].images_per_second)) best = i;
    std::snprintf(rates, sizeof rates, "%s: %.1f images/s, class probabilities correlating %.5f with fp32's",
                  candidates_[i].module.copy_how().c_str(),
                  candidates_[i].images_per_second, agreement);
    compared += std::string(compared.empty() ? "" : "; ") + rates;
  }
  std::snprintf(rates, sizeof rates, "fp32 %.1f images/s", kept_.images_per_second);
  chosen_because_ = std::string(" (") + (any_agreement_ ? "asked for" : "precision=auto") + ", on the first " +
                    std::to_string(rows_) + " masked inputs: " + rates + "; " + compared +
                    (any_agreement_ ? ")" : "; kept if 0.999 or more and faster" + not_tried_ + ")");
  if (best) kept_ = std::move(candidates_[*best]);
  candidates_.clear();
  settled_.store(true, std::memory_order_release);
  if (on_settled_) chosen_because_ += on_settled_(kept_, chosen_because_);
}

void PrecisionChoice::warm_up(const torch::Tensor& batch) {
  std::lock_guard<std::mutex> lock(lock_);
  kept_.module.warm_up(batch);
  for (Copy& candidate : candidates_) candidate.module.warm_up(batch);
}

std::string PrecisionChoice::how() const {
  std::lock_guard<std::mutex> lock(lock_);
  if (settled_) return kept_.module.how() + chosen_because_;
  std::string names;
  for (const Copy& candidate : candidates_) names += "; " + candidate.module.how();
  return kept_.module.how() + ", while on the first " + std::to_string(kTrialRows) +
         " masked inputs it is compared with" + names.substr(1);
}

bool PrecisionChoice::frozen() const {
  std::lock_guard<std::mutex> lock(lock_);
  return kept_.module.frozen();
}

}  // namespace scorecam::detail
