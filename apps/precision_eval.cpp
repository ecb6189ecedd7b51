#include "precision_eval.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace scorecam::eval {
namespace {

struct Explained {
  std::vector<torch::Tensor> maps;
  std::vector<int> predicted;
  double milliseconds = 0;
};

Explained explain_all(Model& model, const MethodOptions& method, const ScoreCamOptions& score_cam,
                      const std::vector<torch::Tensor>& inputs, const std::vector<int>& targets) {
  const auto cam = make_method(model, method, score_cam);
  Explained out;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < inputs.size(); ++i) {
    out.predicted.push_back(static_cast<int>(model.forward(inputs[i]).logits[0].argmax().item<int64_t>()));
    out.maps.push_back(cam->explain(inputs[i], targets.empty() ? out.predicted.back() : targets[i]).map);
  }
  out.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / inputs.size();
  return out;
}

std::optional<double> mean_energy(const std::vector<torch::Tensor>& maps, const std::vector<std::optional<Box>>& boxes) {
  double sum = 0;
  size_t count = 0;
  for (size_t i = 0; i < maps.size(); ++i) {
    if (!boxes[i]) continue;
    sum += energy_in_box(maps[i], *boxes[i]);
    ++count;
  }
  if (count == 0) return std::nullopt;
  return sum / count;
}

}  // namespace

std::vector<PrecisionRow> compare_precisions(const std::string& model_path, const ModelOptions& options,
                                             const MethodOptions& method, const ScoreCamOptions& score_cam,
                                             const std::vector<torch::Tensor>& inputs,
                                             const std::vector<std::optional<Box>>& boxes,
                                             const std::vector<std::string>& precisions) {
  ModelOptions fp32_options = options;
  fp32_options.precision = "fp32";
  const auto fp32 = Model::load(model_path, fp32_options);
  const Explained reference = explain_all(*fp32, method, score_cam, inputs, {});
  std::vector<PrecisionRow> rows;
  rows.push_back({"fp32", fp32->inference_path(), 1, 1, 1, mean_energy(reference.maps, boxes),
                  mean_energy(reference.maps, boxes), reference.milliseconds});
  for (const std::string& precision : precisions) {
    ModelOptions reduced_options = options;
    reduced_options.precision = precision;
    const auto model = Model::load(model_path, reduced_options);
    const Explained got = explain_all(*model, method, score_cam, inputs, reference.predicted);
    PrecisionRow row{precision, model->inference_path()};
    row.min_correlation = 1;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const double r = map_correlation(got.maps[i], reference.maps[i]);
      row.mean_correlation += r / inputs.size();
      row.min_correlation = std::min(row.min_correlation, r);
      row.top1_agreement += (got.predicted[i] == reference.predicted[i] ? 1.0 : 0.0) / inputs.size();
    }
    row.energy = mean_energy(got.maps, boxes);
    row.fp32_energy = rows.front().energy;
    row.milliseconds = got.milliseconds;
    rows.push_back(row);
  }
  return rows;
}

void print_precision_table(const std::vector<PrecisionRow>& rows, size_t images, const std::string& method) {
  std::printf("\nPrecision: %s maps against fp32's on the same %zu images (fp32's predicted class explained by "
              "all)\n\n",
              method.c_str(), images);
  std::printf("| precision | mean map correlation | min | top-1 agreement | energy in box (fp32) | ms per image |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const PrecisionRow& row : rows) {
    char energy[64] = "–";
    if (row.energy) std::snprintf(energy, sizeof energy, "%.1f %% (%.1f %%)", 100 * *row.energy, 100 * *row.fp32_energy);
    std::printf("| %s | %.5f | %.5f | %.1f %% | %s | %.1f |\n", row.precision.c_str(), row.mean_correlation,
                row.min_correlation, 100 * row.top1_agreement, energy, row.milliseconds);
  }
  std::printf("\nMasked passes ran on:\n");
  for (const PrecisionRow& row : rows) std::printf("- %s: %s\n", row.precision.c_str(), row.inference_path.c_str());
}

}  // namespace scorecam::eval
