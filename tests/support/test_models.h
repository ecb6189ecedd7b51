#pragma once
// Where the models the test fixture generates live: $SCORECAM_TEST_MODELS, else a default the build
// may set (the gst tests point it at the build tree, so that they also run outside ctest).
#include <cstdlib>
#include <string>

#ifndef SCORECAM_TEST_MODELS_DEFAULT
#define SCORECAM_TEST_MODELS_DEFAULT "test-models"
#endif

namespace scorecam_test {

inline std::string test_models_dir() {
  const char* dir = std::getenv("SCORECAM_TEST_MODELS");
  return dir ? dir : SCORECAM_TEST_MODELS_DEFAULT;
}

inline std::string test_model(const std::string& name) { return test_models_dir() + "/" + name; }

}  // namespace scorecam_test
