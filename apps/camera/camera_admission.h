#pragma once
// What a camera must pass before it runs, whether it comes from the command line (status 2 or 1,
// before any camera starts) or through the API (a 4xx, and the others go on): its properties on a
// real scorecamoverlay, so that a property the element lacks or a value it cannot take is the
// user's to fix, named with its camera, not a failure found at its first connection; and its folder.
#include <optional>
#include <string>

#include "camera/camera_options.h"

namespace scorecam::camera {

// What is wrong with the camera's properties ("'x' is not a scorecamoverlay property ..."), or
// nothing. Needs the element (app::find_overlay_element).
std::optional<std::string> property_problem(const CameraSpec& camera);

// Makes the camera's folder if it records; what stopped it ("cannot use DIR as the output
// directory: ..."), or nothing.
std::optional<std::string> make_directory(const CameraSpec& camera);

}  // namespace scorecam::camera
