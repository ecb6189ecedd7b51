#pragma once
// The runner's status page (GET /): camera/status_page.html, compiled into the program by
// cmake/embed_text.cmake, so that scorecam-camera serves it with nothing installed beside it.
#include <string_view>

namespace scorecam::camera {

std::string_view status_page_html();

}  // namespace scorecam::camera
