#pragma once
// Where the password for logging in to a broker comes from: a file or the environment, never a
// command line or a property (both end up in logs, shell histories and `ps`).
#include <string>

namespace scorecam::publish {

// Read when no password file is given.
constexpr const char* kMqttPasswordVariable = "SCORECAM_MQTT_PASSWORD";

// The first line of `password_file` (without its line end), or with an empty path the value of
// SCORECAM_MQTT_PASSWORD ("" when it is not set: a login without a password). Throws PublishError
// naming the file and what is wrong with it; no message ever holds the password.
std::string read_mqtt_password(const std::string& password_file);

}  // namespace scorecam::publish
