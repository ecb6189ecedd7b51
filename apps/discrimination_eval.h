#pragma once
// scorecam-eval --discrimination: whether each method's map follows the class it is asked for.
// On images with objects of two or more classes, each method explains each class in turn; a map
// counts as a win when the asked class's boxes hold more of its energy than each other class's
// (scorecam/faithfulness.h class_discrimination). For the methods' channel weights, also how much
// they change with the asked class: the Pearson correlation of the weights for two classes of
// the same image (1: the same weights whatever the class).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <torch/script.h>

#include "scorecam/cam_method.h"
#include "scorecam/faithfulness.h"
#include "scorecam/model.h"

namespace scorecam::eval {

struct LabelledImage {
  std::string name;
  cv::Mat image;                        // BGR, as read
  torch::Tensor input;                  // [1, C, H, W] normalized
  std::vector<LabelledBox> boxes;       // in the model input's pixels
  std::vector<LabelledBox> image_boxes; // the same, in the image's pixels (for the picture)
};

// The distinct classes of an image's boxes, in the order of their first box: the classes asked.
std::vector<int> asked_classes(const LabelledImage& image);

struct AskedMap {
  int asked_class = -1;
  ClassDiscrimination figures;
  torch::Tensor map;  // [H, W] at the model's input size
  bool empty = false;
};

struct ImageDiscrimination {
  std::vector<AskedMap> maps;                 // one per asked class
  std::optional<double> weight_correlation;   // mean over pairs of asked classes; none for constant weights
};

// Mean and standard deviation (population) over images.
struct Spread {
  double mean = 0, deviation = 0;
};

struct DiscriminationSummary {
  int maps = 0, empty_maps = 0;
  double wins_percent = 0;        // share of maps whose asked class's boxes win
  Spread asked, other;            // percent of the map's energy, each image's mean over its asked classes
  std::optional<Spread> weight_correlation;
};

// Every image through `method`, each of its classes asked in turn; progress on stderr.
std::vector<ImageDiscrimination> measure_discrimination(CamMethod& method, const std::vector<LabelledImage>& images);
DiscriminationSummary summarize_discrimination(const std::vector<ImageDiscrimination>& results);

void print_discrimination_table(const std::vector<std::string>& methods,
                                const std::vector<DiscriminationSummary>& summaries, size_t images,
                                const std::string& score_mode);

nlohmann::json discrimination_json(const std::vector<std::string>& methods, const std::vector<LabelledImage>& images,
                                   const std::vector<std::vector<ImageDiscrimination>>& results,
                                   const std::vector<DiscriminationSummary>& summaries, const Model& model,
                                   const std::string& score_mode);

// Rows: the first `rows` images, their boxes drawn; columns: each method's map for each asked
// class (the first class of each image, then the second, ...), noted with the energy in the
// asked and the other boxes.
cv::Mat discrimination_grid(const std::vector<std::string>& methods, const std::vector<LabelledImage>& images,
                            const std::vector<std::vector<ImageDiscrimination>>& results, const Model& model, int rows);

}  // namespace scorecam::eval
