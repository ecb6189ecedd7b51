#pragma once
// scorecam-eval's boxes file: where the objects of each image are, and for class discrimination
// their classes. One JSON object, image file name to either
//   [x0, y0, x1, y1]                                     one box, no class
//   [{"box": [x0, y0, x1, y1], "class": "Sneaker"}, ...]  boxes with their classes (a label of
//                                                          the model, or a class number)
// in the image's pixels, x0 <= x < x1. Every check of a box, and its message naming the image and
// the file, is made here, so that no measure runs on a box that is not one.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scorecam/faithfulness.h"
#include "scorecam/model.h"

namespace scorecam::eval {

class BoxesFile {
 public:
  // Reads `path`; throws Error when it cannot be read, is not JSON or an entry is not a box.
  explicit BoxesFile(const std::string& path);

  // The one box of `image` (width x height pixels), in its pixels; throws Error when the file has
  // none for it, more than one, or one that does not lie within the image.
  Box box(const std::string& image, int width, int height) const;

  // The labelled boxes of `image`, in its pixels, their classes resolved on `model`; throws Error
  // when a box lies outside the image, has no class or one the model does not have, or the boxes
  // cannot be measured together (labelled_boxes_problem: one box only, overlapping classes).
  std::vector<LabelledBox> labelled_boxes(const std::string& image, int width, int height, const Model& model) const;

 private:
  struct Entry {
    Box box;
    std::optional<std::string> label;  // "class" as a label
    std::optional<long long> class_id;  // "class" as a number
  };
  const std::vector<Entry>& entries(const std::string& image) const;
  // Throws Error when `entry`, the `index`-th (from 1) box of `image`, does not lie within it.
  void check_within(const std::string& image, size_t index, const Entry& entry, int width, int height) const;
  // The entry's class on `model`, -1 when it has none; throws Error for one the model does not have.
  int class_of(const std::string& image, size_t index, const Entry& entry, const Model& model) const;

  std::string path_;
  std::map<std::string, std::vector<Entry>> images_;
};

// `box` in the pixels of the model's input, from those of an image of width x height.
Box to_model_pixels(const Box& box, int width, int height, const Model& model);

}  // namespace scorecam::eval
