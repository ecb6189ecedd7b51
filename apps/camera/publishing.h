#pragma once
// A camera's results published to MQTT (--mqtt): a scorecampublish on a branch of the camera's
// pipeline of its own, so that waiting for the broker at the end of a connection never holds up
// the recording, set up with the runner's broker, login and the camera's topic.
#include <string>

#include <gst/gst.h>

#include "camera/mqtt_options.h"

namespace scorecam::camera {

// The branch, as a gst-launch description; its publisher is named publisher_name(), and the sink
// after it, whose end of stream says that the publisher has flushed its results, publisher_end_name().
std::string publisher_branch();
constexpr const char* publisher_name() { return "publisher"; }
constexpr const char* publisher_end_name() { return "publisher-end"; }

// Sets `publisher` to publish to `mqtt` on `topic`. Set as properties, not in the description, so
// that any file name works.
void configure_publisher(GstElement* publisher, const MqttOutput& mqtt, const std::string& topic);

}  // namespace scorecam::camera
