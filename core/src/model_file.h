#pragma once
// The model file: the TorchScript module, its sidecar config, and the survey, one pass with every
// submodule's output captured, that validates it as a classifier and picks the layer to explain.
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/model.h"

namespace scorecam::detail {

// The sidecar (options.config_path, else the one beside the model, if any) with the options' overrides.
ModelConfig resolve_config(const std::string& model_path, const ModelOptions& options);

// The module on `device` in `dtype`, in eval mode. Throws Error when the file is missing or not TorchScript.
torch::jit::Module load_torchscript(const std::string& path, const torch::Device& device, torch::ScalarType dtype);

struct ClassifierSurvey {
  std::string target_layer;               // config.target_layer, else the last spatial feature map
  int num_classes = 0;
  std::vector<int64_t> activation_shape;  // [K, h, w] of the target layer
};

// Checks that the model outputs [1, classes] for one image at the configured size, that its target
// layer outputs a spatial feature map and that the labels fit; fills in config.input_channels when
// the sidecar does not say. Throws Error naming the file and what to fix.
ClassifierSurvey survey_classifier(const std::string& path, ModelConfig& config, const torch::Device& device,
                                   torch::ScalarType dtype);

// Model::list_layers.
std::vector<LayerInfo> list_layers(const std::string& model_path, const ModelOptions& options);

}  // namespace scorecam::detail
