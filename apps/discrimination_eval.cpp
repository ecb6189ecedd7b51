#include "discrimination_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "eval_plots.h"
#include "eval_progress.h"

namespace scorecam::eval {
namespace {

Spread spread_of(const std::vector<double>& values) {
  Spread s;
  if (values.empty()) return s;
  for (double v : values) s.mean += v / values.size();
  for (double v : values) s.deviation += (v - s.mean) * (v - s.mean) / values.size();
  s.deviation = std::sqrt(s.deviation);
  return s;
}

std::string spread_text(const Spread& s, double scale, int decimals) {
  char text[48];
  std::snprintf(text, sizeof text, "%.*f ± %.*f", decimals, s.mean * scale, decimals, s.deviation * scale);
  return text;
}

nlohmann::json spread_json(const std::optional<Spread>& s) {
  if (!s) return nullptr;
  return {{"mean", s->mean}, {"std", s->deviation}};
}

// Mean Pearson correlation over the pairs of asked classes' weights; none without weights.
std::optional<double> weight_correlation(const std::vector<torch::Tensor>& weights) {
  double sum = 0;
  int pairs = 0;
  for (size_t a = 0; a < weights.size(); ++a) {
    for (size_t b = a + 1; b < weights.size(); ++b) {
      if (!weights[a].defined() || !weights[b].defined()) return std::nullopt;
      sum += map_correlation(weights[a], weights[b]);
      ++pairs;
    }
  }
  if (pairs == 0) return std::nullopt;
  return sum / pairs;
}

// The colour of the boxes of the `asked`-th class (from 0) of an image.
cv::Scalar box_colour(size_t asked) {
  static const cv::Scalar colours[] = {{80, 220, 80}, {230, 80, 230}, {60, 200, 255}, {255, 160, 60}};
  return colours[asked % 4];
}

}  // namespace

std::vector<int> asked_classes(const LabelledImage& image) {
  std::vector<int> classes;
  for (const auto& b : image.boxes)
    if (std::find(classes.begin(), classes.end(), b.class_id) == classes.end()) classes.push_back(b.class_id);
  return classes;
}

std::vector<ImageDiscrimination> measure_discrimination(CamMethod& method, const std::vector<LabelledImage>& images) {
  std::vector<ImageDiscrimination> results;
  Progress progress(method_name(method.method()) + " ");
  for (size_t i = 0; i < images.size(); ++i) {
    progress.image(i, images.size(), images[i].name);
    ImageDiscrimination result;
    std::vector<torch::Tensor> weights;
    for (int c : asked_classes(images[i])) {
      const auto explanation = method.explain(images[i].input, c);
      result.maps.push_back({c, class_discrimination(explanation.map, images[i].boxes, c), explanation.map,
                             explanation.empty});
      weights.push_back(explanation.weights);
    }
    result.weight_correlation = weight_correlation(weights);
    results.push_back(std::move(result));
  }
  return results;
}

DiscriminationSummary summarize_discrimination(const std::vector<ImageDiscrimination>& results) {
  DiscriminationSummary s;
  std::vector<double> asked, other, correlations;
  int wins = 0;
  for (const auto& image : results) {
    double image_asked = 0, image_other = 0;
    for (const auto& m : image.maps) {
      ++s.maps;
      s.empty_maps += m.empty ? 1 : 0;
      wins += m.figures.asked_wins ? 1 : 0;
      image_asked += m.figures.asked_energy / image.maps.size();
      image_other += m.figures.other_energy / image.maps.size();
    }
    asked.push_back(image_asked);
    other.push_back(image_other);
    if (image.weight_correlation) correlations.push_back(*image.weight_correlation);
  }
  s.wins_percent = s.maps ? 100.0 * wins / s.maps : 0.0;
  s.asked = spread_of(asked);
  s.other = spread_of(other);
  if (!correlations.empty()) s.weight_correlation = spread_of(correlations);
  return s;
}

void print_discrimination_table(const std::vector<std::string>& methods,
                                const std::vector<DiscriminationSummary>& summaries, size_t images,
                                const std::string& score_mode) {
  std::printf("Class discrimination: %zu images, each of their classes asked in turn (%d maps per method); "
              "score mode %s for the Score-CAM family; mean ± standard deviation over images\n\n",
              images, summaries.empty() ? 0 : summaries.front().maps, score_mode.c_str());
  std::printf("| method | asked class wins %% (higher is better) | energy in the asked box %% (higher) "
              "| energy in the other boxes %% (lower) | channel-weight correlation across classes | empty maps |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (size_t m = 0; m < methods.size(); ++m) {
    const auto& s = summaries[m];
    std::printf("| %s | %.1f | %s | %s | %s | %d |\n", methods[m].c_str(), s.wins_percent,
                spread_text(s.asked, 100, 1).c_str(), spread_text(s.other, 100, 1).c_str(),
                s.weight_correlation ? spread_text(*s.weight_correlation, 1, 3).c_str() : "-", s.empty_maps);
  }
}

nlohmann::json discrimination_json(const std::vector<std::string>& methods, const std::vector<LabelledImage>& images,
                                   const std::vector<std::vector<ImageDiscrimination>>& results,
                                   const std::vector<DiscriminationSummary>& summaries, const Model& model,
                                   const std::string& score_mode) {
  nlohmann::json out = {{"score_mode", score_mode}};
  for (size_t i = 0; i < images.size(); ++i) {
    nlohmann::json image = {{"image", images[i].name}};
    for (const auto& b : images[i].image_boxes)
      image["boxes"].push_back({{"box", {b.box.x0, b.box.y0, b.box.x1, b.box.y1}},
                                {"class_id", b.class_id},
                                {"label", model.label(b.class_id)}});
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto& r = results[m][i];
      nlohmann::json method = {{"weight_correlation", r.weight_correlation ? nlohmann::json(*r.weight_correlation) : nullptr}};
      for (const auto& a : r.maps)
        method["asked"].push_back({{"class_id", a.asked_class},
                                   {"label", model.label(a.asked_class)},
                                   {"energy_in_asked_box", a.figures.asked_energy},
                                   {"energy_in_other_boxes", a.figures.other_energy},
                                   {"asked_wins", a.figures.asked_wins},
                                   {"empty", a.empty}});
      image["methods"][methods[m]] = method;
    }
    out["images"].push_back(image);
  }
  for (size_t m = 0; m < methods.size(); ++m) {
    const auto& s = summaries[m];
    out["summary"][methods[m]] = {{"maps", s.maps},
                                  {"empty_maps", s.empty_maps},
                                  {"asked_wins_percent", s.wins_percent},
                                  {"energy_in_asked_box", spread_json(s.asked)},
                                  {"energy_in_other_boxes", spread_json(s.other)},
                                  {"weight_correlation", spread_json(s.weight_correlation)}};
  }
  return out;
}

