#include "scorecam/faithfulness.h"

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "layer_capture.h"
#include "scorecam/error.h"

namespace scorecam {
namespace {

// Class probabilities of `target_class` on a batch of inputs, in chunks of `batch_size`.
std::vector<double> probabilities(Model& model, const torch::Tensor& inputs, int target_class, int batch_size) {
  std::vector<double> result;
  for (int64_t start = 0; start < inputs.size(0); start += batch_size) {
    const auto chunk = inputs.narrow(0, start, std::min<int64_t>(batch_size, inputs.size(0) - start));
    const auto p = torch::softmax(model.classify(chunk), 1).select(1, target_class).to(torch::kCPU, torch::kDouble);
    for (int64_t i = 0; i < p.numel(); ++i) result.push_back(p[i].item<double>());
  }
  return result;
}

torch::Tensor plane_mask(const torch::Tensor& flat_keep, const torch::Tensor& input) {
  return flat_keep.view({-1, 1, input.size(2), input.size(3)}).to(input.device(), input.scalar_type());
}

// Pixel edges of a box inside a map of `height` x `width`, rounded to whole pixels.
std::array<int64_t, 4> pixel_bounds(const Box& box, int64_t height, int64_t width) {
  auto clamp = [](double v, int64_t high) { return std::clamp<int64_t>(std::llround(v), 0, high); };
  return {clamp(box.x0, width), clamp(box.y0, height), clamp(box.x1, width), clamp(box.y1, height)};
}

// Ranks from 1, tied values sharing the mean of their ranks.
std::vector<double> mean_ranks(const torch::Tensor& values) {
  const auto flat = values.flatten().to(torch::kCPU, torch::kDouble).contiguous();
  const auto order = std::get<1>(flat.sort(/*stable=*/true, 0, false));
  const double* v = flat.data_ptr<double>();
  const int64_t* o = order.data_ptr<int64_t>();
  const int64_t n = flat.numel();
  std::vector<double> ranks(n);
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && v[o[j + 1]] == v[o[i]]) ++j;
    for (int64_t k = i; k <= j; ++k) ranks[o[k]] = (i + j) / 2.0 + 1.0;
    i = j + 1;
  }
  return ranks;
}

}  // namespace

ConfidenceChange confidence_change(Model& model, const torch::Tensor& input, const torch::Tensor& map, int target_class) {
  c10::InferenceMode guard;
  const auto explanation = input * map.to(input.device(), input.scalar_type()).view({1, 1, map.size(0), map.size(1)});
  const auto p = probabilities(model, torch::cat({input, explanation}), target_class, 2);
  return {p[0], p[1]};
}

double Curve::area() const {
  if (probabilities.size() < 2) return probabilities.empty() ? 0.0 : probabilities[0];
  double sum = 0;
  for (std::size_t i = 1; i < probabilities.size(); ++i) sum += (probabilities[i - 1] + probabilities[i]) / 2.0;
  return sum / static_cast<double>(probabilities.size() - 1);
}

Curve saliency_curve(Model& model, const torch::Tensor& input, const torch::Tensor& map, int target_class, int steps,
                     bool insert, int batch_size) {
  if (steps < 1) throw Error("a deletion or insertion curve needs at least 1 step");
  c10::InferenceMode guard;
  const auto flat = map.flatten().to(torch::kCPU, torch::kFloat);
  const int64_t pixels = flat.numel();
  // rank[p]: the position of pixel p in order of decreasing saliency.
  const auto order = std::get<1>(flat.sort(/*stable=*/true, 0, /*descending=*/true));
  const auto rank = torch::empty_like(order).index_put_({order}, torch::arange(pixels, order.options()));
  const auto counts =
      (torch::arange(steps + 1, torch::kDouble) * pixels / steps).round().to(torch::kLong).view({-1, 1});
  const auto changed = rank.view({1, -1}) < counts;  // [steps + 1, pixels]: the pixels taken so far
  const auto keep = insert ? changed : changed.logical_not();
  Curve curve;
  // One step's inputs at a time per batch, so that memory stays at one batch whatever the steps.
  for (int64_t start = 0; start <= steps; start += batch_size) {
    const int64_t size = std::min<int64_t>(batch_size, steps + 1 - start);
    const auto masked = input * plane_mask(keep.narrow(0, start, size), input);
    const auto p = probabilities(model, masked, target_class, batch_size);
    curve.probabilities.insert(curve.probabilities.end(), p.begin(), p.end());
  }
  return curve;
}

std::optional<std::string> box_problem(const Box& box, double width, double height) {
  // Written so that a NaN edge fails too.
  if (!(box.x0 < box.x1 && box.y0 < box.y1)) return std::string("has no area: it needs x0 < x1 and y0 < y1");
  if (!(box.x0 >= 0 && box.y0 >= 0 && box.x1 <= width && box.y1 <= height)) {
    std::ostringstream text;
    text << "does not lie within the image's " << width << " x " << height << " pixels: it needs 0 <= x0 < x1 <= "
         << width << " and 0 <= y0 < y1 <= " << height;
    return text.str();
  }
  return std::nullopt;
}

double energy_in_box(const torch::Tensor& map, const Box& box) {
  const auto m = map.to(torch::kCPU, torch::kDouble);
  const double total = m.sum().item<double>();
  if (total <= 0) return 0.0;
  const auto [x0, y0, x1, y1] = pixel_bounds(box, m.size(0), m.size(1));
  if (x1 <= x0 || y1 <= y0) return 0.0;
  return m.slice(0, y0, y1).slice(1, x0, x1).sum().item<double>() / total;
}

