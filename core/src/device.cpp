#include "scorecam/device.h"

#include <torch/cuda.h>

#include "scorecam/enum_names.h"
#include "scorecam/error.h"

namespace scorecam {
namespace {

const EnumNames<Precision> kPrecisions = {
    {"fp32", Precision::Float32, "32-bit float"},
    {"fp16", Precision::Float16, "Masked passes in 16-bit float (CUDA only)"},
    {"bf16", Precision::BFloat16, "Masked passes in bfloat16 (CUDA, or a CPU with AVX512-BF16 or AMX)"},
    {"int8", Precision::Int8,
     "Masked passes on the model's int8 copy (CPU; the sidecar's int8_model, made by export_torchvision.py --int8)"},
    {"auto", Precision::Auto,
     "The fastest of the fp32, bf16 and int8 copies whose target-class scores agree with fp32 (correlation "
     "0.999 or more on a masked batch at load), else fp32"}};

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
  if (precision == Precision::Float16 && !device.is_cuda()) {
    throw Error("precision fp16 needs a CUDA device; on the CPU use fp32, bf16, int8 or auto");
  }
  if (precision == Precision::BFloat16 && device.is_cpu() && !cpu_has_bf16()) {
    throw Error("precision bf16 on the CPU needs the AVX512-BF16 or AMX-BF16 instructions, which this CPU lacks; "
                "use fp32, int8 or auto");
  }
  if (precision == Precision::Int8 && !device.is_cpu()) {
    throw Error("precision int8 runs on the CPU (LibTorch's quantized engines); on CUDA use fp16, bf16 or auto");
  }
  return precision;
}

bool cpu_has_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
  return false;
#endif
}

torch::ScalarType scalar_type(Precision precision) {
  switch (precision) {
    case Precision::Float16: return torch::kHalf;
    case Precision::BFloat16: return torch::kBFloat16;
    default: return torch::kFloat;
  }
}

std::string precision_name(Precision precision) { return enum_name(precision, kPrecisions); }
const EnumNames<Precision>& precision_names() { return kPrecisions; }

}  // namespace scorecam
