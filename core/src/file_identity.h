#pragma once
// What identifies a file as it is on disk: its canonical path, size and last write time, so that a
// file replaced on disk counts as a new one (the model pool's models, the remembered copy choices).
#include <string>

namespace scorecam::detail {

// "PATH\nSIZE MTIME"; a path that cannot be read gives the path alone (loading it reports why).
std::string file_identity(const std::string& path);

}  // namespace scorecam::detail
