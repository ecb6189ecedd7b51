#pragma once
// What the programs that run scorecamoverlay in a pipeline of their own share (scorecam-annotate,
// scorecam-camera, scorecam-soak): finding the element, building the pipeline, setting the
// user's properties, reading errors and the element's "scorecam" messages.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "result_codec.h"
#include "scorecam/publish/frame_record.h"

#include "command_line.h"

namespace scorecam::app {

// The main() of a program that runs the element: GStreamer initialized (it takes its own options),
// then `body` on the rest of the command line (cli::run).
int run_with_gstreamer(const cli::Program& program, int argc, char** argv,
                       const std::function<int(const cli::CommandLine&)>& body);

// False, with a message naming `program`, when the element cannot be found.
bool find_overlay_element(const char* program);

// gst_parse_launch, or null with a message naming `program` and the description.
GstElement* launch(const std::string& description, const char* program);

// Sets the command line's properties of the overlay; false, with a message, on one it does not have.
bool set_overlay_properties(GstElement* overlay, const std::vector<cli::Property>& properties, const char* program);
// The same, saying what stopped it instead of printing it: "'x' is not a scorecamoverlay
// property ...". Nothing when every property was set.
std::optional<std::string> overlay_property_problem(GstElement* overlay, const std::vector<cli::Property>& properties);

// "element: message" of an error message, and the debug details on further lines if `details`;
// URLs' passwords redacted.
std::string error_text(GstMessage* error, bool details = true);

// The record of a frame (docs/element.md, "Publishing results") from the element's message;
// `frame` counts from 0.
publish::FrameRecord frame_record(const scorecam_gst::ResultMessage& result, guint64 frame);

// The result in the element's per-frame message, posted by `overlay`; none for any other message.
std::optional<scorecam_gst::ResultMessage> frame_result(GstMessage* message, GstElement* overlay);

// OUTPUT.mp4, "incomplete" -> OUTPUT.incomplete.mp4: the extension stays last, for tools that go by it.
std::string tagged_name(const std::string& path, const std::string& tag);

// OUTPUT.mp4 -> OUTPUT.partial.mp4: where a file is written until it is finished.
std::string partial_name(const std::string& path);

}  // namespace scorecam::app