cv::Mat discrimination_grid(const std::vector<std::string>& methods, const std::vector<LabelledImage>& images,
                            const std::vector<std::vector<ImageDiscrimination>>& results, const Model& model,
                            int rows) {
  const int shown = std::min<int>(rows, static_cast<int>(images.size()));
  size_t asked_columns = 0;
  for (int i = 0; i < shown; ++i) asked_columns = std::max(asked_columns, asked_classes(images[i]).size());
  std::vector<std::string> columns;
  for (const auto& method : methods)
    for (size_t a = 0; a < asked_columns; ++a) columns.push_back(method + ": " + std::to_string(a + 1));
  std::vector<GridRow> grid_rows;
  for (int i = 0; i < shown; ++i) {
    const auto classes = asked_classes(images[i]);
    GridRow row{images[i].image.clone(), ""};
    // The boxes, one colour per asked class in the columns' order (green the first, magenta the second).
    const int thickness = std::max(1, images[i].image.cols / 96);
    for (const auto& b : images[i].image_boxes) {
      const size_t asked = std::find(classes.begin(), classes.end(), b.class_id) - classes.begin();
      cv::rectangle(row.image, cv::Point(static_cast<int>(b.box.x0), static_cast<int>(b.box.y0)),
                    cv::Point(static_cast<int>(b.box.x1) - 1, static_cast<int>(b.box.y1) - 1), box_colour(asked),
                    thickness);
    }
    row.caption = images[i].name;
    for (size_t m = 0; m < methods.size(); ++m) {
      for (size_t a = 0; a < asked_columns; ++a) {
        if (a >= results[m][i].maps.size()) {
          // Fewer classes than the widest row: a blank map keeps the columns aligned.
          row.maps.push_back(torch::zeros_like(results[m][i].maps.front().map));
          row.notes.push_back("");
          continue;
        }
        const auto& asked = results[m][i].maps[a];
        char note[64];
        std::snprintf(note, sizeof note, "%s %.0f/%.0f%%%s", model.label(asked.asked_class).c_str(),
                      100 * asked.figures.asked_energy, 100 * asked.figures.other_energy,
                      asked.figures.asked_wins ? "" : " x");
        row.maps.push_back(asked.map);
        row.notes.push_back(note);
      }
    }
    grid_rows.push_back(row);
  }
  return map_grid(columns, grid_rows);
}

}  // namespace scorecam::eval
