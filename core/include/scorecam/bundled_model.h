#pragma once
// The small trained model the project ships, used when the user names none.
#include <string>

namespace scorecam {

// The installed copy if present, else the one in the source tree; empty when neither exists.
std::string bundled_model_path();

}  // namespace scorecam
