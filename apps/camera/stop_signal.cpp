#include "camera/stop_signal.h"

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace scorecam::camera {
namespace {

// Lock-free, so the handler may set it.
std::atomic<bool> requested{false};
// The handler writes a byte that nobody reads: every camera's poll() sees it, not just one.
int wake_pipe[2] = {-1, -1};

void on_stop_signal(int signal) {
  requested = true;
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(wake_pipe[1], &byte, 1);
  std::signal(signal, SIG_DFL);
}

}  // namespace

bool install_stop_handlers() {
  if (pipe(wake_pipe) != 0) return false;
  return std::signal(SIGINT, on_stop_signal) != SIG_ERR && std::signal(SIGTERM, on_stop_signal) != SIG_ERR;
}

bool stop_requested() { return requested; }

int stop_descriptor() { return wake_pipe[0]; }

bool wait_or_stop(double seconds) {
  pollfd wake{wake_pipe[0], POLLIN, 0};
  poll(&wake, 1, static_cast<int>(seconds * 1000));
  return requested;
}

}  // namespace scorecam::camera
