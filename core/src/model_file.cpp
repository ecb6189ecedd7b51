#include "model_file.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "layer_capture.h"
#include "scorecam/error.h"
#include "torchscript_error.h"

namespace scorecam::detail {
namespace {

// Read from the first convolution weight ([out, in, kh, kw]) when the sidecar does not say.
int infer_input_channels(const torch::jit::Module& module) {
  for (const auto& parameter : module.named_parameters(/*recurse=*/true)) {
    if (parameter.value.dim() == 4) return static_cast<int>(parameter.value.size(1));
  }
  return 3;
}

std::string describe_shape(const std::vector<int64_t>& shape) {
  std::ostringstream text;
  text << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) text << (i ? ", " : "") << shape[i];
  text << ']';
  return text.str();
}

struct Survey {
  std::vector<LayerInfo> layers;  // every tensor-returning submodule, in completion order
  std::vector<int64_t> output_shape;
};

// One forward pass of a copy with every submodule's output captured: shapes and output for validation.
Survey survey(const std::string& path, ModelConfig& config, const torch::Device& device,
              torch::ScalarType dtype) {
  torch::jit::Module module = load_torchscript(path, device, dtype);
  if (!config.input_channels) config.input_channels = infer_input_channels(module);
  if (config.mean.size() != static_cast<std::size_t>(*config.input_channels) ||
      config.std.size() != config.mean.size()) {
    throw Error("model '" + path + "' takes " + std::to_string(*config.input_channels) +
                " input channel(s) but its config gives " + std::to_string(config.mean.size()) +
                " mean/std values; set \"mean\" and \"std\" in the sidecar JSON");
  }
  const auto calls = module_calls(module);
  CaptureNames names;
  std::vector<std::string> attributes;
  for (const auto& call : calls) attributes.push_back(capture_output(module, call, names));

  Survey result;
  const auto input = torch::zeros({1, *config.input_channels, config.input_height, config.input_width},
                                  torch::TensorOptions().device(device).dtype(dtype));
  torch::jit::IValue output;
  try {
    c10::InferenceMode guard;
    output = module.forward({input});
  } catch (const std::exception& e) {
    throw Error("model '" + path + "' failed on a " + describe_shape(input.sizes().vec()) +
                " input (" + reason(e) + "); check \"input_size\" and \"input_channels\" in its config");
  }
  if (!output.isTensor()) {
    throw Error("model '" + path + "' returns " + output.tagKind() +
                ", not a tensor of class scores [N, classes]");
  }
  result.output_shape = output.toTensor().sizes().vec();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto captured = submodule(module, calls[i].holder_path).attr(attributes[i]);
    if (!captured.isTensor() || !captured.toTensor().defined()) continue;  // not run for this input
    result.layers.push_back({calls[i].path, captured.toTensor().sizes().vec()});
  }
  return result;
}

const LayerInfo* find_layer(const std::vector<LayerInfo>& layers, const std::string& name) {
  const LayerInfo* found = nullptr;
  for (const auto& layer : layers) {
    if (layer.name == name) found = &layer;  // a module called twice: its last call counts
  }
  return found;
}

bool is_spatial(const LayerInfo& layer) {
  return layer.shape.size() == 4 && layer.shape[2] * layer.shape[3] > 1;
}

std::vector<LayerInfo> feature_map_layers(const std::vector<LayerInfo>& layers) {
  std::vector<LayerInfo> maps;
  for (const auto& layer : layers) {
    if (layer.shape.size() != 4) continue;
    const auto same = std::find_if(maps.begin(), maps.end(), [&](const LayerInfo& l) { return l.name == layer.name; });
    if (same != maps.end()) maps.erase(same);
    maps.push_back(layer);
  }
  return maps;
}

std::string spatial_layer_names(const std::vector<LayerInfo>& layers) {
  std::string names;
  for (const auto& layer : feature_map_layers(layers)) {
    if (is_spatial(layer)) names += (names.empty() ? "" : ", ") + layer.name;
  }
  return names.empty() ? "(none)" : names;
}

