#include "scorecam/device.h"

#include <torch/cuda.h>

#include "scorecam/enum_names.h"
#include "scorecam/error.h"

namespace scorecam {
namespace {

const EnumNames<Precision> kPrecisions = {{"fp32", Precision::Float32, "32-bit float"},
                                          {"fp16", Precision::Float16, "16-bit float (CUDA only)"},
                                          {"bf16", Precision::BFloat16, "bfloat16 (CUDA only)"}};

}  // namespace

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name != "cuda" && name.rfind("cuda:", 0) != 0) {
    throw Error("unknown device '" + name + "': use cpu, cuda or cuda:N");
  }
  int index = 0;
  if (name.size() > 5) {
    const std::string digits = name.substr(5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("unknown device '" + name + "': use cpu, cuda or cuda:N");
    }
    index = std::stoi(digits);
  }
  const int available = static_cast<int>(torch::cuda::device_count());
  if (available == 0) {
    throw Error("device '" + name +
                "' requested, but no CUDA device is available (this LibTorch build or machine has none); use "
                "device=cpu, or build against a CUDA LibTorch with -DTorch_DIR=...");
  }
  if (index >= available) {
    throw Error("device '" + name + "' requested, but only " + std::to_string(available) +
                " CUDA device(s) exist: use cuda:0 .. cuda:" + std::to_string(available - 1));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

Precision parse_precision(const std::string& name, const torch::Device& device) {
  const Precision precision = parse_enum(name, kPrecisions, "precision");
  if (precision != Precision::Float32 && !device.is_cuda()) {
    throw Error("precision " + name + " needs a CUDA device; on the CPU use fp32");
  }
  return precision;
}

torch::ScalarType scalar_type(Precision precision) {
  switch (precision) {
    case Precision::Float16: return torch::kHalf;
    case Precision::BFloat16: return torch::kBFloat16;
    case Precision::Float32: break;
  }
  return torch::kFloat;
}

std::string precision_name(Precision precision) { return enum_name(precision, kPrecisions); }
const EnumNames<Precision>& precision_names() { return kPrecisions; }

}  // namespace scorecam
