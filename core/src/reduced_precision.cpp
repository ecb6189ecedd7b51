#include "reduced_precision.h"

#include <filesystem>

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

std::vector<Variant> float_copies(const torch::jit::Module& module, torch::ScalarType type, const torch::Tensor& probe) {
  c10::InferenceMode guard;
  const int classes = static_cast<int>(const_cast<torch::jit::Module&>(module).forward({probe}).toTensor().size(1));
  std::vector<Variant> copies;
  std::string why_not;
  for (const bool optimize : {true, false}) {
    try {
      torch::jit::Module converted = module.clone();
      converted.to(type);
      torch::jit::Module copy = torch::jit::freeze(converted);
      if (optimize) copy = torch::jit::optimize_for_inference(copy);
      Variant variant{copy, type_name(type) + (optimize ? ", frozen and optimized for inference" : ", frozen"), true, type};
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
  Variant variant{module, "int8 (" + config.quantized_engine + ")", true};
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

double agreement(Variant& copy, torch::jit::Module& reference, const torch::Tensor& batch, int target_class) {
  c10::InferenceMode guard;
  const auto expected = torch::softmax(reference.forward({batch}).toTensor().to(torch::kDouble), 1).select(1, target_class);
  const auto input = batch.scalar_type() == copy.input_type ? batch : batch.to(copy.input_type);
  const auto got = torch::softmax(copy.module.forward({input}).toTensor().to(torch::kDouble), 1).select(1, target_class);
  const auto e = expected - expected.mean(), g = got - got.mean();
  const double spread = e.norm().item<double>() * g.norm().item<double>();
  if (spread < 1e-12) return (got - expected).abs().max().item<double>() <= 1e-3 ? 1.0 : 0.0;
  return (e * g).sum().item<double>() / spread;
}

}  // namespace scorecam::detail
