#pragma once
// Who may watch what an RtspServer serves: anyone, or one user who logs in with digest
// authentication (gst-rtsp-server's GstRTSPAuth); and whether connections are TLS (rtsps://).
#include <string>

#include <gst/rtsp-server/rtsp-server.h>

namespace scorecam::app {

struct RtspAccess {
  std::string user, password;              // no user: anyone
  std::string certificate_file, key_file;  // PEM files; none: plain RTSP
  bool tls() const { return !certificate_file.empty(); }
};

// "user viewer, digest authentication, TLS": for the program's log, without the password.
std::string describe(const RtspAccess& access);

// Applies `access` to `server`, which serves `factory` only; false, with `error` set, when the
// certificate or the key cannot be loaded.
bool apply_access(const RtspAccess& access, GstRTSPServer* server, GstRTSPMediaFactory* factory, std::string& error);

}  // namespace scorecam::app
