#pragma once
// Serves a pipeline's video to RTSP clients (gst-rtsp-server), so that others can watch what a
// program shows: the pipeline ends a branch in intervideosink channel=channel(), and every client
// of url() gets those frames, encoded once for all of them. The server outlives the pipelines
// that feed it: when none does (a camera away, between reconnections), clients keep their session
// and see black frames until the next one.
#include <string>

#include "rtsp_server.h"

namespace scorecam::app {

class RtspReserver {
 public:
  // Listens on `address`:`port` (port 0: any free one) at the mount point `path`; `encoder` is a
  // gst-launch description of an H.264 encoder (with frequent key frames, for clients that join);
  // `access`: who may watch.
  RtspReserver(const std::string& address, int port, const std::string& path, const std::string& encoder,
               const RtspAccess& access);

  bool ok() const { return server_.ok(); }
  const std::string& error() const { return server_.error(); }
  // The branch that feeds it, as a gst-launch description.
  std::string sink_description() const;
  std::string url() const { return server_.url(); }

 private:
  std::string channel_;  // before server_, whose media reads it
  RtspServer server_;
};

}  // namespace scorecam::app
