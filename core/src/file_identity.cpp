#include "file_identity.h"

#include <filesystem>
#include <sstream>

namespace scorecam::detail {

std::string file_identity(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path file = fs::weakly_canonical(path, error);
  std::ostringstream identity;
  identity << (error ? fs::path(path) : file).string() << '\n';
  const auto size = fs::file_size(file, error);
  if (!error) identity << size;
  const auto written = fs::last_write_time(file, error);
  if (!error) identity << ' ' << written.time_since_epoch().count();
  return identity.str();
}

}  // namespace scorecam::detail
