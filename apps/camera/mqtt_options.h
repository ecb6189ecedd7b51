#pragma once
// scorecam-camera's --mqtt options: every camera's per-frame results published to one broker, on a
// topic of the camera's own (PREFIX/NAME), through a scorecampublish in each camera's pipeline.
// The login is the element's: a user, the password from a file or SCORECAM_MQTT_PASSWORD (never
// on the command line), TLS files.
#include <optional>
#include <string>

#include "command_line.h"

namespace scorecam::camera {

struct MqttOutput {
  std::string address;  // host:port
  std::string topic_prefix = "scorecam";
  std::string user, password_file;  // no password file: the element reads SCORECAM_MQTT_PASSWORD
  std::string ca_file, cert_file, key_file;

  // The topic of the camera that records and serves as `stream` (camera/camera_options.h).
  std::string topic(const std::string& stream) const { return topic_prefix + "/" + stream; }
};

// The options below, for the program's cli::Syntax.
void add_mqtt_options(cli::Syntax& syntax);

// --mqtt HOST:PORT, --mqtt-topic-prefix PREFIX, --mqtt-user NAME, --mqtt-password-file FILE,
// --mqtt-ca-file FILE, --mqtt-cert-file FILE, --mqtt-key-file FILE. Nothing without --mqtt;
// UsageError for an address or a password the element could never use.
std::optional<MqttOutput> read_mqtt_options(const cli::CommandLine& args);

}  // namespace scorecam::camera
