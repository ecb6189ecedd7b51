#include "overlay_app.h"

#include <cstdio>

namespace scorecam::app {

bool find_overlay_element(const char* program) {
  GstElementFactory* factory = gst_element_factory_find("scorecamoverlay");
  if (!factory) {
    std::fprintf(stderr, "%s: element scorecamoverlay not found: install the plugin or set GST_PLUGIN_PATH to the "
                 "build's gst-plugin directory\n", program);
    return false;
  }
  gst_object_unref(factory);
  return true;
}

GstElement* launch(const std::string& description, const char* program) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline || error) {
    std::fprintf(stderr, "%s: cannot build the pipeline '%s': %s\n", program, description.c_str(),
                 error ? error->message : "unknown error");
    g_clear_error(&error);
    if (pipeline) gst_object_unref(pipeline);
    return nullptr;
  }
  return pipeline;
}

bool set_overlay_properties(GstElement* overlay, const std::vector<cli::Property>& properties, const char* program) {
  for (const auto& [name, value] : properties) {
    if (!g_object_class_find_property(G_OBJECT_GET_CLASS(overlay), name.c_str())) {
      std::fprintf(stderr, "%s: '%s' is not a scorecamoverlay property (see gst-inspect-1.0 scorecamoverlay)\n",
                   program, name.c_str());
      return false;
    }
    gst_util_set_object_arg(G_OBJECT(overlay), name.c_str(), value.c_str());
  }
  return true;
}

std::string error_text(GstMessage* message, bool details) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " + error->message;
  if (details && debug) text += std::string("\n") + debug;
  g_clear_error(&error);
  g_free(debug);
  return text;
}

namespace {

nlohmann::ordered_json clock_time(guint64 time) {
  if (!GST_CLOCK_TIME_IS_VALID(time)) return nullptr;
  return static_cast<double>(time) / GST_SECOND;
}

}  // namespace

nlohmann::ordered_json frame_record(const GstStructure* s, guint64 frame) {
  guint64 pts = GST_CLOCK_TIME_NONE, source_pts = GST_CLOCK_TIME_NONE;
  gint class_id = -1, target_class = -1, forward_passes = 0;
  gdouble confidence = 0;
  gboolean refreshed = FALSE;
  gst_structure_get(s, "timestamp", G_TYPE_UINT64, &pts, "source-timestamp", G_TYPE_UINT64, &source_pts, "class-id",
                    G_TYPE_INT, &class_id, "confidence", G_TYPE_DOUBLE, &confidence, "target-class", G_TYPE_INT,
                    &target_class, "refreshed", G_TYPE_BOOLEAN, &refreshed, "forward-passes", G_TYPE_INT,
                    &forward_passes, nullptr);
  gboolean valid = TRUE;
  gst_structure_get_boolean(s, "valid", &valid);
  const char* label = gst_structure_get_string(s, "label");
  return {{"frame", frame},
          {"valid", static_cast<bool>(valid)},
          {"pts", clock_time(pts)},
          {"source_pts", clock_time(source_pts)},
          {"class_id", class_id},
          {"label", label ? label : ""},
          {"confidence", valid ? nlohmann::ordered_json(confidence) : nlohmann::ordered_json(nullptr)},
          {"target_class", target_class},
          {"refreshed", static_cast<bool>(refreshed)},
          {"forward_passes", forward_passes}};
}

bool is_frame_message(GstMessage* message, GstElement* overlay) {
  return GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC(message) == GST_OBJECT(overlay) &&
         gst_structure_has_name(gst_message_get_structure(message), "scorecam");
}

std::string partial_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + ".partial";
  return path.substr(0, dot) + ".partial" + path.substr(dot);
}

}  // namespace scorecam::app
