#include "listen_address.h"

#include <gio/gio.h>

#include "command_line.h"

namespace scorecam::app {

ListenAddress read_listen_address(const std::string& option, const std::string& text) {
  const auto colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  const auto number = cli::to_integer(port);
  if (!number || *number < 0 || *number > 65535 || port.find_first_not_of("0123456789") != std::string::npos ||
      colon == 0)
    throw cli::UsageError(option + " takes [ADDRESS:]PORT with a port from 0 to 65535, not '" + text + "'");
  ListenAddress listen;
  if (colon != std::string::npos) listen.address = text.substr(0, colon);
  if (listen.address.size() > 2 && listen.address.front() == '[' && listen.address.back() == ']')
    listen.address = listen.address.substr(1, listen.address.size() - 2);  // [::1]:8554
  listen.port = static_cast<int>(*number);
  return listen;
}

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  GInetAddress* inet = g_inet_address_new_from_string(address.c_str());
  const bool loopback = inet && g_inet_address_get_is_loopback(inet);
  if (inet) g_object_unref(inet);
  return loopback;
}

}  // namespace scorecam::app
