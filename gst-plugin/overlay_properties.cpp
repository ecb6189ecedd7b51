#include "overlay_properties.h"

#include <gst/gst.h>

#include "element_glue.h"
#include "scorecam/cam_method.h"
#include "scorecam/enum_names.h"
#include "scorecam/score_cam.h"

namespace scorecam_gst {
namespace {

// A GEnum type whose values, nicks and descriptions are the core's own table (scorecam/enum_names.h),
// so that a value's name is written once; each value is the core enum's, so conversion is a cast.
// Registered once per Enum: the static belongs to the template's instance.
template <typename Enum>
GType enum_type(const char* name, const scorecam::EnumNames<Enum>& names) {
  static gsize type = 0;
  if (g_once_init_enter(&type)) {
    auto* values = g_new0(GEnumValue, names.size() + 1);  // GLib keeps the table for the type's lifetime
    for (std::size_t i = 0; i < names.size(); ++i) {
      values[i] = {static_cast<gint>(names[i].value), names[i].description, names[i].name};
    }
    g_once_init_leave(&type, g_enum_register_static(name, values));
  }
  return type;
}

GType score_mode_get_type() { return enum_type("GstScoreCamScoreMode", scorecam::score_mode_names()); }
GType method_get_type() { return enum_type("GstScoreCamMethod", scorecam::method_names()); }
GType channel_selection_get_type() {
  return enum_type("GstScoreCamChannelSelection", scorecam::channel_selection_names());
}
GType precision_get_type() { return enum_type("GstScoreCamPrecision", scorecam::precision_names()); }
GType colormap_get_type() { return enum_type("GstScoreCamColormap", scorecam::colormap_names()); }

std::string string_of(const GValue* value) {
  const char* s = g_value_get_string(value);
  return s ? s : "";
}

// Each returns false for a property of another group.
bool set_model_property(ModelSettings& s, guint id, const GValue* value) {
  switch (id) {
    case PROP_MODEL_LOCATION: s.model_location = string_of(value); return true;
    case PROP_CONFIG_LOCATION: s.config_location = string_of(value); return true;
    case PROP_LABELS_LOCATION: s.labels_location = string_of(value); return true;
    case PROP_TARGET_LAYER: s.target_layer = string_of(value); return true;
    case PROP_DEVICE: s.device = string_of(value); return true;
    case PROP_PRECISION: s.precision = static_cast<scorecam::Precision>(g_value_get_enum(value)); return true;
    case PROP_ASYNC: s.async = g_value_get_boolean(value); return true;
    case PROP_SHARE_MODEL: s.share_model = g_value_get_boolean(value); return true;
    case PROP_PARALLEL_PASSES: s.parallel_passes = g_value_get_int(value); return true;
    default: return false;
  }
}

bool set_explainer_property(scorecam::ExplainerSettings& s, guint id, const GValue* value) {
  switch (id) {
    case PROP_TARGET_CLASS: s.target_class = g_value_get_int(value); return true;
    case PROP_METHOD: s.method.method = static_cast<scorecam::Method>(g_value_get_enum(value)); return true;
    case PROP_SAMPLES: s.method.samples = g_value_get_int(value); return true;
    case PROP_NOISE_SIGMA: s.method.noise_sigma = g_value_get_double(value); return true;
    case PROP_SCORE_MODE: s.score_cam.score_mode = static_cast<scorecam::ScoreMode>(g_value_get_enum(value)); return true;
    case PROP_BATCH_SIZE: s.score_cam.batch_size = g_value_get_int(value); return true;
    case PROP_MAX_CHANNELS: s.score_cam.max_channels = g_value_get_int(value); return true;
    case PROP_CHANNEL_SELECTION:
      s.score_cam.selection = static_cast<scorecam::ChannelSelection>(g_value_get_enum(value));
      return true;
    case PROP_REFRESH_INTERVAL: s.reuse.refresh_interval = g_value_get_int(value); return true;
    case PROP_ROLLING: s.reuse.rolling = g_value_get_boolean(value); return true;
    case PROP_DRIFT_THRESHOLD: s.reuse.drift_threshold = g_value_get_double(value); return true;
    case PROP_SMOOTHING: s.reuse.smoothing = g_value_get_double(value); return true;
    case PROP_FRAME_BUDGET_MS: s.reuse.frame_budget_ms = g_value_get_double(value); return true;
    default: return false;
  }
}

bool set_draw_property(DrawSettings& s, guint id, const GValue* value) {
  switch (id) {
    case PROP_ALPHA: s.overlay.alpha = g_value_get_double(value); return true;
    case PROP_COLORMAP: s.overlay.colormap = static_cast<scorecam::Colormap>(g_value_get_enum(value)); return true;
    case PROP_THRESHOLD: s.overlay.threshold = g_value_get_double(value); return true;
    case PROP_SHOW_LABEL: s.show_label = g_value_get_boolean(value); return true;
    case PROP_POST_MESSAGES: s.post_messages = g_value_get_boolean(value); return true;
    default: return false;
  }
}

}  // namespace

bool set_setting(Settings& settings, guint id, const GValue* value) {
  if (set_explainer_property(settings.explainer, id, value)) {
    ++settings.explainer_revision;
    return true;
  }
  return set_model_property(settings.model, id, value) || set_draw_property(settings.draw, id, value);
}

bool get_setting(const Settings& settings, guint id, GValue* value) {
  const ModelSettings& m = settings.model;
  const scorecam::ExplainerSettings& e = settings.explainer;
  const DrawSettings& d = settings.draw;
  switch (id) {
    case PROP_MODEL_LOCATION: g_value_set_string(value, m.model_location.c_str()); break;
    case PROP_CONFIG_LOCATION: g_value_set_string(value, m.config_location.c_str()); break;
    case PROP_LABELS_LOCATION: g_value_set_string(value, m.labels_location.c_str()); break;
    case PROP_TARGET_LAYER: g_value_set_string(value, m.target_layer.c_str()); break;
    case PROP_DEVICE: g_value_set_string(value, m.device.c_str()); break;
    case PROP_PRECISION: g_value_set_enum(value, static_cast<gint>(m.precision)); break;
    case PROP_ASYNC: g_value_set_boolean(value, m.async); break;
    case PROP_SHARE_MODEL: g_value_set_boolean(value, m.share_model); break;
    case PROP_PARALLEL_PASSES: g_value_set_int(value, m.parallel_passes); break;
    case PROP_TARGET_CLASS: g_value_set_int(value, e.target_class); break;
    case PROP_METHOD: g_value_set_enum(value, static_cast<gint>(e.method.method)); break;
    case PROP_SAMPLES: g_value_set_int(value, e.method.samples); break;
    case PROP_NOISE_SIGMA: g_value_set_double(value, e.method.noise_sigma); break;
    case PROP_SCORE_MODE: g_value_set_enum(value, static_cast<gint>(e.score_cam.score_mode)); break;
    case PROP_BATCH_SIZE: g_value_set_int(value, e.score_cam.batch_size); break;
    case PROP_MAX_CHANNELS: g_value_set_int(value, e.score_cam.max_channels); break;
    case PROP_CHANNEL_SELECTION: g_value_set_enum(value, static_cast<gint>(e.score_cam.selection)); break;
    case PROP_REFRESH_INTERVAL: g_value_set_int(value, e.reuse.refresh_interval); break;
    case PROP_ROLLING: g_value_set_boolean(value, e.reuse.rolling); break;
    case PROP_DRIFT_THRESHOLD: g_value_set_double(value, e.reuse.drift_threshold); break;
    case PROP_SMOOTHING: g_value_set_double(value, e.reuse.smoothing); break;
    case PROP_FRAME_BUDGET_MS: g_value_set_double(value, e.reuse.frame_budget_ms); break;
    case PROP_ALPHA: g_value_set_double(value, d.overlay.alpha); break;
    case PROP_COLORMAP: g_value_set_enum(value, static_cast<gint>(d.overlay.colormap)); break;
    case PROP_THRESHOLD: g_value_set_double(value, d.overlay.threshold); break;
    case PROP_SHOW_LABEL: g_value_set_boolean(value, d.show_label); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, d.post_messages); break;
    default: return false;
  }
  return true;
}

