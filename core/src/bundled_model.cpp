#include "scorecam/bundled_model.h"

#include <filesystem>

namespace scorecam {

std::string bundled_model_path() {
  for (const char* candidate : {SCORECAM_INSTALLED_MODEL, SCORECAM_SOURCE_MODEL}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace scorecam
