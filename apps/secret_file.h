#pragma once
// A secret (a password, a token) read from a file, never from the command line, where every user
// of the machine could read it.
#include <string>

namespace scorecam::app {

// The first line of `file`, without its line end; cli::UsageError naming `option` when it cannot
// be read or is empty.
std::string read_secret_file(const std::string& option, const std::string& file, const std::string& what);

}  // namespace scorecam::app
