#pragma once
// Parsing of the user-facing device and precision names ("cpu", "cuda", "cuda:1"; "fp32", "fp16", "bf16").
#include <string>

#include <torch/script.h>

#include "scorecam/enum_names.h"

namespace scorecam {

enum class Precision { Float32, Float16, BFloat16 };

// Throws Error when the name is malformed or names a CUDA device this build or machine does not have.
torch::Device parse_device(const std::string& name);

// Throws Error for unknown names, and for half precisions on a CPU device.
Precision parse_precision(const std::string& name, const torch::Device& device);

torch::ScalarType scalar_type(Precision precision);
std::string precision_name(Precision precision);
const EnumNames<Precision>& precision_names();

}  // namespace scorecam
