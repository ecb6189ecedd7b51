#pragma once
// The small trained model the project ships, used when the user names none, and a real photograph.
#include <string>

namespace scorecam {

// The installed copy if present, else the one in the source tree; empty when neither exists.
std::string bundled_model_path();

// samples/astronaut.jpg (public domain), for benchmarks that must run on a real photograph; found
// the same way.
std::string bundled_photo_path();

}  // namespace scorecam
