#include "cli_args.h"

#include <iostream>

#include "scorecam/bundled_model.h"
#include "scorecam/error.h"

namespace scorecam::cli {

const std::set<std::string> kModelOptions = {"model",      "config",       "labels",    "layer",
                                             "device",     "precision",    "size",      "batch-size",
                                             "max-channels", "selection", "score-mode", "seed",
                                             "method",     "samples",      "noise-sigma"};

std::string model_path(const Args& args) {
  if (args.has("model")) return args.text("model");
  const std::string bundled = bundled_model_path();
  if (bundled.empty()) throw Error("no --model given and the bundled model is not installed");
  return bundled;
}

ModelOptions model_options(const Args& args) {
  ModelOptions options;
  options.config_path = args.text("config");
  options.labels_path = args.text("labels");
  options.target_layer = args.text("layer");
  options.device = args.text("device", "cpu");
  options.precision = args.text("precision", "fp32");
  if (args.has("size")) parse_size(args.text("size"), options.input_height, options.input_width);
  return options;
}

std::unique_ptr<Model> load_model(const Args& args, const char* program) {
  auto model = Model::load(model_path(args), model_options(args));
  if (!model->frozen()) std::cerr << program << ": note: forward passes: " << model->inference_path() << "\n";
  return model;
}

ScoreCamOptions score_cam_options(const Args& args) {
  ScoreCamOptions options;
  options.score_mode = parse_score_mode(args.text("score-mode", "probability"));
  options.batch_size = args.integer("batch-size", options.batch_size);
  options.max_channels = args.integer("max-channels", 0);
  options.selection = parse_channel_selection(args.text("selection", "std"));
  options.seed = static_cast<uint64_t>(args.integer("seed", 0));
  return options;
}

MethodOptions method_options(const Args& args) {
  MethodOptions options;
  options.method = parse_method(args.text("method", "scorecam"));
  options.samples = args.integer("samples", 0);
  options.noise_sigma = args.number("noise-sigma", options.noise_sigma);
  return options;
}

Args::Args(int argc, char** argv, const std::set<std::string>& options, const std::set<std::string>& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    const std::string name = arg.substr(2);
    if (flags.count(name)) {
      values_[name] = "1";
    } else if (options.count(name)) {
      if (i + 1 >= argc) throw Error("option " + arg + " needs a value");
      values_[name] = argv[++i];
    } else {
      throw Error("unknown option " + arg + " (see --help)");
    }
  }
}

std::string Args::text(const std::string& name, const std::string& fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

namespace {

// Parses the whole text as a number with `convert` (std::stoi, std::stod), or throws naming the flag.
template <typename Number, typename Convert>
Number parse_number(const std::string& name, const std::string& value, const char* kind, Convert convert) {
  std::size_t used = 0;
  Number result{};
  try {
    result = convert(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size()) throw Error("--" + name + " needs " + kind + ", not '" + value + "'");
  return result;
}

}  // namespace

int Args::integer(const std::string& name, int fallback) const {
  if (!has(name)) return fallback;
  return parse_number<int>(name, text(name), "an integer", [](const std::string& v, std::size_t* used) {
    return std::stoi(v, used);
  });
}

double Args::number(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  return parse_number<double>(name, text(name), "a number", [](const std::string& v, std::size_t* used) {
    return std::stod(v, used);
  });
}

int main_with_errors(const char* program, int argc, char** argv, int (*run)(int, char**)) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  }
}

void parse_size(const std::string& text, int& height, int& width) {
  const auto x = text.find('x');
  try {
    height = std::stoi(text.substr(0, x));
    width = x == std::string::npos ? height : std::stoi(text.substr(x + 1));
  } catch (const std::exception&) {
    height = width = 0;
  }
  if (height < 2 || width < 2) throw Error("--size needs HEIGHTxWIDTH, e.g. 224x224, not '" + text + "'");
}

}  // namespace scorecam::cli
