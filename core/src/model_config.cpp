#include "scorecam/model_config.h"

#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "scorecam/error.h"
#include "utf8_text.h"

namespace scorecam {
namespace {

using nlohmann::json;

std::vector<float> read_per_channel(const json& doc, const char* key, const std::string& path) {
  const json& value = doc.at(key);
  if (!value.is_array() || value.empty() || value.size() > 4) {
    throw Error("config '" + path + "': \"" + key + "\" must be a list of one number per input channel");
  }
  std::vector<float> numbers;
  for (const json& v : value) numbers.push_back(v.get<float>());
  return numbers;
}

void check(const ModelConfig& config, const std::string& path) {
  if (config.input_height < 2 || config.input_width < 2) {
    throw Error("config '" + path + "': \"input_size\" must be [height, width], each at least 2");
  }
  if (config.mean.size() != config.std.size()) {
    throw Error("config '" + path + "': \"mean\" and \"std\" must have the same length");
  }
  for (float s : config.std) {
    if (!(s > 0.f)) throw Error("config '" + path + "': every \"std\" value must be positive");
  }
  if (config.input_channels && *config.input_channels != 1 && *config.input_channels != 3) {
    throw Error("config '" + path + "': \"input_channels\" must be 1 or 3");
  }
}

}  // namespace

ModelConfig load_model_config(const std::string& path) {
  const std::string text = detail::read_utf8_file(path, "model config");
  ModelConfig config;
  try {
    const json doc = json::parse(text);
    if (!doc.is_object()) throw Error("config '" + path + "' must hold a JSON object");
    if (doc.contains("input_size")) {
      const json& size = doc.at("input_size");
      if (!size.is_array() || size.size() != 2) {
        throw Error("config '" + path + "': \"input_size\" must be [height, width]");
      }
      config.input_height = size[0].get<int>();
      config.input_width = size[1].get<int>();
    }
    if (doc.contains("input_channels")) config.input_channels = doc.at("input_channels").get<int>();
    if (doc.contains("mean")) config.mean = read_per_channel(doc, "mean", path);
    if (doc.contains("std")) config.std = read_per_channel(doc, "std", path);
    if (doc.contains("color_order")) {
      const auto order = doc.at("color_order").get<std::string>();
      if (order != "RGB" && order != "BGR") {
        throw Error("config '" + path + "': \"color_order\" must be \"RGB\" or \"BGR\", not \"" + order + "\"");
      }
      config.color_order = order == "RGB" ? ColorOrder::RGB : ColorOrder::BGR;
    }
    if (doc.contains("labels")) config.labels = doc.at("labels").get<std::vector<std::string>>();
    if (doc.contains("target_layer")) config.target_layer = doc.at("target_layer").get<std::string>();
    if (doc.contains("int8_model")) {
      const auto file = std::filesystem::path(doc.at("int8_model").get<std::string>());
      config.int8_model = (file.is_absolute() ? file : std::filesystem::path(path).parent_path() / file).string();
    }
    if (doc.contains("quantized_engine")) config.quantized_engine = doc.at("quantized_engine").get<std::string>();
  } catch (const json::exception& e) {
    throw Error("malformed model config '" + path + "': " + e.what());
  }
  check(config, path);
  return config;
}

std::string default_config_path(const std::string& model_path) {
  const auto candidate = std::filesystem::path(model_path).replace_extension(".json");
  return std::filesystem::exists(candidate) ? candidate.string() : std::string();
}

std::vector<std::string> load_labels(const std::string& path) {
  std::istringstream file(detail::read_utf8_file(path, "labels file"));
  std::vector<std::string> labels;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

}  // namespace scorecam
