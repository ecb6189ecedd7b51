#pragma once
// An RTSP server (gst-rtsp-server) on a main loop of its own, so that it answers clients whatever
// the program's threads are doing: gst-launch descriptions served at paths ("mounts"), added at
// any time, each one's media shared by every client (made once for all of them). Going away, it
// drops its sessions and clients, as a camera that reboots does. Who may watch, and whether over
// TLS: rtsp_access.h.
#include <string>
#include <thread>

#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include "rtsp_access.h"

namespace scorecam::app {

class RtspServer {
 public:
  // Listens on `address`:`port` (port 0: any free one), for whom `access` lets in; serves
  // nothing until serve().
  RtspServer(const std::string& address, int port, const RtspAccess& access = {});
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  // Serves `launch`, a gst-rtsp-server launch description "( ... name=pay0 )", at the mount point
  // `path` ("/name"), also while clients watch other mounts.
  void serve(const std::string& path, const std::string& launch);
  // No new client of `path` from now on (those watching keep their session).
  void stop_serving(const std::string& path);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }  // why it does not serve: the address, TLS files
  int port() const { return port_; }
  // The URL of the mount `path`: rtsps:// with TLS; HOST for this machine's name when listening
  // on every address.
  std::string url(const std::string& path) const;

 private:
  std::string address_, error_;
  RtspAccess access_;
  GMainContext* context_;
  GMainLoop* loop_;
  GstRTSPServer* server_;
  guint attached_ = 0;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace scorecam::app
