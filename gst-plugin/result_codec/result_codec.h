// How scorecamoverlay's result for a frame is written into GStreamer structures and read back, in
// one place: the "classification" parameter of its region-of-interest meta and its "scorecam"
// element message (docs/element.md, "Metadata" and "Bus messages"). GStreamer only, no LibTorch,
// so that scorecampublish and the programs in apps/ read results with the names the overlay
// writes.
#pragma once

#include <optional>
#include <string>

#include <gst/gst.h>

namespace scorecam_gst {

// The roi_type of the region-of-interest meta and the name of the element message.
inline constexpr char kResultName[] = "scorecam";

struct Classification {
  // False when the model's output was not finite: then only class_id (-1) is written, no label and
  // no confidence. A structure without the field reads as valid.
  bool valid = true;
  int class_id = -1;
  std::string label;
  double confidence = 0;
};

// One frame's result as the element message tells it.
struct ResultMessage {
  Classification classification;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE;         // the frame's pts
  GstClockTime running_time = GST_CLOCK_TIME_NONE;      // the frame's running time
  GstClockTime source_timestamp = GST_CLOCK_TIME_NONE;  // pts of the frame the map was computed from
  int target_class = -1;                                // the class the map explains
  bool refreshed = false;                               // channel scores were (partly) recomputed
  int forward_passes = 0;                               // forward passes the map cost
  int refresh_period = 1;                               // frames in which every channel score is refreshed
  GstClockTime latency = GST_CLOCK_TIME_NONE;           // from the source frame's arrival until its map was ready
};

// Adds the region of interest of type kResultName, the whole width x height frame, with the
// classification as its "classification" parameter.
void attach_classification(GstBuffer* buffer, guint width, guint height, const Classification& classification);

// What attach_classification() added; none on a buffer without it (regions of interest of other
// types are not looked at). A region without the parameter gives a default Classification.
std::optional<Classification> classification_of(GstBuffer* buffer);

// The element message's structure, named kResultName; the caller owns it.
GstStructure* result_message_structure(const ResultMessage& result);

// The result in a structure named kResultName, none for any other; a missing field keeps its
// default above.
std::optional<ResultMessage> read_result_message(const GstStructure* structure);

// A time in seconds, as the JSON records give it; none for GST_CLOCK_TIME_NONE.
inline std::optional<double> seconds_of(GstClockTime time) {
  if (!GST_CLOCK_TIME_IS_VALID(time)) return std::nullopt;
  return static_cast<double>(time) / GST_SECOND;
}

}  // namespace scorecam_gst
