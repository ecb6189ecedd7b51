// What the plugin's elements share at their border with GStreamer: no C++ exception may cross
// into GStreamer, and the flags their properties are installed with.
#pragma once

#include <exception>

#include <gst/gst.h>

namespace scorecam_gst {

// Runs `body`; an exception becomes an element error (STREAM FAILED, with its message) and `on_error`.
template <typename Result, typename Body>
Result without_exceptions(gpointer element, Result on_error, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(element, STREAM, FAILED, ("%s", e.what()), (nullptr));
  } catch (...) {
    GST_ELEMENT_ERROR(element, STREAM, FAILED, ("unknown error"), (nullptr));
  }
  return on_error;
}

constexpr GParamFlags kReady =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
constexpr GParamFlags kPlaying =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
constexpr GParamFlags kReadOnly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

}  // namespace scorecam_gst
