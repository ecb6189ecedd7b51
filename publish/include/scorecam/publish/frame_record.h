#pragma once
// The record of one frame's result, the one schema of every JSON Lines file and MQTT message the
// project writes (scorecampublish, scorecam-annotate, scorecam-camera): one JSON object on one
// line, documented in docs/element.md, "Publishing results". An optional field that is not set is
// left out of the line.
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
  // What only the element's bus message tells (the programs' records): channel scores were (partly)
  // recomputed for this map, the forward passes it cost, and the frames in which every channel's
  // score is refreshed once.
  std::optional<bool> refreshed;
  std::optional<int> forward_passes;
  std::optional<int> refresh_period;
};

struct FrameRecord {
  std::optional<std::string> stream;  // the stream-id, where the writer sees the stream's events
  uint64_t frame = 0;                 // counted by the writer, from 0
  std::optional<double> pts;          // seconds
  std::optional<Explanation> explanation;  // none: the frame carried no result (async mode before the first)
  std::optional<int> connection;      // scorecam-camera: the connection to the camera, from 1
};

std::string to_json_line(const FrameRecord& record);

// `values` (width x height floats in [0, 1], row by row) shrunk so that its longer side is at most
// `max_side`, each cell the mean of the values it covers; a map already small enough keeps its size.
ByteMap downsample_map(const float* values, int width, int height, int max_side);

}  // namespace scorecam::publish
