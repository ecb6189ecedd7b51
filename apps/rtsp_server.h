#pragma once
// An RTSP server (gst-rtsp-server) on a main loop of its own, so that it answers clients whatever
// the program's threads are doing: one gst-launch description served at one path, its media
// shared by every client (made once for all of them). Going away, it drops its sessions and
// clients, as a camera that reboots does.
#include <string>
#include <thread>

#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

namespace scorecam::app {

class RtspServer {
 public:
  // Listens on `address`:`port` (port 0: any free one) and serves `launch`, a gst-rtsp-server
  // launch description "( ... name=pay0 )", at the mount point `path` ("/name").
  RtspServer(const std::string& address, int port, const std::string& path, const std::string& launch);
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  bool ok() const { return attached_ != 0 && port_ > 0; }  // false when the address could not be bound
  int port() const { return port_; }
  std::string url() const;  // with HOST for this machine's name when listening on every address

 private:
  std::string address_, path_;
  GMainContext* context_;
  GMainLoop* loop_;
  GstRTSPServer* server_;
  guint attached_ = 0;
  int port_ = -1;
  std::thread thread_;
};

}  // namespace scorecam::app
