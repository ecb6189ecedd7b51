#pragma once
// scorecam-eval --precisions: each precision's maps against fp32's on the same images, the way
// reduced precision is judged (docs/benchmarks.md, "Reduced precision").
#include <optional>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/cam_method.h"
#include "scorecam/faithfulness.h"
#include "scorecam/model.h"
#include "scorecam/score_cam.h"

namespace scorecam::eval {

struct PrecisionRow {
  std::string precision;
  std::string inference_path;  // what the masked passes ran on, and why (Model::inference_path())
  double mean_correlation = 0, min_correlation = 0;  // Pearson, per image, with fp32's map
  double top1_agreement = 0;                          // share of images whose predicted class is fp32's
  std::optional<double> energy, fp32_energy;          // mean energy in the box, with boxes
  double milliseconds = 0;                            // mean per image
};

// Loads `model_path` at each of `precisions` (ModelOptions::precision) and explains every input
// (normalized, [1, C, H, W]) for fp32's predicted class with `method`.
std::vector<PrecisionRow> compare_precisions(const std::string& model_path, const ModelOptions& options,
                                             const MethodOptions& method, const ScoreCamOptions& score_cam,
                                             const std::vector<torch::Tensor>& inputs,
                                             const std::vector<std::optional<Box>>& boxes,
                                             const std::vector<std::string>& precisions);

void print_precision_table(const std::vector<PrecisionRow>& rows, size_t images, const std::string& method);

}  // namespace scorecam::eval
