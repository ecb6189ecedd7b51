#pragma once
// Serves pipelines' video to RTSP clients (gst-rtsp-server), so that others can watch what a
// program shows: one server, a mount per stream. A pipeline ends a branch in the description
// serve() gives for its stream, and every client of that stream's url() gets those frames,
// encoded once for all of them. The server outlives the pipelines that feed it: when none does (a
// camera away, between reconnections), clients keep their session and see black frames until the
// next one.
#include <string>

#include "rtsp_server.h"

namespace scorecam::app {

class RtspReserver {
 public:
  // Listens on `address`:`port` (port 0: any free one); `encoder` is a gst-launch description of an
  // H.264 encoder (with frequent key frames, for clients that join); `access`: who may watch.
  RtspReserver(const std::string& address, int port, const std::string& encoder, const RtspAccess& access);

  bool ok() const { return server_.ok(); }
  const std::string& error() const { return server_.error(); }

  // Serves the stream `name` (letters, digits, '_' and '-') at url(name), also while others are
  // watched; the branch that feeds it, as a gst-launch description.
  std::string serve(const std::string& name);
  // The stream `name` is gone: no new client from now on.
  void stop_serving(const std::string& name) { server_.stop_serving("/" + name); }
  std::string url(const std::string& name) const { return server_.url("/" + name); }

 private:
  std::string channel(const std::string& name) const;

  std::string encoder_;
  RtspServer server_;
};

}  // namespace scorecam::app
