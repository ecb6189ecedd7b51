#include "overlay_app.h"

#include <cstdio>
#include <sstream>
#include <string>

#include "url_credentials.h"

namespace scorecam::app {

int run_with_gstreamer(const cli::Program& program, int argc, char** argv,
                       const std::function<int(const cli::CommandLine&)>& body) {
  gst_init(&argc, &argv);
  return cli::run(program, argc, argv, body);
}

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

namespace {

// " from -1 to 2147483647" for the numeric properties, ": one of jet, turbo, ..." for the
// enumerations, empty for the others.
std::string range_of(GParamSpec* spec) {
  const auto range = [](auto low, auto high) {
    std::ostringstream text;
    text << " from " << low << " to " << high;
    return text.str();
  };
  if (G_IS_PARAM_SPEC_INT(spec)) return range(G_PARAM_SPEC_INT(spec)->minimum, G_PARAM_SPEC_INT(spec)->maximum);
  if (G_IS_PARAM_SPEC_UINT(spec)) return range(G_PARAM_SPEC_UINT(spec)->minimum, G_PARAM_SPEC_UINT(spec)->maximum);
  if (G_IS_PARAM_SPEC_INT64(spec)) return range(G_PARAM_SPEC_INT64(spec)->minimum, G_PARAM_SPEC_INT64(spec)->maximum);
  if (G_IS_PARAM_SPEC_UINT64(spec))
    return range(G_PARAM_SPEC_UINT64(spec)->minimum, G_PARAM_SPEC_UINT64(spec)->maximum);
  if (G_IS_PARAM_SPEC_DOUBLE(spec))
    return range(G_PARAM_SPEC_DOUBLE(spec)->minimum, G_PARAM_SPEC_DOUBLE(spec)->maximum);
  if (G_IS_PARAM_SPEC_ENUM(spec)) {
    const GEnumClass* values = G_PARAM_SPEC_ENUM(spec)->enum_class;
    std::string names;
    for (guint i = 0; i < values->n_values; ++i) names += (i ? ", " : ": one of ") + std::string(values->values[i].value_nick);
    return names;
  }
  return "";
}

}  // namespace

// GObject would take an out-of-range or unreadable value with a warning and keep the old one
// (target-class=-2 ran as -1): each value is checked against the property's own spec instead.
std::optional<std::string> overlay_property_problem(GstElement* overlay, const std::vector<cli::Property>& properties) {
  for (const auto& [name, value] : properties) {
    GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(overlay), name.c_str());
    if (!spec) return "'" + name + "' is not a scorecamoverlay property (see gst-inspect-1.0 scorecamoverlay)";
    if (!(spec->flags & G_PARAM_WRITABLE)) return "'" + name + "' is read-only: the element counts it";
    GValue converted = G_VALUE_INIT;
    g_value_init(&converted, spec->value_type);
    const bool readable = gst_value_deserialize_with_pspec(&converted, value.c_str(), spec);
    if (!readable || g_param_value_validate(spec, &converted)) {
      g_value_unset(&converted);
      return name + "=" + value + ": " + name + " needs a value of type " + g_type_name(spec->value_type) +
             range_of(spec) + " (see gst-inspect-1.0 scorecamoverlay)";
    }
    g_object_set_property(G_OBJECT(overlay), name.c_str(), &converted);
    g_value_unset(&converted);
  }
  return std::nullopt;
}

bool set_overlay_properties(GstElement* overlay, const std::vector<cli::Property>& properties, const char* program) {
  const auto problem = overlay_property_problem(overlay, properties);
  if (problem) std::fprintf(stderr, "%s: %s\n", program, problem->c_str());
  return !problem;
}

std::string error_text(GstMessage* message, bool details) {
  GError* error = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " + error->message;
  if (details && debug) text += std::string("\n") + debug;
  g_clear_error(&error);
  g_free(debug);
  return redact_credentials(text);  // a source's message may quote its location
}

publish::FrameRecord frame_record(const scorecam_gst::ResultMessage& result, guint64 frame) {
  publish::Explanation e;
  e.valid = result.classification.valid;
  e.class_id = result.classification.class_id;
  e.label = result.classification.label;
  e.confidence = result.classification.confidence;
  e.target_class = result.target_class;
  e.source_pts = scorecam_gst::seconds_of(result.source_timestamp);
  e.refreshed = result.refreshed;
  e.forward_passes = result.forward_passes;
  e.refresh_period = result.refresh_period;
  return {std::nullopt, frame, scorecam_gst::seconds_of(result.timestamp), e};
}

std::optional<scorecam_gst::ResultMessage> frame_result(GstMessage* message, GstElement* overlay) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || GST_MESSAGE_SRC(message) != GST_OBJECT(overlay))
    return std::nullopt;
  return scorecam_gst::read_result_message(gst_message_get_structure(message));
}

std::string tagged_name(const std::string& path, const std::string& tag) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + "." + tag;
  return path.substr(0, dot) + "." + tag + path.substr(dot);
}

std::string partial_name(const std::string& path) { return tagged_name(path, "partial"); }

}  // namespace scorecam::app
