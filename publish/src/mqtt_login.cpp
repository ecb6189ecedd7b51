#include "mqtt_login.h"

#include <mosquitto.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "scorecam/publish/error.h"
#include "scorecam/publish/mqtt_password.h"

namespace scorecam::publish {
namespace {

void check_readable(const std::string& path, const std::string& what) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw PublishError("cannot read the " + what + " '" + path + "': " + std::strerror(errno));
  std::fclose(file);
}

// OpenSSL asks for the key's passphrase on the terminal when no callback gives one: a pipeline
// would hang there. Giving none makes an encrypted key fail to load instead.
int no_passphrase(char*, int, int, void*) { return 0; }

void configure_tls(struct mosquitto* client, const MqttOptions& options) {
  if (options.ca_file.empty()) {
    if (!options.cert_file.empty() || !options.key_file.empty())
      throw PublishError("a TLS client certificate needs TLS: set ca-file, the CA that signed the broker's certificate");
    return;
  }
  if (options.cert_file.empty() != options.key_file.empty())
    throw PublishError("the TLS client certificate and its key go together: set both cert-file and key-file, or neither");
  check_readable(options.ca_file, "TLS CA file (ca-file)");
  if (!options.cert_file.empty()) {
    check_readable(options.cert_file, "TLS client certificate (cert-file)");
    check_readable(options.key_file, "TLS client key (key-file)");
  }
  const auto optional = [](const std::string& path) { return path.empty() ? nullptr : path.c_str(); };
  const int result = mosquitto_tls_set(client, options.ca_file.c_str(), nullptr, optional(options.cert_file),
                                       optional(options.key_file), &no_passphrase);
  if (result != MOSQ_ERR_SUCCESS)
    throw PublishError(std::string("cannot use the TLS settings (ca-file '") + options.ca_file +
                       "'): " + mosquitto_strerror(result));
}

}  // namespace

void configure_login(struct mosquitto* client, const MqttOptions& options) {
  if (options.username.empty() && !options.password.empty())
    throw PublishError("an MQTT password without a username: set username too");
  if (!options.username.empty()) {
    const int result = mosquitto_username_pw_set(client, options.username.c_str(),
                                                 options.password.empty() ? nullptr : options.password.c_str());
    if (result != MOSQ_ERR_SUCCESS)
      throw PublishError("cannot use the MQTT username '" + options.username + "': " + mosquitto_strerror(result));
  }
  configure_tls(client, options);
}

std::string permanent_refusal(int connack_result, const MqttOptions& options) {
  // MQTT 3.1.1's CONNACK return codes (libmosquitto's default protocol).
  const bool anonymous = options.username.empty();
  const std::string login = "the broker refused the login as " +
                            (anonymous ? std::string("an anonymous client") : "user '" + options.username + "'");
  const std::string fix = anonymous ? "set username, and password-file or " + std::string(kMqttPasswordVariable)
                                    : "check username, and password-file or " + std::string(kMqttPasswordVariable);
  switch (connack_result) {
    case 1: return "the broker does not speak this client's MQTT version (3.1.1)";
    case 2: return "the broker rejected the client id '" + options.client_id + "': set another client-id";
    case 4: return login + ": bad username or password (" + fix + ")";
    case 5: return login + ": not authorised (" + fix + ")";
    default: return "";
  }
}

}  // namespace scorecam::publish