std::string choose_target(const std::string& path, const ModelConfig& config, const Survey& survey) {
  if (config.target_layer.empty()) {
    const auto maps = feature_map_layers(survey.layers);
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
      if (is_spatial(*it)) return it->name;
    }
    throw Error("model '" + path + "' has no layer whose output is a spatial feature map [N, K, h, w] with h*w > 1;"
                " Score-CAM needs a convolutional layer (a model frozen with torch.jit.freeze has no layers left)");
  }
  const LayerInfo* layer = find_layer(survey.layers, config.target_layer);
  if (!layer) {
    throw Error("unknown layer '" + config.target_layer + "' in model '" + path +
                "'; layers with a spatial feature map: " + spatial_layer_names(survey.layers));
  }
  if (!is_spatial(*layer)) {
    throw Error("layer '" + config.target_layer + "' of model '" + path + "' outputs " +
                describe_shape(layer->shape) + ", not a spatial feature map [N, K, h, w] with h*w > 1; use one of: " +
                spatial_layer_names(survey.layers));
  }
  return layer->name;
}

}  // namespace

ModelConfig resolve_config(const std::string& model_path, const ModelOptions& options) {
  const std::string config_path =
      options.config_path.empty() ? default_config_path(model_path) : options.config_path;
  ModelConfig config = config_path.empty() ? ModelConfig{} : load_model_config(config_path);
  if (!options.labels_path.empty()) config.labels = load_labels(options.labels_path);
  if (!options.target_layer.empty()) config.target_layer = options.target_layer;
  if (options.input_height > 0 && options.input_width > 0) {
    config.input_height = options.input_height;
    config.input_width = options.input_width;
  }
  return config;
}

torch::jit::Module load_torchscript(const std::string& path, const torch::Device& device, torch::ScalarType dtype) {
  if (!std::filesystem::exists(path)) throw Error("model file '" + path + "' does not exist");
  if (std::filesystem::is_directory(path)) throw Error("model path '" + path + "' is a directory, not a file");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device);
    module.eval();
  } catch (const c10::Error& e) {
    throw Error("'" + path + "' is not a readable TorchScript model (" + reason(e) +
                "); export it with torch.jit.trace(model, example).save(path) or torch.jit.script");
  }
  module.to(device, dtype);
  return module;
}

ClassifierSurvey survey_classifier(const std::string& path, ModelConfig& config, const torch::Device& device,
                                   torch::ScalarType dtype) {
  const Survey found = survey(path, config, device, dtype);
  if (found.output_shape.size() != 2 || found.output_shape[0] != 1 || found.output_shape[1] < 2) {
    throw Error("model '" + path + "' outputs " + describe_shape(found.output_shape) +
                " for one image; a classifier must output [N, classes] with at least 2 classes");
  }
  ClassifierSurvey result;
  result.target_layer = choose_target(path, config, found);
  result.num_classes = static_cast<int>(found.output_shape[1]);
  const auto shape = find_layer(found.layers, result.target_layer)->shape;
  result.activation_shape = {shape[1], shape[2], shape[3]};
  if (!config.labels.empty() && static_cast<int>(config.labels.size()) != result.num_classes) {
    throw Error("model '" + path + "' has " + std::to_string(result.num_classes) + " classes but " +
                std::to_string(config.labels.size()) + " labels were given");
  }
  return result;
}

std::vector<LayerInfo> list_layers(const std::string& model_path, const ModelOptions& options) {
  ModelConfig config = resolve_config(model_path, options);
  const torch::Device device = parse_device(options.device);
  // The first pass, which the target layer's activations come from, runs in fp32 at every precision.
  return feature_map_layers(survey(model_path, config, device, torch::kFloat).layers);
}

}  // namespace scorecam::detail
