#pragma once
// The pictures scorecam-eval writes: mean deletion and insertion curves per method, and a grid of
// maps (rows: images, columns: the image and each method's map, with the class and its score).
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/script.h>

namespace scorecam::eval {

struct CurveSeries {
  std::string name;                 // the method
  std::vector<double> probability;  // mean class probability after each step
  double area = 0;
};

// Two panels side by side, deletion and insertion, each with one line per method and its AUC.
cv::Mat plot_curves(const std::vector<CurveSeries>& deletion, const std::vector<CurveSeries>& insertion);

struct GridRow {
  cv::Mat image;                     // BGR, any size
  std::string caption;               // e.g. "Sneaker 93%"
  std::vector<torch::Tensor> maps;   // one per method, [H, W] in [0, 1]
  std::vector<std::string> notes;    // one per method, e.g. "drop 12%"
};

cv::Mat map_grid(const std::vector<std::string>& methods, const std::vector<GridRow>& rows, int tile = 160);

}  // namespace scorecam::eval
