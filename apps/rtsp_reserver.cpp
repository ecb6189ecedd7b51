#include "rtsp_reserver.h"

#include <unistd.h>

namespace scorecam::app {

RtspReserver::RtspReserver(const std::string& address, int port, const std::string& encoder, const RtspAccess& access)
    : encoder_(encoder), server_(address, port, access) {}

// One encoding shared by every client (shared media); the stream's parameters go with every key
// frame, so that a client joining late can start at the next one.
std::string RtspReserver::serve(const std::string& name) {
  server_.serve("/" + name, "( intervideosrc channel=" + channel(name) + " ! videoconvert ! " + encoder_ +
                                " ! rtph264pay name=pay0 pt=96 config-interval=-1 )");
  return "videoconvert ! intervideosink channel=" + channel(name);
}

// The inter elements' channels are the process's: one per stream, not shared with another process.
std::string RtspReserver::channel(const std::string& name) const {
  return "scorecam-reserver-" + std::to_string(getpid()) + "-" + name;
}

}  // namespace scorecam::app
