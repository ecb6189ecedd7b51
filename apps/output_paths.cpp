#include "output_paths.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "scorecam/error.h"

namespace scorecam::cli {
namespace {

[[noreturn]] void cannot_write(const std::string& option, const std::string& path, const std::string& reason) {
  throw Error("--" + option + ": cannot write '" + path + "': " + reason);
}

}  // namespace

// By trying, not by permission bits, which say nothing for root, read-only mounts or full disks.
void check_writable_file(const std::string& option, const std::string& path) {
  std::error_code error;
  const bool existed = std::filesystem::exists(path, error);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) cannot_write(option, path, std::strerror(errno));
  close(fd);
  if (!existed) std::filesystem::remove(path, error);
}

void check_writable_folder(const std::string& option, const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) cannot_write(option, path, error.message());
  const std::string probe = (std::filesystem::path(path) / ".write-test-XXXXXX").string();
  std::vector<char> name(probe.begin(), probe.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) cannot_write(option, path, std::strerror(errno));
  close(fd);
  unlink(name.data());
}

}  // namespace scorecam::cli
