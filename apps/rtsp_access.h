#pragma once
// Who may watch what an RtspServer serves: anyone, or one user who logs in with digest
// authentication (gst-rtsp-server's GstRTSPAuth); and whether connections are TLS (rtsps://).
// The server's side (the login, the certificate) is set once; each of its mounts lets the viewer in.
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

// Applies `access` to `server`; false, with `error` set, when the certificate or the key cannot be
// loaded.
bool apply_access(const RtspAccess& access, GstRTSPServer* server, std::string& error);

// Lets whom `access` admits watch what `factory` serves (a mount of a server it was applied to).
void admit_viewers(const RtspAccess& access, GstRTSPMediaFactory* factory);

}  // namespace scorecam::app
