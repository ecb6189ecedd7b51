#pragma once
// How an MqttPublisher's client identifies itself to the broker and checks the broker: username
// and password, and TLS. Internal to the publish library.
#include <string>

#include "scorecam/publish/mqtt_publisher.h"

namespace scorecam::publish {

// Checks the login settings and hands them to `client`; throws PublishError saying what to fix
// (never with the password in it).
void configure_login(struct mosquitto* client, const MqttOptions& options);

// The reason when a CONNACK result says the broker will never take this client as it is set up,
// so that retrying is pointless (bad username or password, not authorised, client id or protocol
// rejected); empty for a result worth retrying (success, server unavailable).
std::string permanent_refusal(int connack_result, const MqttOptions& options);

}  // namespace scorecam::publish
