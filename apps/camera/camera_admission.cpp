#include "camera/camera_admission.h"

#include <filesystem>
#include <system_error>

#include <gst/gst.h>

#include "overlay_app.h"

namespace scorecam::camera {

std::optional<std::string> property_problem(const CameraSpec& camera) {
  GstElement* overlay = gst_element_factory_make("scorecamoverlay", nullptr);
  if (!overlay) return std::string("the scorecamoverlay element cannot be made");
  gst_object_ref_sink(overlay);
  auto problem = app::overlay_property_problem(overlay, camera.properties);
  gst_object_unref(overlay);
  return problem;
}

std::optional<std::string> make_directory(const CameraSpec& camera) {
  if (camera.directory.empty()) return std::nullopt;
  std::error_code error;
  std::filesystem::create_directories(camera.directory, error);
  if (!error && std::filesystem::is_directory(camera.directory)) return std::nullopt;
  return "cannot use " + camera.directory + " as the output directory: " +
         (error ? error.message() : "not a directory");
}

}  // namespace scorecam::camera
