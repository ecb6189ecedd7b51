#pragma once
// A TorchScript classifier whose forward pass also returns the activations of one named layer.
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/device.h"
#include "scorecam/model_config.h"

namespace scorecam {

struct LayerInfo {
  std::string name;                 // dotted module path, e.g. "layer4" or "features.29"
  std::vector<int64_t> shape;       // output shape for one input at the configured size
};

struct ForwardResult {
  torch::Tensor logits;             // [N, classes], float32
  torch::Tensor activations;        // [N, K, h, w] of the target layer, in the model's precision
};

struct ModelOptions {
  std::string config_path;          // empty: the sidecar beside the model if any, else defaults
  std::string labels_path;          // overrides the sidecar's labels when set
  std::string target_layer;         // overrides the sidecar's target layer when set
  int input_height = 0;             // override the sidecar's input size when both are set
  int input_width = 0;
  std::string device = "cpu";
  std::string precision = "fp32";
  // Run forward passes on frozen, inference-optimized copies (exact; see Model::inference_path()).
  bool optimize = true;
};

class Model {
 public:
  // Loads, validates ([N, classes] output, a spatial target layer) and warms up the model.
  // Throws Error with a message that names the file and what to fix.
  static std::unique_ptr<Model> load(const std::string& model_path, const ModelOptions& options = {});

  // Every module whose output is a 4-D tensor, in the order their forward passes complete.
  // Loads its own copy of the model, so it works whatever the target layer.
  static std::vector<LayerInfo> list_layers(const std::string& model_path, const ModelOptions& options = {});

  // input: [N, C, H, W] normalized, on device(), in dtype().
  ForwardResult forward(const torch::Tensor& input);
  // Logits only, for the masked batches whose activations nobody reads: the model's own fastest path.
  torch::Tensor classify(const torch::Tensor& input);

  // How the passes run: "frozen and optimized for inference" when forward() and classify() both do,
  // else how each runs and why not faster (a model that cannot be frozen, say).
  const std::string& inference_path() const { return inference_path_; }
  bool optimized() const { return optimized_; }

  const ModelConfig& config() const { return config_; }
  const std::string& target_layer() const { return target_layer_; }
  int num_classes() const { return num_classes_; }
  int input_channels() const { return *config_.input_channels; }
  const std::vector<int64_t>& activation_shape() const { return activation_shape_; }  // [K, h, w]
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }
  std::string label(int class_id) const;

 private:
  Model(ModelConfig config, torch::Device device, torch::ScalarType dtype);
  torch::jit::Module load_module(const std::string& path) const;  // on device_, in dtype_
  // Each loads its module, frozen and optimized when `probe` (an input to check the copy on) is
  // given and the model allows, and returns how it runs.
  std::string prepare_classifier(const std::string& path, const torch::Tensor* probe);
  std::string prepare_capture(const std::string& path, const torch::Tensor* probe);

  ModelConfig config_;
  torch::Device device_;
  torch::ScalarType dtype_;
  std::string target_layer_;
  torch::jit::Module classifier_;      // returns the logits
  torch::jit::Module capture_;         // returns (logits, activations) when capture_returns_, else the logits
  bool capture_returns_ = false;
  torch::jit::Module capture_holder_;  // otherwise: the module whose graph stores the target's output
  std::string capture_attribute_;      // in this attribute
  bool optimized_ = false;
  std::string inference_path_;
  int num_classes_ = 0;
  std::vector<int64_t> activation_shape_;
};

}  // namespace scorecam
