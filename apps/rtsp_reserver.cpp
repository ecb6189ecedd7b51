#include "rtsp_reserver.h"

#include <unistd.h>

namespace scorecam::app {

// One encoding shared by every client (shared media); the stream's parameters go with every key
// frame, so that a client joining late can start at the next one.
RtspReserver::RtspReserver(const std::string& address, int port, const std::string& path, const std::string& encoder,
                           const RtspAccess& access)
    : channel_("scorecam-reserver-" + std::to_string(getpid())),
      server_(address, port, path,
              "( intervideosrc channel=" + channel_ + " ! videoconvert ! " + encoder +
                  " ! rtph264pay name=pay0 pt=96 config-interval=-1 )",
              access) {}

std::string RtspReserver::sink_description() const { return "videoconvert ! intervideosink channel=" + channel_; }

}  // namespace scorecam::app
