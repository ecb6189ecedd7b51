#include "secret_file.h"

#include <fstream>

#include "command_line.h"

namespace scorecam::app {

std::string read_secret_file(const std::string& option, const std::string& file, const std::string& what) {
  std::ifstream in(file);
  std::string secret;
  if (!in || !std::getline(in, secret)) throw cli::UsageError("cannot read " + what + " from " + option + " " + file);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) throw cli::UsageError(option + " " + file + ": its first line is empty");
  return secret;
}

}  // namespace scorecam::app
