#include "serve_options.h"

#include <cstdlib>
#include <fstream>

#include <gio/gio.h>

namespace scorecam::app {
namespace {

using cli::UsageError;

// [ADDRESS:]PORT, the port a number from 0 to 65535.
ServeOptions read_address(const std::string& text) {
  const auto colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? text : text.substr(colon + 1);
  const auto number = cli::to_integer(port);
  if (!number || *number < 0 || *number > 65535 || port.find_first_not_of("0123456789") != std::string::npos ||
      colon == 0)
    throw UsageError("--serve takes [ADDRESS:]PORT with a port from 0 to 65535, not '" + text + "'");
  ServeOptions options;
  if (colon != std::string::npos) options.address = text.substr(0, colon);
  if (options.address.size() > 2 && options.address.front() == '[' && options.address.back() == ']')
    options.address = options.address.substr(1, options.address.size() - 2);  // [::1]:8554
  options.port = static_cast<int>(*number);
  return options;
}

bool is_loopback(const std::string& address) {
  if (address == "localhost") return true;
  GInetAddress* inet = g_inet_address_new_from_string(address.c_str());
  const bool loopback = inet && g_inet_address_get_is_loopback(inet);
  if (inet) g_object_unref(inet);
  return loopback;
}

// The first line of `file`.
std::string read_password_file(const std::string& file) {
  std::ifstream in(file);
  std::string password;
  if (!in || !std::getline(in, password)) throw UsageError("cannot read a password from --serve-password-file " + file);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw UsageError("--serve-password-file " + file + ": its first line is empty");
  return password;
}

std::string read_password(const cli::CommandLine& args) {
  if (args.has("serve-password-file")) return read_password_file(args.text("serve-password-file"));
  const char* variable = std::getenv(kServePasswordVariable);
  if (!variable || !*variable)
    throw UsageError(std::string("--serve-user needs a password: --serve-password-file FILE or the environment variable ") +
                     kServePasswordVariable);
  return variable;
}

}  // namespace

void add_serve_options(cli::Syntax& syntax) {
  syntax.options.insert({"serve", "serve-user", "serve-password-file", "serve-tls-cert", "serve-tls-key"});
  syntax.flags.insert("serve-anonymous");
}

std::optional<ServeOptions> read_serve_options(const cli::CommandLine& args) {
  if (!args.has("serve")) {
    for (const char* option : {"serve-user", "serve-password-file", "serve-tls-cert", "serve-tls-key", "serve-anonymous"})
      if (args.has(option)) throw UsageError(std::string("--") + option + " needs --serve");
    return std::nullopt;
  }
  ServeOptions options = read_address(args.text("serve"));
  RtspAccess& access = options.access;
  access.user = args.text("serve-user");
  if (!access.user.empty()) access.password = read_password(args);
  else if (args.has("serve-password-file")) throw UsageError("--serve-password-file needs --serve-user");
  if (args.has("serve-anonymous") && !access.user.empty())
    throw UsageError("--serve-anonymous and --serve-user contradict each other: give one");
  access.certificate_file = args.text("serve-tls-cert");
  access.key_file = args.text("serve-tls-key");
  if (access.certificate_file.empty() != access.key_file.empty())
    throw UsageError("TLS needs both --serve-tls-cert and --serve-tls-key (PEM files)");
  if (access.user.empty() && !args.has("serve-anonymous") && !is_loopback(options.address))
    throw UsageError("--serve " + args.text("serve") + " would let anyone who reaches " + options.address +
                     " watch: give --serve-user with a password (--serve-password-file or " + kServePasswordVariable +
                     "), or --serve-anonymous to serve without one");
  return options;
}

}  // namespace scorecam::app
