#include "camera/publishing.h"

namespace scorecam::camera {

std::string publisher_branch() {
  return std::string("scorecampublish name=") + publisher_name() + " method=mqtt ! fakesink name=" +
         publisher_end_name() + " sync=false";
}

void configure_publisher(GstElement* publisher, const MqttOutput& mqtt, const std::string& topic) {
  g_object_set(publisher, "address", mqtt.address.c_str(), "topic", topic.c_str(), "username", mqtt.user.c_str(),
               "password-file", mqtt.password_file.c_str(), "ca-file", mqtt.ca_file.c_str(), "cert-file",
               mqtt.cert_file.c_str(), "key-file", mqtt.key_file.c_str(), nullptr);
}

}  // namespace scorecam::camera
