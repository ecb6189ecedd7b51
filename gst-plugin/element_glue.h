// What the plugin's elements share at their border with GStreamer: no C++ exception may cross
// into GStreamer, how their properties are installed and refused, and the class set-up they have
// alike.
#pragma once

#include <exception>
#include <mutex>

#include <gst/base/gstbasetransform.h>
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

// An element's settings: changed by property calls, copied whole by the threads that read them, so
// that a reader never sees half a change.
template <typename Values>
class LockedSettings {
 public:
  Values copy() {
    std::lock_guard<std::mutex> lock(mutex_);
    return settings_;
  }

  // `change(settings)` under the lock; returns what it returns.
  template <typename Change>
  auto change(Change&& change) {
    std::lock_guard<std::mutex> lock(mutex_);
    return change(settings_);
  }

 private:
  std::mutex mutex_;
  Values settings_;
};

// The element's metadata (static strings) and its two always pads, "sink" and "src", of `caps`.
inline void describe_element(GstElementClass* klass, const char* long_name, const char* classification,
                             const char* description, const char* caps) {
  gst_element_class_set_static_metadata(klass, long_name, classification, description, "scorecam developers");
  GstCaps* pad_caps = gst_caps_from_string(caps);
  gst_element_class_add_pad_template(klass, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, pad_caps));
  gst_element_class_add_pad_template(klass, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, pad_caps));
  gst_caps_unref(pad_caps);
}

// The GObject and GstBaseTransform hooks that forward to an element's C++ side, `Impl`, held as
// `Instance::impl` (made by the instance init, deleted at finalize), none letting an exception
// through. Impl has set_property, get_property, start (true when started), stop, and sink_event,
// called before the event goes on downstream.
template <typename Instance, typename Impl>
class TransformHooks {
 public:
  // From class_init; then `install_properties`, which GObject accepts only once the property
  // hooks are set.
  static void install(GstBaseTransformClass* klass, void (*install_properties)(GObjectClass*)) {
    parent_ = GST_BASE_TRANSFORM_CLASS(g_type_class_peek_parent(klass));
    GObjectClass* object_class = G_OBJECT_CLASS(klass);
    object_class->set_property = set_property;
    object_class->get_property = get_property;
    object_class->finalize = finalize;
    klass->start = start;
    klass->stop = stop;
    klass->sink_event = sink_event;
    install_properties(object_class);
  }

  static Impl* impl(gpointer element) { return reinterpret_cast<Instance*>(element)->impl; }

  // `body(impl)` through without_exceptions(), for the element's other hooks.
  template <typename Result, typename Body>
  static Result guarded(gpointer element, Result on_error, Body&& body) {
    return without_exceptions(element, on_error, [&] { return body(impl(element)); });
  }

 private:
  static void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
    guarded(object, 0, [&](Impl* impl) { return impl->set_property(id, value, pspec), 0; });
  }

  static void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
    guarded(object, 0, [&](Impl* impl) { return impl->get_property(id, value, pspec), 0; });
  }

  static void finalize(GObject* object) {
    delete impl(object);
    G_OBJECT_CLASS(parent_)->finalize(object);
  }

  static gboolean start(GstBaseTransform* trans) {
    return guarded(trans, FALSE, [](Impl* impl) -> gboolean { return impl->start(); });
  }

  static gboolean stop(GstBaseTransform* trans) {
    return guarded(trans, FALSE, [](Impl* impl) -> gboolean { return impl->stop(), TRUE; });
  }

  static gboolean sink_event(GstBaseTransform* trans, GstEvent* event) {
    if (!guarded(trans, false, [event](Impl* impl) { return impl->sink_event(event), true; })) {
      gst_event_unref(event);
      return FALSE;
    }
    return parent_->sink_event(trans, event);
  }

  static inline GstBaseTransformClass* parent_ = nullptr;
};

}  // namespace scorecam_gst
