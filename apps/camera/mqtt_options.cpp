#include "camera/mqtt_options.h"

#include "scorecam/publish/error.h"
#include "scorecam/publish/mqtt_password.h"
#include "scorecam/publish/mqtt_publisher.h"

namespace scorecam::camera {
namespace {

using cli::UsageError;

// The options that mean something with --mqtt only.
constexpr const char* kLoginOptions[] = {"mqtt-topic-prefix", "mqtt-user", "mqtt-password-file", "mqtt-ca-file",
                                         "mqtt-cert-file", "mqtt-key-file"};

}  // namespace

void add_mqtt_options(cli::Syntax& syntax) {
  syntax.options.insert("mqtt");
  syntax.options.insert(std::begin(kLoginOptions), std::end(kLoginOptions));
}

std::optional<MqttOutput> read_mqtt_options(const cli::CommandLine& args) {
  if (!args.has("mqtt")) {
    for (const char* option : kLoginOptions)
      if (args.has(option)) throw UsageError(std::string("--") + option + " needs --mqtt");
    return std::nullopt;
  }
  MqttOutput mqtt;
  mqtt.address = args.text("mqtt");
  mqtt.topic_prefix = args.text("mqtt-topic-prefix", mqtt.topic_prefix);
  mqtt.user = args.text("mqtt-user");
  mqtt.password_file = args.text("mqtt-password-file");
  mqtt.ca_file = args.text("mqtt-ca-file");
  mqtt.cert_file = args.text("mqtt-cert-file");
  mqtt.key_file = args.text("mqtt-key-file");
  if (mqtt.topic_prefix.empty()) throw UsageError("--mqtt-topic-prefix cannot be empty");
  if (!mqtt.password_file.empty() && mqtt.user.empty()) throw UsageError("--mqtt-password-file needs --mqtt-user");
  // What the element would refuse at its start, once per camera and connection: refused here, once.
  try {
    publish::parse_broker_address(mqtt.address);
    if (!mqtt.password_file.empty()) publish::read_mqtt_password(mqtt.password_file);
  } catch (const publish::PublishError& e) {
    throw UsageError(std::string("--mqtt: ") + e.what());
  }
  return mqtt;
}

}  // namespace scorecam::camera
