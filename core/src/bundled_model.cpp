#include "scorecam/bundled_model.h"

#include <filesystem>

namespace scorecam {
namespace {

std::string first_existing(const char* installed, const char* source) {
  for (const char* candidate : {installed, source}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace

std::string bundled_model_path() { return first_existing(SCORECAM_INSTALLED_MODEL, SCORECAM_SOURCE_MODEL); }

std::string bundled_photo_path() { return first_existing(SCORECAM_INSTALLED_PHOTO, SCORECAM_SOURCE_PHOTO); }

}  // namespace scorecam
