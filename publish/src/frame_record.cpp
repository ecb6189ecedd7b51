#include "scorecam/publish/frame_record.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace scorecam::publish {
namespace {

using Json = nlohmann::ordered_json;

Json optional_number(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }

// [begin, end) of the input cells that output cell `index` of `out` covers, never empty.
std::pair<int, int> covered(int index, int out, int in) {
  const int begin = static_cast<int>(static_cast<int64_t>(index) * in / out);
  const int end = static_cast<int>(static_cast<int64_t>(index + 1) * in / out);
  return {begin, std::max(end, begin + 1)};
}

uint8_t to_byte(double value) { return static_cast<uint8_t>(std::lround(std::clamp(value, 0.0, 1.0) * 255.0)); }

}  // namespace

std::string to_json_line(const FrameRecord& record) {
  Json json = Json::object();
  if (record.stream) json["stream"] = *record.stream;
  if (record.connection) json["connection"] = *record.connection;
  json["frame"] = record.frame;
  json["pts"] = optional_number(record.pts);
  json["explained"] = record.explanation.has_value();
  if (const auto& e = record.explanation) {
    json["valid"] = e->valid;
    json["class_id"] = e->class_id;
    json["label"] = e->label;
    json["confidence"] = e->valid ? Json(e->confidence) : Json(nullptr);
    json["target_class"] = e->target_class;
    json["source_pts"] = optional_number(e->source_pts);
    if (e->refreshed) json["refreshed"] = *e->refreshed;
    if (e->forward_passes) json["forward_passes"] = *e->forward_passes;
    if (e->refresh_period) json["refresh_period"] = *e->refresh_period;
    if (e->map) json["map"] = {{"width", e->map->width}, {"height", e->map->height}, {"values", e->map->values}};
  }
  return json.dump();
}

ByteMap downsample_map(const float* values, int width, int height, int max_side) {
  ByteMap map;
  const int longer = std::max(width, height);
  const double scale = longer > max_side ? static_cast<double>(max_side) / longer : 1.0;
  map.width = std::max(1, static_cast<int>(std::lround(width * scale)));
  map.height = std::max(1, static_cast<int>(std::lround(height * scale)));
  map.values.reserve(static_cast<std::size_t>(map.width) * map.height);
  for (int y = 0; y < map.height; ++y) {
    const auto [y0, y1] = covered(y, map.height, height);
    for (int x = 0; x < map.width; ++x) {
      const auto [x0, x1] = covered(x, map.width, width);
      double sum = 0;
      for (int sy = y0; sy < y1; ++sy)
        for (int sx = x0; sx < x1; ++sx) sum += values[static_cast<std::size_t>(sy) * width + sx];
      map.values.push_back(to_byte(sum / ((y1 - y0) * (x1 - x0))));
    }
  }
  return map;
}

}  // namespace scorecam::publish
