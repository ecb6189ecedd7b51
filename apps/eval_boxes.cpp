#include "eval_boxes.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "scorecam/error.h"

namespace scorecam::eval {
namespace {

std::optional<Box> as_box(const nlohmann::json& value) {
  if (!value.is_array() || value.size() != 4 ||
      !std::all_of(value.begin(), value.end(), [](const auto& v) { return v.is_number(); }))
    return std::nullopt;
  return Box{value[0].get<double>(), value[1].get<double>(), value[2].get<double>(), value[3].get<double>()};
}

std::string box_text(const Box& b) {
  std::ostringstream text;
  text << "[" << b.x0 << ", " << b.y0 << ", " << b.x1 << ", " << b.y1 << "]";
  return text.str();
}

// The model's labels, for the message of an unknown class.
std::string class_list(const Model& model) {
  std::string list;
  for (int c = 0; c < model.num_classes(); ++c) list += (c ? ", " : "") + model.label(c);
  return list;
}

}  // namespace

BoxesFile::BoxesFile(const std::string& path) : path_(path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read boxes file '" + path + "'");
  nlohmann::json file;
  try {
    in >> file;
  } catch (const nlohmann::json::exception& e) {
    throw Error("boxes file '" + path + "' is not valid JSON: " + e.what());
  }
  if (!file.is_object()) throw Error("boxes file '" + path + "' is not a JSON object of image names");
  for (const auto& [name, value] : file.items()) {
    auto& entries = images_[name];
    if (const auto box = as_box(value)) {
      entries.push_back({*box, std::nullopt, std::nullopt});
      continue;
    }
    const bool labelled = value.is_array() && !value.empty() && value[0].is_object();
    if (!labelled) throw Error("box of '" + name + "' in '" + path + "' is not [x0, y0, x1, y1]");
    for (size_t i = 0; i < value.size(); ++i) {
      const auto& item = value[i];
      const auto box = item.is_object() && item.contains("box") ? as_box(item["box"]) : std::nullopt;
      const bool class_ok = !item.is_object() || !item.contains("class") || item["class"].is_string() ||
                            item["class"].is_number_integer();
      if (!box || !class_ok)
        throw Error("box " + std::to_string(i + 1) + " of '" + name + "' in '" + path +
                    R"(' is not {"box": [x0, y0, x1, y1], "class": LABEL or NUMBER})");
      Entry entry{*box, std::nullopt, std::nullopt};
      if (item.contains("class")) {
        if (item["class"].is_string()) entry.label = item["class"].get<std::string>();
        else entry.class_id = item["class"].get<long long>();
      }
      entries.push_back(entry);
    }
  }
}

const std::vector<BoxesFile::Entry>& BoxesFile::entries(const std::string& image) const {
  const auto found = images_.find(image);
  if (found == images_.end()) throw Error("no box for image '" + image + "' in '" + path_ + "'");
  return found->second;
}

void BoxesFile::check_within(const std::string& image, size_t index, const Entry& entry, int width,
                             int height) const {
  if (const auto problem = box_problem(entry.box, width, height)) {
    const std::string which = entries(image).size() > 1 ? "box " + std::to_string(index) + " " : "box ";
    throw Error(which + box_text(entry.box) + " of image '" + image + "' in '" + path_ + "' " + *problem);
  }
}

Box BoxesFile::box(const std::string& image, int width, int height) const {
  const auto& boxes = entries(image);
  if (boxes.size() != 1)
    throw Error("image '" + image + "' in '" + path_ + "' has " + std::to_string(boxes.size()) +
                " boxes; the box measures take one box per image (several are for --discrimination)");
  check_within(image, 1, boxes.front(), width, height);
  return boxes.front().box;
}

int BoxesFile::class_of(const std::string& image, size_t index, const Entry& entry, const Model& model) const {
  const std::string where = "box " + std::to_string(index) + " of image '" + image + "' in '" + path_ + "'";
  if (entry.class_id) {
    if (*entry.class_id < 0 || *entry.class_id >= model.num_classes())
      throw Error(where + " has class " + std::to_string(*entry.class_id) + ", which the model does not have: it has " +
                  std::to_string(model.num_classes()) + " classes (0.." + std::to_string(model.num_classes() - 1) + ")");
    return static_cast<int>(*entry.class_id);
  }
  if (!entry.label) return -1;  // labelled_boxes_problem() names it, after the count of boxes
  for (int c = 0; c < model.num_classes(); ++c) {
    if (model.label(c) == *entry.label) return c;
  }
  throw Error(where + " has class '" + *entry.label + "', which the model does not have (its classes: " +
              class_list(model) + ")");
}

std::vector<LabelledBox> BoxesFile::labelled_boxes(const std::string& image, int width, int height,
                                                   const Model& model) const {
  const auto& boxes = entries(image);
  std::vector<LabelledBox> result;
  for (size_t i = 0; i < boxes.size(); ++i) {
    check_within(image, i + 1, boxes[i], width, height);
    result.push_back({boxes[i].box, class_of(image, i + 1, boxes[i], model)});
  }
  if (const auto problem = labelled_boxes_problem(result)) throw Error("image '" + image + "' in '" + path_ + "' " + *problem);
  return result;
}

Box to_model_pixels(const Box& box, int width, int height, const Model& model) {
  const double sx = static_cast<double>(model.config().input_width) / width;
  const double sy = static_cast<double>(model.config().input_height) / height;
  return Box{box.x0 * sx, box.y0 * sy, box.x1 * sx, box.y1 * sy};
}

}  // namespace scorecam::eval
