#include "serve_options.h"

#include <cstdlib>

#include "listen_address.h"
#include "secret_file.h"

namespace scorecam::app {
namespace {

using cli::UsageError;

std::string read_password(const cli::CommandLine& args) {
  if (args.has("serve-password-file"))
    return read_secret_file("--serve-password-file", args.text("serve-password-file"), "a password");
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
  const ListenAddress listen = read_listen_address("--serve", args.text("serve"));
  ServeOptions options;
  options.address = listen.address;
  options.port = listen.port;
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
