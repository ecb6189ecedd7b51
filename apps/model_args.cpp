#include "model_args.h"

#include <climits>
#include <iostream>

#include "scorecam/bundled_model.h"
#include "scorecam/error.h"

namespace scorecam::cli {

std::set<std::string> with_model_options(std::initializer_list<std::string> own) {
  std::set<std::string> options = {"model",        "config",    "labels",     "layer", "device",
                                   "precision",    "size",      "batch-size", "max-channels",
                                   "selection",    "score-mode", "seed",      "method", "samples",
                                   "noise-sigma"};
  options.insert(own);
  return options;
}

std::string model_path(const CommandLine& args) {
  if (args.has("model")) return args.text("model");
  const std::string bundled = bundled_model_path();
  if (bundled.empty()) throw Error("no --model given and the bundled model is not installed");
  return bundled;
}

ModelOptions model_options(const CommandLine& args, Defaults defaults) {
  const bool user = defaults == Defaults::kUser;
  const Precision default_precision = user ? kUserDefaultPrecision : Precision::Float32;
  ModelOptions options;
  options.config_path = args.text("config");
  options.labels_path = args.text("labels");
  options.target_layer = args.text("layer");
  options.device = args.text("device", "cpu");
  options.precision = args.text("precision", precision_name(default_precision));
  if (args.has("size")) parse_size(args.text("size"), options.input_height, options.input_width);
  options.parallel_passes = args.integer("parallel-passes", 0, Range::at_least(0));
  options.channels_last = args.has("channels-last");
  options.cuda_graphs = args.has("cuda-graphs");
  if (user) options.choice_cache_dir = default_choice_cache_dir();
  return options;
}

std::unique_ptr<Model> load_model(const CommandLine& args, const char* program, Defaults defaults) {
  auto model = Model::load(model_path(args), model_options(args, defaults));
  if (!model->frozen()) std::cerr << program << ": note: forward passes: " << model->inference_path() << "\n";
  return model;
}

ScoreCamOptions score_cam_options(const CommandLine& args) {
  ScoreCamOptions options;
  options.score_mode = parse_score_mode(args.text("score-mode", "probability"));
  options.batch_size = args.integer("batch-size", options.batch_size);
  options.max_channels = args.integer("max-channels", 0);
  options.selection = parse_channel_selection(args.text("selection", "std"));
  options.seed = static_cast<uint64_t>(args.integer("seed", 0));
  return options;
}

MethodOptions method_options(const CommandLine& args) {
  MethodOptions options;
  options.method = parse_method(args.text("method", "scorecam"));
  options.samples = args.integer("samples", 0);
  options.noise_sigma = args.number("noise-sigma", options.noise_sigma);
  return options;
}

int main_with_errors(const Program& program, int argc, char** argv, int (*body)(const CommandLine&)) {
  try {
    return run(program, argc, argv, body);
  } catch (const std::exception& e) {
    std::cerr << program.name << ": " << e.what() << "\n";
    return 2;
  }
}

void parse_size(const std::string& text, int& height, int& width) {
  const auto x = text.find('x');
  const auto first = to_integer(text.substr(0, x));
  const auto second = x == std::string::npos ? first : to_integer(text.substr(x + 1));
  // The least a model input can be, as a sidecar's "input_size" (model_config.cpp).
  const Range sides = Range::at_least(2);
  const auto fits = [&](const std::optional<long long>& side) {
    return side && sides.holds(static_cast<double>(*side)) && *side <= INT_MAX;
  };
  if (!fits(first) || !fits(second))
    throw UsageError("--size needs HEIGHTxWIDTH (or one number for both), each an integer" + sides.text() +
                     ", e.g. 224x224, not '" + text + "'");
  height = static_cast<int>(*first);
  width = static_cast<int>(*second);
}

}  // namespace scorecam::cli
