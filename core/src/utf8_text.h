#pragma once
// The one rule for the text files a model comes with (labels, JSON sidecar): UTF-8, because every
// record the project writes is JSON and GStreamer's strings are UTF-8. A file in another encoding
// (Latin-1 "Café") is refused where it is read, not turned into empty labels frame after frame.
#include <string>

namespace scorecam::detail {

// The whole file; throws Error naming `what` and `path` when it cannot be read, and the line and
// column of the first byte that is not UTF-8 when it is not.
std::string read_utf8_file(const std::string& path, const std::string& what);

}  // namespace scorecam::detail
