#pragma once
// Copies of a classifier that run the masked passes in less than fp32: the module with bf16 (or
// fp16) weights, and the int8 copy the Python helpers quantize into a file of its own. None is
// exact, so each is measured against the fp32 module on a batch of masked inputs: how closely its
// target-class probabilities follow fp32's is what precision=auto decides by, and what every
// choice reports.
#include <string>
#include <vector>

#include <torch/script.h>

#include "fastest_module.h"
#include "scorecam/model_config.h"

namespace scorecam::detail {

// The least agreement a copy needs for precision=auto (documented in docs/element.md).
constexpr double kAutoAgreement = 0.999;

// `module` with its weights in `type` (bf16, fp16), frozen, and frozen then optimized for
// inference, each converting its fp32 input; those that classify `probe` into its classes.
std::vector<Variant> float_copies(const torch::jit::Module& module, torch::ScalarType type, const torch::Tensor& probe);

// The model's int8 copy (config.int8_model), on the quantized engine it was made for, which
// becomes the process's; throws Error naming the file and what to do when there is none or it
// does not classify `probe` ([1, C, H, W]) into `classes` classes.
std::vector<Variant> int8_copies(const ModelConfig& config, int classes, const torch::Tensor& probe);

// The Pearson correlation of `copy`'s and `reference`'s probabilities of `target_class` over the
// masked inputs of `batch`: Score-CAM's channel weights are those probabilities, so this is how
// closely the copy's weights, and the map, follow fp32's. 1 when fp32's do not vary and the
// copy's equal them within 1e-3.
double agreement(Variant& copy, torch::jit::Module& reference, const torch::Tensor& batch, int target_class);

}  // namespace scorecam::detail
