#pragma once
// Ctrl-C and SIGTERM ask every camera to stop: each finishes its segment in progress and the
// runner exits with status 0. Real handlers, installed by the program itself, so that this holds
// also as PID 1 in a container, where a signal without a handler is ignored. A second signal
// kills at once.
namespace scorecam::camera {

// False when the handlers cannot be installed.
bool install_stop_handlers();

// Whether a stop was asked for; read by every camera's thread.
bool stop_requested();

// Waits `seconds` or until a stop is asked for (a wait between connections); true if it was.
bool wait_or_stop(double seconds);

// Readable once a stop is asked for, for poll() beside other descriptors (-1 before the handlers).
int stop_descriptor();

}  // namespace scorecam::camera
