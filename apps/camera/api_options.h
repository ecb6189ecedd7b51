#pragma once
// scorecam-camera's --api options: where its HTTP API listens and the token it asks for. Nothing
// is exposed without asking: the address is 127.0.0.1 unless given, and another address needs a
// token (docs/scale.md, "The runner's HTTP API").
#include <optional>
#include <string>

#include "command_line.h"
#include "listen_address.h"

namespace scorecam::camera {

struct ApiOptions {
  app::ListenAddress listen;
  std::string token;  // empty: no token asked for (loopback only)
};

// The options below, for the program's cli::Syntax.
void add_api_options(cli::Syntax& syntax);

// --api [ADDRESS:]PORT, --api-token-file FILE (its first line, at least 16 characters). Nothing
// without --api; cli::UsageError for what cannot be served as asked, or not safely.
std::optional<ApiOptions> read_api_options(const cli::CommandLine& args);

}  // namespace scorecam::camera
