// scorecam-eval: how faithful and how well placed each method's maps are, over a folder of images
// (see scorecam/faithfulness.h for the measures).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "discrimination_eval.h"
#include "eval_boxes.h"
#include "eval_plots.h"
#include "eval_progress.h"
#include "model_args.h"
#include "output_paths.h"
#include "precision_eval.h"
#include "scorecam/cam_method.h"
#include "scorecam/error.h"
#include "scorecam/faithfulness.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/image.h"
#include "scorecam/model_config.h"

namespace {

using namespace scorecam;
namespace fs = std::filesystem;

const char* kUsage = R"(usage: scorecam-eval [--model M.pt] [--config M.json] [--layer NAME] [model options of scorecam]
                     [--methods scorecam,sscam,iscam,gradcam,gradcampp] [--samples N] [--noise-sigma S]
                     [--boxes BOXES.json] [--steps N] [--sanity-images N] [--limit N]
                     [--json OUT.json] [--plots DIR] [--grid-images N] IMAGE_DIR
       scorecam-eval ... --precisions bf16,int8,auto IMAGE_DIR
       scorecam-eval ... --discrimination --boxes LABELLED.json IMAGE_DIR

For every image of IMAGE_DIR (.png, .jpg, .jpeg, .bmp) and every method, explains the model's
predicted class and measures, with the model itself:
  Average Drop %, Increase in Confidence % (the class probability on E = X * map against X),
  Deletion and Insertion AUC (--steps steps, default 20: pixels removed from X, or added to the
  mean image, in order of saliency),
  with --boxes (JSON {"image.png": [x0, y0, x1, y1], ...} in the image's pixels, one box for every
  image, each within its image with x0 < x1 and y0 < y1, else an error naming it): the energy-based pointing game (share of the map inside the box) and the pointing game;
  the sanity check (on the first --sanity-images images, default 8; 0: off): the model's weighted
  layers re-initialized one after another from the top, and the rank correlation of each method's
  map with its map on the trained model (a faithful map changes);
  wall time per image.
Prints a Markdown table; --json writes every per-image figure; --plots DIR writes curves.png
(mean deletion and insertion curves) and maps.png (a grid of the first --grid-images images,
default 6, by method); both paths are checked for writing before the first image. --limit takes
the first N images only (N at least 1). Progress goes to stderr.

With --precisions, only this: for the first of --methods (default scorecam), the maps of the model
loaded at each precision (--precision's values but fp32, which is the reference) against fp32's on
every image, for fp32's predicted class: mean and least Pearson correlation, top-1 agreement (the
first pass is fp32 at every precision, so it is 100 % by construction), mean energy in the box
with --boxes, ms per image, and what the masked passes ran on.

With --discrimination, only this: every image has two or more boxes of different classes
(--boxes JSON {"image.png": [{"box": [x0, y0, x1, y1], "class": "Sneaker"}, ...], ...}, a class
being one of the model's labels or a class number; boxes of different classes must not overlap).
Each method explains each class of each image in turn; the table gives the share of maps whose
energy inside the asked class's boxes beats that inside each other class's, the energy in the
asked and in the other boxes (mean and standard deviation over images), and how much the
channel weights change with the class (Pearson correlation of two classes' weights on the same
image). --json writes every map's figures, --plots DIR writes discrimination.png (the first
--grid-images images by method and asked class, boxes green for the first class, magenta for
the second).
)";

struct Sample {
  std::string name;
  cv::Mat image;  // BGR, as read
  torch::Tensor input;
  std::optional<Box> box;  // in the model input's pixels
  std::vector<LabelledBox> labelled;  // --discrimination: in the image's pixels
  int target_class = -1;
  float probability = 0;
};

struct Scores {
  torch::Tensor map;
  bool empty = false;
  double milliseconds = 0;
  ConfidenceChange confidence;
  Curve deletion, insertion;
  std::optional<double> energy;
  std::optional<bool> pointing;
};

std::vector<fs::path> list_images(const std::string& folder) {
  if (!fs::is_directory(folder)) throw Error("image folder '" + folder + "' does not exist or is not a folder");
  std::vector<fs::path> images;
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string extension = entry.path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
    if (entry.is_regular_file() && (extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".bmp"))
      images.push_back(entry.path());
  }
  if (images.empty()) throw Error("image folder '" + folder + "' holds no .png, .jpg, .jpeg or .bmp image");
  std::sort(images.begin(), images.end());
  return images;
}

