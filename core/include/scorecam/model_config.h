#pragma once
// What a model expects of its input, read from the JSON sidecar that travels with a TorchScript file.
#include <optional>
#include <string>
#include <vector>

namespace scorecam {

enum class ColorOrder { RGB, BGR };

struct ModelConfig {
  int input_height = 224;
  int input_width = 224;
  std::optional<int> input_channels;   // 1 or 3; unset: read from the model's first convolution
  std::vector<float> mean{0.485f, 0.456f, 0.406f};  // ImageNet, per channel, on [0, 1] pixels
  std::vector<float> std{0.229f, 0.224f, 0.225f};
  ColorOrder color_order = ColorOrder::RGB;
  std::vector<std::string> labels;     // empty: classes are shown by number
  std::string target_layer;            // empty: the last layer with a spatial feature map
  // The model's int8 copy for precision=int8 or auto (tools/export_torchvision.py --int8): a path
  // (the sidecar gives it relative to its own folder), and the quantized engine it was made for.
  std::string int8_model;
  std::string quantized_engine = "onednn";
};

// Reads a sidecar; keys absent from it keep ImageNet defaults. Throws Error naming the file and key.
ModelConfig load_model_config(const std::string& path);

// "model.pt" -> "model.json" when that file exists, else an empty string.
std::string default_config_path(const std::string& model_path);

// One label per line; blank lines are kept so that line N is class N.
std::vector<std::string> load_labels(const std::string& path);

}  // namespace scorecam
