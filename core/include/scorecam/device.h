#pragma once
// Parsing of the user-facing device and precision names ("cpu", "cuda", "cuda:1"; "fp32", "fp16",
// "bf16", "int8", "auto").
#include <string>

#include <torch/script.h>

#include "scorecam/enum_names.h"

namespace scorecam {

// The precision of the masked passes, where Score-CAM spends its time; the first pass of a frame
// (class scores and the target layer's activations) always runs in fp32.
enum class Precision { Float32, Float16, BFloat16, Int8, Auto };

// What the element and the `scorecam` program run unless told otherwise: `auto` kept the mean map
// correlation with fp32 at 0.99998 or more on the sample clip and 300 test scenes, and ran the
// element 1.7x faster (docs/benchmarks.md). The library's ModelOptions stay at fp32, where the
// parity tests check the maps bit for bit against the references.
inline constexpr Precision kUserDefaultPrecision = Precision::Auto;

// Throws Error when the name is malformed or names a CUDA device this build or machine does not have.
torch::Device parse_device(const std::string& name);

// Throws Error for unknown names and for precisions the device cannot run: fp16 needs CUDA, bf16
// CUDA or a CPU with AVX512-BF16 or AMX-BF16 instructions, int8 (quantized engines) the CPU.
Precision parse_precision(const std::string& name, const torch::Device& device);
// Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX-BF16) for oneDNN's bf16 kernels.
bool cpu_has_bf16();

// The floating-point type of fp16 and bf16.
torch::ScalarType scalar_type(Precision precision);
std::string precision_name(Precision precision);
const EnumNames<Precision>& precision_names();

}  // namespace scorecam
