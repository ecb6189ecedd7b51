#pragma once
// How faithful and how well placed a saliency map is, measured with the model itself:
//
// - Average Drop and Increase in Confidence (Chattopadhay et al. 2018, as the Score-CAM paper
//   uses them): the class probability on the explanation E = X ⊙ H (the normalized input times
//   the map) against that on X.
// - Deletion and Insertion (Petsiuk et al. 2018): pixels removed from X, or added to a blank
//   image, in order of saliency, the class probability after each step; the area under the curve
//   (lower is better for deletion, higher for insertion). A removed pixel is 0 in normalized
//   space: the mean colour, what Score-CAM's masks leave too.
// - Pointing game and its energy-based form (Score-CAM paper, Sec. 5.2) against an object box.
// - Class discrimination: with objects of several classes in one image, the energy of the map
//   made for one class in that class's box against the others' boxes.
// - Rank correlation of two maps, for the model-randomization sanity check (Adebayo et al. 2018),
//   with copies of the model whose layers are re-initialized from the top (randomized_copy).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/model.h"

namespace scorecam {

struct ConfidenceChange {
  double original = 0;     // p_c(X)
  double explanation = 0;  // p_c(X ⊙ H)
  // max(0, original - explanation) / original: one image's share of Average Drop.
  double drop() const { return original > 0 ? std::max(0.0, original - explanation) / original : 0.0; }
  bool increased() const { return explanation > original; }
};

// input [1, C, H, W] normalized; map [H, W] in [0, 1] at the model's input size.
ConfidenceChange confidence_change(Model& model, const torch::Tensor& input, const torch::Tensor& map, int target_class);

struct Curve {
  std::vector<double> probabilities;  // steps + 1 values: after 0, 1/steps, ... all of the pixels
  double area() const;                // trapezoid rule over [0, 1]
};

// Deletion (insert false) or Insertion (insert true) of the pixels in order of decreasing saliency,
// in `steps` equal steps, evaluated in batches of `batch_size`. Ties keep pixel order.
Curve saliency_curve(Model& model, const torch::Tensor& input, const torch::Tensor& map, int target_class, int steps,
                     bool insert, int batch_size = 32);

struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // pixel edges: x0 <= x < x1
};

// What is wrong with `box` as an object's box in an image of width x height pixels: no area
// (x0 >= x1 or y0 >= y1) or not within the image; nothing when it is fine. Box measures on a box
// that is not one are figures that look like results but are not.
std::optional<std::string> box_problem(const Box& box, double width, double height);

// Share of the map's sum inside the box (0 for an all-zero map); map [H, W], box in its pixels.
double energy_in_box(const torch::Tensor& map, const Box& box);
// Whether the map's maximum (the first, in row order) lies inside the box.
bool peak_in_box(const torch::Tensor& map, const Box& box);

// The pixels of a map of height x width that `box` covers, [height, width] bool, with the same
// rounding to whole pixels as energy_in_box.
torch::Tensor box_mask(const Box& box, int64_t height, int64_t width);

// Class discrimination: whether a map made for one class puts its energy on that class's object
// rather than on another class's object in the same image.
struct LabelledBox {
  Box box;
  int class_id = -1;
};

// What is wrong with `boxes` as the objects of one image for class discrimination, or nothing:
// fewer than two boxes, fewer than two classes, a class below 0, or boxes of different classes
// that overlap (a pixel of both would count for the asked class and the other at once).
std::optional<std::string> labelled_boxes_problem(const std::vector<LabelledBox>& boxes);

struct ClassDiscrimination {
  double asked_energy = 0;  // share of the map's sum inside the asked class's boxes
  double other_energy = 0;  // share inside the other classes' boxes, all together
  // The asked class's boxes hold more of the map than those of each other class on its own
  // (false for an all-zero map: it points at nothing).
  bool asked_wins = false;
};

// The map [H, W] (boxes in its pixels) made for `asked_class` against the image's labelled boxes.
// Throws Error when labelled_boxes_problem() finds one or no box has the asked class.
ClassDiscrimination class_discrimination(const torch::Tensor& map, const std::vector<LabelledBox>& boxes,
                                         int asked_class);

// Pearson's correlation of two maps of the same size: 1 for two constant maps, 0 for a constant
// map against one that is not.
double map_correlation(const torch::Tensor& a, const torch::Tensor& b);

// Spearman's rank correlation of two maps of the same size, tied values sharing their mean rank;
// 0 when either is constant.
double rank_correlation(const torch::Tensor& a, const torch::Tensor& b);

// Modules whose weights are at least 2-D (convolutions, linear layers), top (nearest the output)
// first: the layers the sanity check re-initializes one after another.
std::vector<std::string> weighted_layers_from_top(const std::string& model_path);

// Writes a copy of the model with the parameters of the first `count` of weighted_layers_from_top
// replaced by Gaussian values of each tensor's own mean and standard deviation (seeded).
void randomized_copy(const std::string& model_path, int count, const std::string& out_path, uint64_t seed);

}  // namespace scorecam
