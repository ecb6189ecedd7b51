// What the plugin's elements share at their border with GStreamer: no C++ exception may cross
// into GStreamer, and how their properties are installed and refused.
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

// For a property of flag kReady set while the element runs: it is refused, with this warning.
inline void warn_changeable_only_when_stopped(GstElement* element, GParamSpec* pspec) {
  g_warning("%s: property '%s' can only be changed in the NULL or READY state", GST_ELEMENT_NAME(element), pspec->name);
}

constexpr GParamFlags kReady =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
constexpr GParamFlags kPlaying =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
constexpr GParamFlags kReadOnly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

}  // namespace scorecam_gst