bool peak_in_box(const torch::Tensor& map, const Box& box) {
  const auto m = map.to(torch::kCPU, torch::kFloat);
  const int64_t peak = m.flatten().argmax().item<int64_t>();
  const int64_t y = peak / m.size(1), x = peak % m.size(1);
  const auto [x0, y0, x1, y1] = pixel_bounds(box, m.size(0), m.size(1));
  return x >= x0 && x < x1 && y >= y0 && y < y1;
}

torch::Tensor box_mask(const Box& box, int64_t height, int64_t width) {
  auto mask = torch::zeros({height, width}, torch::kBool);
  const auto [x0, y0, x1, y1] = pixel_bounds(box, height, width);
  if (x1 > x0 && y1 > y0) mask.slice(0, y0, y1).slice(1, x0, x1).fill_(true);
  return mask;
}

std::optional<std::string> labelled_boxes_problem(const std::vector<LabelledBox>& boxes) {
  if (boxes.size() < 2) return "has " + std::to_string(boxes.size()) + " box; class discrimination needs two or more";
  std::set<int> classes;
  for (const auto& b : boxes) {
    if (b.class_id < 0) return "has a box without a class";
    classes.insert(b.class_id);
  }
  if (classes.size() < 2) return std::string("has boxes of one class only; class discrimination needs two or more");
  const auto overlap = [](const Box& a, const Box& b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  };
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      if (boxes[i].class_id != boxes[j].class_id && overlap(boxes[i].box, boxes[j].box))
        return "has overlapping boxes of different classes (boxes " + std::to_string(i + 1) + " and " +
               std::to_string(j + 1) + ", classes " + std::to_string(boxes[i].class_id) + " and " +
               std::to_string(boxes[j].class_id) + ")";
    }
  }
  return std::nullopt;
}

ClassDiscrimination class_discrimination(const torch::Tensor& map, const std::vector<LabelledBox>& boxes,
                                         int asked_class) {
  if (const auto problem = labelled_boxes_problem(boxes)) throw Error("class discrimination: the image " + *problem);
  const auto m = map.to(torch::kCPU, torch::kDouble);
  // One mask per class: boxes of one class count once where they overlap each other.
  std::map<int, torch::Tensor> masks;
  for (const auto& b : boxes) {
    const auto mask = box_mask(b.box, m.size(0), m.size(1));
    auto& of_class = masks[b.class_id];
    of_class = of_class.defined() ? of_class.logical_or(mask) : mask;
  }
  if (!masks.count(asked_class))
    throw Error("class discrimination: no box of the asked class " + std::to_string(asked_class));
  ClassDiscrimination result;
  const double total = m.sum().item<double>();
  if (total <= 0) return result;
  const auto share = [&](const torch::Tensor& mask) { return (m * mask).sum().item<double>() / total; };
  result.asked_energy = share(masks[asked_class]);
  result.asked_wins = true;
  for (const auto& [class_id, mask] : masks) {
    if (class_id == asked_class) continue;
    const double energy = share(mask);
    result.other_energy += energy;  // the classes' boxes do not overlap: their shares add up
    if (energy >= result.asked_energy) result.asked_wins = false;
  }
  return result;
}

double map_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.numel() != b.numel()) throw Error("correlation of maps of different sizes");
  const auto x = a.flatten().to(torch::kDouble) - a.to(torch::kDouble).mean();
  const auto y = b.flatten().to(torch::kDouble) - b.to(torch::kDouble).mean();
  const double denominator = (x.norm() * y.norm()).item<double>();
  if (denominator == 0.0) return x.norm().item<double>() == y.norm().item<double>() ? 1.0 : 0.0;
  return (x * y).sum().item<double>() / denominator;
}

double rank_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.numel() != b.numel()) throw Error("rank correlation of maps of different sizes");
  const auto ra = torch::tensor(mean_ranks(a), torch::kDouble), rb = torch::tensor(mean_ranks(b), torch::kDouble);
  const auto da = ra - ra.mean(), db = rb - rb.mean();
  const double denominator = std::sqrt((da * da).sum().item<double>() * (db * db).sum().item<double>());
  return denominator > 0 ? (da * db).sum().item<double>() / denominator : 0.0;
}

std::vector<std::string> weighted_layers_from_top(const std::string& model_path) {
  auto module = torch::jit::load(model_path, torch::kCPU);
  std::vector<std::string> layers;
  for (const auto& child : module.named_modules()) {
    for (const auto& parameter : child.value.named_parameters(/*recurse=*/false)) {
      if (parameter.name == "weight" && parameter.value.dim() >= 2) layers.push_back(child.name);
    }
  }
  std::reverse(layers.begin(), layers.end());
  return layers;
}

void randomized_copy(const std::string& model_path, int count, const std::string& out_path, uint64_t seed) {
  auto module = torch::jit::load(model_path, torch::kCPU);
  const auto layers = weighted_layers_from_top(model_path);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  for (int i = 0; i < std::min<int>(count, static_cast<int>(layers.size())); ++i) {
    for (const auto& parameter : detail::submodule(module, layers[i]).named_parameters(/*recurse=*/false)) {
      auto value = parameter.value;
      const double mean = value.mean().item<double>();
      const double std = value.numel() > 1 ? value.std().item<double>() : 0.0;
      value.copy_(torch::randn(value.sizes(), generator) * std + mean);
    }
  }
  module.save(out_path);
}

}  // namespace scorecam