std::vector<Method> parse_methods(const std::string& list) {
  std::vector<Method> methods;
  std::stringstream names(list);
  for (std::string name; std::getline(names, name, ',');) methods.push_back(parse_method(name));
  if (methods.empty()) throw Error("--methods names no method");
  return methods;
}

// --samples and --noise-sigma for one of the --methods.
MethodOptions method_options(const cli::CommandLine& args, Method method) {
  MethodOptions options = cli::method_options(args);
  options.method = method;
  return options;
}

// `limit`: the first images only; 0: all. With --boxes, each image's one box, or with
// --discrimination its labelled boxes, all checked before the first image is measured.
std::vector<Sample> load_samples(const cli::CommandLine& args, Model& model, int limit) {
  auto paths = list_images(args.positional().at(0));
  if (limit > 0 && static_cast<size_t>(limit) < paths.size()) paths.resize(limit);
  const auto boxes = args.has("boxes") ? std::optional<eval::BoxesFile>(args.text("boxes")) : std::nullopt;
  std::vector<Sample> samples;
  for (const auto& path : paths) {
    Sample sample;
    sample.name = path.filename().string();
    sample.image = cv::imread(path.string(), cv::IMREAD_COLOR);
    if (sample.image.empty()) throw Error("cannot read image '" + path.string() + "'");
    sample.input = to_model_input({sample.image.data, sample.image.cols, sample.image.rows, sample.image.step[0],
                                   PixelLayout::BGR}, model);
    const auto probabilities = torch::softmax(model.forward(sample.input).logits[0], 0);
    sample.target_class = static_cast<int>(probabilities.argmax().item<int64_t>());
    sample.probability = probabilities[sample.target_class].item<float>();
    const int width = sample.image.cols, height = sample.image.rows;
    if (boxes && args.has("discrimination")) {
      sample.labelled = boxes->labelled_boxes(sample.name, width, height, model);
    } else if (boxes) {
      sample.box = eval::to_model_pixels(boxes->box(sample.name, width, height), width, height, model);
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

Scores score(CamMethod& method, Model& model, const Sample& sample, int steps, int batch) {
  Scores s;
  const auto start = std::chrono::steady_clock::now();
  const auto explanation = method.explain(sample.input, sample.target_class);
  s.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  s.map = explanation.map;
  s.empty = explanation.empty;
  s.confidence = confidence_change(model, sample.input, s.map, sample.target_class);
  s.deletion = saliency_curve(model, sample.input, s.map, sample.target_class, steps, /*insert=*/false, batch);
  s.insertion = saliency_curve(model, sample.input, s.map, sample.target_class, steps, /*insert=*/true, batch);
  if (sample.box) {
    s.energy = energy_in_box(s.map, *sample.box);
    s.pointing = peak_in_box(s.map, *sample.box);
  }
  return s;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / values.size();
}

struct Summary {
  double average_drop = 0, increase = 0, deletion = 0, insertion = 0, ms = 0;
  std::optional<double> energy, pointing;
  std::vector<double> deletion_curve, insertion_curve;
};

Summary summarize(const std::vector<Scores>& scores) {
  Summary s;
  std::vector<double> drops, increases, deletions, insertions, ms, energies, hits;
  s.deletion_curve.assign(scores.front().deletion.probabilities.size(), 0.0);
  s.insertion_curve.assign(scores.front().insertion.probabilities.size(), 0.0);
  for (const auto& x : scores) {
    drops.push_back(x.confidence.drop());
    increases.push_back(x.confidence.increased() ? 1.0 : 0.0);
    deletions.push_back(x.deletion.area());
    insertions.push_back(x.insertion.area());
    ms.push_back(x.milliseconds);
    if (x.energy) energies.push_back(*x.energy);
    if (x.pointing) hits.push_back(*x.pointing ? 1.0 : 0.0);
    for (size_t i = 0; i < s.deletion_curve.size(); ++i) {
      s.deletion_curve[i] += x.deletion.probabilities[i] / scores.size();
      s.insertion_curve[i] += x.insertion.probabilities[i] / scores.size();
    }
  }
  s.average_drop = 100 * mean(drops);
  s.increase = 100 * mean(increases);
  s.deletion = mean(deletions);
  s.insertion = mean(insertions);
  std::sort(ms.begin(), ms.end());
  s.ms = ms[ms.size() / 2];
  if (!energies.empty()) s.energy = 100 * mean(energies);
  if (!hits.empty()) s.pointing = 100 * mean(hits);
  return s;
}

// Rank correlation with the trained model's map, per randomized layer (cumulative from the top) and method.
std::vector<std::vector<double>> sanity_check(const cli::CommandLine& args, const std::vector<Method>& methods,
                                              const std::vector<Sample>& samples,
                                              const std::vector<std::vector<Scores>>& trained,
                                              const std::vector<std::string>& layers, int count) {
  const std::string path = cli::model_path(args);
  auto options = cli::model_options(args);
  if (options.config_path.empty()) options.config_path = default_config_path(path);
  const std::string copy = (fs::temp_directory_path() / ("scorecam-eval-" + std::to_string(getpid()) + ".pt")).string();
  std::vector<std::vector<double>> correlations;
  for (size_t depth = 1; depth <= layers.size(); ++depth) {
    std::fprintf(stderr, "sanity check: layers randomized down to %s (%zu of %zu)\n", layers[depth - 1].c_str(), depth,
                 layers.size());
    randomized_copy(path, static_cast<int>(depth), copy, /*seed=*/depth);
    const auto randomized = Model::load(copy, options);
    std::vector<double> row;
    for (size_t m = 0; m < methods.size(); ++m) {
      const auto method = make_method(*randomized, method_options(args, methods[m]), cli::score_cam_options(args));
      std::vector<double> values;
      for (int i = 0; i < count; ++i)
        values.push_back(rank_correlation(method->explain(samples[i].input, samples[i].target_class).map,
                                          trained[m][i].map));
      row.push_back(mean(values));
    }
    correlations.push_back(row);
  }
  fs::remove(copy);
  return correlations;
}

std::string percent(const std::optional<double>& value) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", *value);
  return text;
}

void print_tables(const std::vector<Method>& methods, const std::vector<Summary>& summaries, size_t images, int steps,
                  const std::vector<std::string>& layers, const std::vector<std::vector<double>>& sanity, int sanity_images) {
  std::printf("%zu images, predicted class; deletion and insertion in %d steps\n\n", images, steps);
  std::printf("| method | Average Drop %% (lower is better) | Increase in Confidence %% (higher) | Deletion AUC (lower) "
              "| Insertion AUC (higher) | energy in box %% (higher) | pointing game %% (higher) | ms per image (median) |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (size_t m = 0; m < methods.size(); ++m) {
    const Summary& s = summaries[m];
    std::printf("| %s | %.1f | %.1f | %.4f | %.4f | %s | %s | %.1f |\n", method_name(methods[m]).c_str(), s.average_drop,
                s.increase, s.deletion, s.insertion, percent(s.energy).c_str(), percent(s.pointing).c_str(), s.ms);
  }
  if (sanity.empty()) return;
  std::printf("\nSanity check: rank correlation with the trained model's map, %d images, weighted layers "
              "re-initialized from the top (cumulative; lower means the map depends on the weights)\n\n", sanity_images);
  std::printf("| randomized down to |");
  for (Method m : methods) std::printf(" %s |", method_name(m).c_str());
  std::printf("\n|---|");
  for (size_t m = 0; m < methods.size(); ++m) std::printf("---|");
  std::printf("\n");
  for (size_t d = 0; d < sanity.size(); ++d) {
    std::printf("| %s |", layers[d].c_str());
    for (double r : sanity[d]) std::printf(" %.3f |", r);
    std::printf("\n");
  }
}

void write_json_file(const std::string& path, const nlohmann::json& out) {
  std::ofstream file(path);
  file << out.dump(1) << '\n';
  if (!file) throw Error("cannot write '" + path + "'");
}

void write_picture(const std::string& folder, const std::string& name, const cv::Mat& picture) {
  const std::string path = (fs::path(folder) / name).string();
  if (!cv::imwrite(path, picture)) throw Error("cannot write '" + path + "'");
}

nlohmann::json curve_json(const Curve& curve) { return {{"probabilities", curve.probabilities}, {"auc", curve.area()}}; }

void write_json(const std::string& path, const std::vector<Method>& methods, const std::vector<Sample>& samples,
                const std::vector<std::vector<Scores>>& scores, const std::vector<Summary>& summaries,
                const std::vector<std::string>& layers, const std::vector<std::vector<double>>& sanity, Model& model) {
  nlohmann::json out;
  for (size_t i = 0; i < samples.size(); ++i) {
    nlohmann::json image = {{"image", samples[i].name},
                            {"class_id", samples[i].target_class},
                            {"label", model.label(samples[i].target_class)},
                            {"probability", samples[i].probability}};
    for (size_t m = 0; m < methods.size(); ++m) {
      const Scores& s = scores[m][i];
      image["methods"][method_name(methods[m])] = {
          {"drop", s.confidence.drop()}, {"increase", s.confidence.increased()},
          {"probability_on_explanation", s.confidence.explanation}, {"deletion", curve_json(s.deletion)},
          {"insertion", curve_json(s.insertion)}, {"energy_in_box", s.energy ? nlohmann::json(*s.energy) : nullptr},
          {"peak_in_box", s.pointing ? nlohmann::json(*s.pointing) : nullptr}, {"empty", s.empty},
          {"milliseconds", s.milliseconds}};
    }
    out["images"].push_back(image);
  }
  for (size_t m = 0; m < methods.size(); ++m) {
    const Summary& s = summaries[m];
    out["summary"][method_name(methods[m])] = {
        {"average_drop_percent", s.average_drop}, {"increase_percent", s.increase}, {"deletion_auc", s.deletion},
        {"insertion_auc", s.insertion}, {"energy_in_box_percent", s.energy ? nlohmann::json(*s.energy) : nullptr},
        {"pointing_game_percent", s.pointing ? nlohmann::json(*s.pointing) : nullptr},
        {"median_milliseconds", s.ms}};
  }
  for (size_t d = 0; d < sanity.size(); ++d) {
    nlohmann::json row = {{"randomized_down_to", layers[d]}};
    for (size_t m = 0; m < methods.size(); ++m) row[method_name(methods[m])] = sanity[d][m];
    out["sanity_check"].push_back(row);
  }
  write_json_file(path, out);
}

void write_plots(const std::string& folder, Model& model, const std::vector<Method>& methods,
                 const std::vector<Sample>& samples, const std::vector<std::vector<Scores>>& scores,
                 const std::vector<Summary>& summaries, int grid_images) {
  fs::create_directories(folder);
  std::vector<eval::CurveSeries> deletion, insertion;
  std::vector<std::string> names;
  for (size_t m = 0; m < methods.size(); ++m) {
    names.push_back(method_name(methods[m]));
    deletion.push_back({names.back(), summaries[m].deletion_curve, summaries[m].deletion});
    insertion.push_back({names.back(), summaries[m].insertion_curve, summaries[m].insertion});
  }
  std::vector<eval::GridRow> rows;
  for (int i = 0; i < std::min<int>(grid_images, static_cast<int>(samples.size())); ++i) {
    eval::GridRow row{samples[i].image,
                      model.label(samples[i].target_class) + " " +
                          std::to_string(static_cast<int>(samples[i].probability * 100 + 0.5)) + "%"};
    for (size_t m = 0; m < methods.size(); ++m) {
      row.maps.push_back(scores[m][i].map);
      row.notes.push_back("drop " + std::to_string(static_cast<int>(scores[m][i].confidence.drop() * 100 + 0.5)) + "%");
    }
    rows.push_back(row);
  }
  write_picture(folder, "curves.png", eval::plot_curves(deletion, insertion));
  write_picture(folder, "maps.png", eval::map_grid(names, rows));
}

// --discrimination: each method's map for each labelled class of every image, instead of the
// measures above.
int run_discrimination(const cli::CommandLine& args, Model& model, const std::vector<Method>& methods,
                       const std::vector<Sample>& samples, int grid_images) {
  std::vector<eval::LabelledImage> images;
  for (const Sample& sample : samples) {
    eval::LabelledImage image{sample.name, sample.image, sample.input, {}, sample.labelled};
    for (const auto& b : sample.labelled)
      image.boxes.push_back({eval::to_model_pixels(b.box, sample.image.cols, sample.image.rows, model), b.class_id});
    images.push_back(std::move(image));
  }
  const auto score_cam = cli::score_cam_options(args);
  std::vector<std::string> names;
  std::vector<std::vector<eval::ImageDiscrimination>> results;
  std::vector<eval::DiscriminationSummary> summaries;
  for (Method m : methods) {
    const auto cam = make_method(model, method_options(args, m), score_cam);
    names.push_back(method_name(m));
    results.push_back(eval::measure_discrimination(*cam, images));
    summaries.push_back(eval::summarize_discrimination(results.back()));
  }
  const std::string mode = score_mode_name(score_cam.score_mode);
  eval::print_discrimination_table(names, summaries, images.size(), mode);
  if (args.has("json"))
    write_json_file(args.text("json"), {{"discrimination", eval::discrimination_json(names, images, results, summaries,
                                                                                      model, mode)}});
  if (args.has("plots")) {
    fs::create_directories(args.text("plots"));
    write_picture(args.text("plots"), "discrimination.png",
                  eval::discrimination_grid(names, images, results, model, grid_images));
  }
  return 0;
}

int run(const cli::CommandLine& args) {
  if (args.positional().size() != 1) throw cli::UsageError("give one IMAGE_DIR");
  const auto methods = parse_methods(args.text("methods", "scorecam,sscam,iscam,gradcam,gradcampp"));
  const int steps = args.integer("steps", 20, cli::Range::at_least(1));
  const int limit = args.integer("limit", 0, cli::Range::at_least(1));
  const int wanted_sanity_images = args.integer("sanity-images", 8, cli::Range::at_least(0));
  const int grid_images = args.integer("grid-images", 6, cli::Range::at_least(0));
  if (args.has("json")) cli::check_writable_file("json", args.text("json"));
  if (args.has("plots")) cli::check_writable_folder("plots", args.text("plots"));
  if (args.has("discrimination") && !args.has("boxes"))
    throw cli::UsageError("--discrimination needs --boxes: the labelled boxes of every image");
  if (args.has("discrimination") && args.has("precisions"))
    throw cli::UsageError("give --discrimination or --precisions, not both");
  const auto score_cam = cli::score_cam_options(args);
  const auto model = cli::load_model(args, "scorecam-eval");
  const auto samples = load_samples(args, *model, limit);
  if (args.has("discrimination")) return run_discrimination(args, *model, methods, samples, grid_images);
  if (args.has("precisions")) {
    std::vector<torch::Tensor> inputs;
    std::vector<std::optional<Box>> boxes;
    for (const Sample& sample : samples) {
      inputs.push_back(sample.input);
      boxes.push_back(sample.box);
    }
    std::vector<std::string> precisions;
    std::stringstream names(args.text("precisions"));
    for (std::string name; std::getline(names, name, ',');) precisions.push_back(name);
    if (precisions.empty()) throw cli::UsageError("--precisions names no precision");
    const auto rows = eval::compare_precisions(cli::model_path(args), cli::model_options(args),
                                               method_options(args, methods.front()), score_cam, inputs, boxes,
                                               precisions);
    eval::print_precision_table(rows, samples.size(), method_name(methods.front()));
    return 0;
  }
  const int sanity_images = std::min<int>(wanted_sanity_images, static_cast<int>(samples.size()));

  std::vector<std::unique_ptr<CamMethod>> cams;
  for (Method m : methods) {
    cams.push_back(make_method(*model, method_options(args, m), score_cam));
  }
  std::vector<std::vector<Scores>> scores(methods.size());
  {
    eval::Progress progress;
    for (size_t i = 0; i < samples.size(); ++i) {
      progress.image(i, samples.size(), samples[i].name);
      for (size_t m = 0; m < methods.size(); ++m)
        scores[m].push_back(score(*cams[m], *model, samples[i], steps, score_cam.batch_size));
    }
  }
  std::vector<Summary> summaries;
  for (const auto& per_method : scores) summaries.push_back(summarize(per_method));
  const auto layers = sanity_images > 0 ? weighted_layers_from_top(cli::model_path(args)) : std::vector<std::string>{};
  const auto sanity = sanity_images > 0 ? sanity_check(args, methods, samples, scores, layers, sanity_images)
                                        : std::vector<std::vector<double>>{};
  print_tables(methods, summaries, samples.size(), steps, layers, sanity, sanity_images);
  if (args.has("json")) write_json(args.text("json"), methods, samples, scores, summaries, layers, sanity, *model);
  if (args.has("plots"))
    write_plots(args.text("plots"), *model, methods, samples, scores, summaries, grid_images);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = scorecam::cli;
  const cli::Syntax syntax{
      cli::with_model_options({"methods", "boxes", "steps", "sanity-images", "json", "plots", "grid-images", "limit",
                               "precisions"}),
      {"discrimination"}};
  return cli::main_with_errors({"scorecam-eval", kUsage, syntax}, argc, argv, run);
}