void install_properties(GObjectClass* klass) {
  const Settings defaults;
  auto install = [klass](guint id, GParamSpec* pspec) { g_object_class_install_property(klass, id, pspec); };
  // What the running stream has counted: read-only, 0 when stopped.
  auto counter = [&install](guint id, const char* name, const char* nick, const char* blurb) {
    install(id, g_param_spec_uint64(name, nick, blurb, 0, G_MAXUINT64, 0, kReadOnly));
  };

  install(PROP_MODEL_LOCATION,
          g_param_spec_string("model-location", "Model location",
                              "TorchScript classifier (.pt), by default the bundled fashion model; the JSON sidecar "
                              "of the same name beside it is read too",
                              defaults.model.model_location.c_str(), kReady));
  install(PROP_CONFIG_LOCATION,
          g_param_spec_string("config-location", "Config location",
                              "JSON sidecar with input size, mean/std, colour order, labels and target layer "
                              "(empty: the .json beside the model, else ImageNet defaults)",
                              "", kReady));
  install(PROP_LABELS_LOCATION,
          g_param_spec_string("labels-location", "Labels location",
                              "Text file with one class label per line, overriding the sidecar's labels", "",
                              kReady));
  install(PROP_TARGET_LAYER,
          g_param_spec_string("target-layer", "Target layer",
                              "Dotted module path of the layer to explain, e.g. layer4 (empty: the sidecar's, "
                              "else the last layer with a spatial feature map)",
                              "", kReady));
  install(PROP_DEVICE, g_param_spec_string("device", "Device", "Torch device: cpu, cuda or cuda:N",
                                           defaults.model.device.c_str(), kReady));
  install(PROP_PRECISION,
          g_param_spec_enum("precision", "Precision",
                            "Precision of the masked passes: fp16 needs CUDA, bf16 CUDA or a CPU with AVX512-BF16 "
                            "or AMX, int8 the model's int8 copy (CPU); auto: the fastest copy that agrees with fp32",
                            precision_get_type(), static_cast<gint>(defaults.model.precision), kReady));
  install(PROP_ASYNC,
          g_param_spec_boolean("async", "Asynchronous",
                               "Let each frame through at once, blended with the newest finished heatmap, while a "
                               "worker thread explains the newest frame (for live sources and slow models)",
                               defaults.model.async, kReady));
  install(PROP_SHARE_MODEL,
          g_param_spec_boolean("share-model", "Share model",
                               "Share the loaded model with the other elements of this process that load the same "
                               "file with the same model-location, config-location, labels-location, target-layer, "
                               "device, precision and parallel-passes: one copy in memory, and their forward passes batched "
                               "together",
                               defaults.model.share_model, kReady));
  install(PROP_PARALLEL_PASSES,
          g_param_spec_int("parallel-passes", "Parallel passes",
                           "Forward passes of a shared model that may run at once; the passes that wait meanwhile "
                           "are batched together (0: 1 on a GPU, no limit on a CPU)",
                           0, 64, defaults.model.parallel_passes, kReady));
  install(PROP_TARGET_CLASS,
          g_param_spec_int("target-class", "Target class",
                           "Class whose evidence the heatmap shows (-1: each frame's predicted class)", -1,
                           G_MAXINT, defaults.explainer.target_class, kPlaying));
  install(PROP_METHOD,
          g_param_spec_enum("method", "Method",
                            "How the channels are weighed. The Score-CAM family (scorecam, sscam, iscam) reuses its "
                            "scores across frames (refresh-interval, rolling); gradcam and gradcampp cannot and "
                            "explain every frame in full, with a warning if reuse is asked for",
                            method_get_type(), static_cast<gint>(defaults.explainer.method.method), kPlaying));
  install(PROP_SAMPLES,
          g_param_spec_int("samples", "Samples",
                           "SS-CAM and IS-CAM: inputs scored per mask, each pass count times this (0: the method's "
                           "default, 35 for sscam and 10 for iscam, as torch-cam)",
                           0, 10000, defaults.explainer.method.samples, kPlaying));
  install(PROP_NOISE_SIGMA,
          g_param_spec_double("noise-sigma", "Noise sigma",
                              "SS-CAM: standard deviation of the Gaussian noise added to each [0, 1] mask", 0.0, 100.0,
                              defaults.explainer.method.noise_sigma, kPlaying));
  install(PROP_SCORE_MODE,
          g_param_spec_enum("score-mode", "Score mode", "How the score of a masked input becomes a channel weight",
                            score_mode_get_type(), static_cast<gint>(defaults.explainer.score_cam.score_mode), kPlaying));
  install(PROP_BATCH_SIZE,
          g_param_spec_int("batch-size", "Batch size", "Masked inputs per forward pass", 1, 4096,
                           defaults.explainer.score_cam.batch_size, kPlaying));
  install(PROP_MAX_CHANNELS,
          g_param_spec_int("max-channels", "Max channels",
                           "Evaluate at most this many channels of the target layer, chosen by "
                           "channel-selection (0: all)",
                           0, G_MAXINT, defaults.explainer.score_cam.max_channels, kPlaying));
  install(PROP_CHANNEL_SELECTION,
          g_param_spec_enum("channel-selection", "Channel selection",
                            "Which channels to evaluate when max-channels limits them", channel_selection_get_type(),
                            static_cast<gint>(defaults.explainer.score_cam.selection), kPlaying));
  install(PROP_REFRESH_INTERVAL,
          g_param_spec_int("refresh-interval", "Refresh interval",
                           "Recompute the channel weights every N frames and reuse them in between (1: full "
                           "Score-CAM on every frame)",
                           1, 100000, defaults.explainer.reuse.refresh_interval, kPlaying));
  install(PROP_ROLLING,
          g_param_spec_boolean("rolling", "Rolling refresh",
                               "Spread each refresh over refresh-interval frames, 1/N of the channels per frame, "
                               "instead of all at once (no latency spikes)",
                               defaults.explainer.reuse.rolling, kPlaying));
  install(PROP_DRIFT_THRESHOLD,
          g_param_spec_double("drift-threshold", "Drift threshold",
                              "Relative L2 change of the activations since the last refresh that forces a "
                              "refresh (0: off)",
                              0.0, 100.0, defaults.explainer.reuse.drift_threshold, kPlaying));
  install(PROP_SMOOTHING,
          g_param_spec_double("smoothing", "Smoothing",
                              "Weight of the previous heatmap in an exponential moving average (0: off)", 0.0, 0.99,
                              defaults.explainer.reuse.smoothing, kPlaying));
  install(PROP_FRAME_BUDGET_MS,
          g_param_spec_double("frame-budget-ms", "Frame budget (ms)",
                              "Time a frame may take: each frame rescores as many channels as fit after its first "
                              "pass, at the measured cost per channel, in place of refresh-interval and rolling; "
                              "the resulting refresh period is in the meta and the bus message (0: off; Score-CAM "
                              "family only)",
                              0.0, 100000.0, defaults.explainer.reuse.frame_budget_ms, kPlaying));
  install(PROP_ALPHA, g_param_spec_double("alpha", "Alpha", "Opacity of the heatmap where it is drawn", 0.0, 1.0,
                                          defaults.draw.overlay.alpha, kPlaying));
  install(PROP_COLORMAP, g_param_spec_enum("colormap", "Colormap", "Colours of the heatmap", colormap_get_type(),
                                           static_cast<gint>(defaults.draw.overlay.colormap), kPlaying));
  install(PROP_THRESHOLD,
          g_param_spec_double("threshold", "Threshold", "Saliency below this leaves the pixel untouched", 0.0, 1.0,
                              defaults.draw.overlay.threshold, kPlaying));
  install(PROP_SHOW_LABEL,
          g_param_spec_boolean("show-label", "Show label",
                               "Draw the predicted class and its confidence in the top-left corner",
                               defaults.draw.show_label, kPlaying));
  install(PROP_POST_MESSAGES,
          g_param_spec_boolean("post-messages", "Post messages",
                               "Post a \"scorecam\" element message on the bus for every frame that carries a "
                               "heatmap",
                               defaults.draw.post_messages, kPlaying));
  counter(PROP_DROPPED_WORK, "dropped-work", "Dropped work",
          "Async mode: frames not explained because a newer frame replaced them in the queue");
  counter(PROP_EXPLAINED_FRAMES, "explained-frames", "Explained frames", "Frames explained since the element started");
  install(PROP_MODEL_USERS,
          g_param_spec_uint("model-users", "Model users",
                            "Elements of this process using this element's loaded model, itself included: more "
                            "than 1 when it is shared (share-model); 0 when stopped",
                            0, G_MAXUINT, 0, kReadOnly));
  counter(PROP_MODEL_PASSES, "model-passes", "Model passes",
          "Forward passes the loaded model has run, for every element using it; 0 when stopped");
  counter(PROP_MODEL_REQUESTS, "model-requests", "Model requests",
          "Requests for a forward pass those passes served: more than model-passes when the passes of elements "
          "sharing the model were merged; 0 when stopped");
  for (GType type : {method_get_type(), score_mode_get_type(), channel_selection_get_type(), precision_get_type(),
                     colormap_get_type()})
    gst_type_mark_as_plugin_api(type, static_cast<GstPluginAPIFlags>(0));
}

}  // namespace scorecam_gst
