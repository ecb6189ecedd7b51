#include "scorecam/publish/mqtt_password.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "scorecam/publish/error.h"

namespace scorecam::publish {

std::string read_mqtt_password(const std::string& password_file) {
  if (password_file.empty()) {
    const char* value = std::getenv(kMqttPasswordVariable);
    return value ? value : "";
  }
  std::ifstream in(password_file, std::ios::binary);
  if (!in) throw PublishError("cannot read the MQTT password file '" + password_file + "': " + std::strerror(errno));
  std::string password;
  std::getline(in, password);
  if (in.bad()) throw PublishError("cannot read the MQTT password file '" + password_file + "': " + std::strerror(errno));
  if (!password.empty() && password.back() == '\r') password.pop_back();  // written on Windows
  if (password.empty())
    throw PublishError("the MQTT password file '" + password_file + "' is empty: its first line is the password");
  return password;
}

}  // namespace scorecam::publish
