#pragma once
// scorecam-camera's log: one line per event on stderr, as a service's log wants
// ("2026-11-29 16:40:02 scorecam-camera: camera a: connection 2 lost: ..."). Every URL's password
// is redacted from it. Lines of several cameras' threads never mix: each is one write.
#include <string>

namespace scorecam::camera {

constexpr const char* kProgram = "scorecam-camera";

// `who` goes before the message: "camera NAME: ", or "" for the one camera of the URL form.
void log(const std::string& who, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace scorecam::camera
