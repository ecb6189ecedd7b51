#pragma once
// The record scorecampublish sends for each frame: one JSON object on one line (docs/element.md,
// "Publishing results"). Field names follow scorecam-annotate's JSON Lines where they mean the same.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scorecam::publish {

// A saliency map as bytes: 0-255 for [0, 1], row by row.
struct ByteMap {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> values;
};

struct Explanation {
  bool valid = true;            // false when the model's output was not finite: no label, confidence or map
  int class_id = -1;
  std::string label;
  double confidence = 0;
  int target_class = -1;        // the class the map explains
  std::optional<double> source_pts;  // seconds; the frame the map was computed from
  std::optional<ByteMap> map;
};

struct FrameRecord {
  std::string stream;           // the stream-id
  uint64_t frame = 0;           // counted by the publisher, from 0
  std::optional<double> pts;    // seconds
  std::optional<Explanation> explanation;  // none: the frame carried no result (async mode before the first)
};

std::string to_json_line(const FrameRecord& record);

// `values` (width x height floats in [0, 1], row by row) shrunk so that its longer side is at most
// `max_side`, each cell the mean of the values it covers; a map already small enough keeps its size.
ByteMap downsample_map(const float* values, int width, int height, int max_side);

}  // namespace scorecam::publish
