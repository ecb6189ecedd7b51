#pragma once
// scorecam-camera's --serve options: where the explained video is served and who may watch it.
// Nothing is exposed without asking: the address is 127.0.0.1 unless given, and another address
// needs a user and password (or --serve-anonymous). The password never stands on the command line.
#include <optional>
#include <string>

#include "command_line.h"
#include "rtsp_access.h"

namespace scorecam::app {

// Where a password may come from besides a file.
constexpr const char* kServePasswordVariable = "SCORECAM_SERVE_PASSWORD";

struct ServeOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: any free one
  RtspAccess access;
};

// The options below, for the program's cli::Syntax.
void add_serve_options(cli::Syntax& syntax);

// --serve [ADDRESS:]PORT, --serve-user NAME, --serve-password-file FILE (else the environment's
// SCORECAM_SERVE_PASSWORD), --serve-tls-cert FILE, --serve-tls-key FILE, --serve-anonymous.
// Nothing without --serve; UsageError for what cannot be served as asked, or not safely.
std::optional<ServeOptions> read_serve_options(const cli::CommandLine& args);

}  // namespace scorecam::app
