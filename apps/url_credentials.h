#pragma once
// Credentials in URLs (rtsp://user:password@host/...): kept out of everything the programs print,
// and out of what GStreamer sees where it can be (rtspsrc takes them as properties instead).
#include <optional>
#include <string>

namespace scorecam::app {

// `text` with the password of every URL in it replaced by "***": "connecting to
// rtsp://admin:***@host/stream". Everything the programs print that may hold a URL goes through it.
std::string redact_credentials(const std::string& text);

// A URL taken apart: `location` is the URL without its user and password, which come decoded.
struct SplitUrl {
  std::string location, user, password;
};

// Nothing when `url` is not a URL (the caller names it, redacted).
std::optional<SplitUrl> split_credentials(const std::string& url);

}  // namespace scorecam::app
