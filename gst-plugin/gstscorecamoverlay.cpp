/**
 * SECTION:element-scorecamoverlay
 *
 * Classifies each video frame with a TorchScript model, computes the Score-CAM saliency map of
 * the predicted (or a chosen) class and blends it into the frame as a heatmap. The result also
 * travels as metadata: a GstVideoRegionOfInterestMeta with the classification and a
 * GstScoreCamMeta with the map (gstscorecammeta.h), plus optional "scorecam" bus messages.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=300 ! videoconvert ! scorecamoverlay ! videoconvert ! autovideosink
 * ]|
 *
 * The element is glue: the model, Score-CAM, reuse across frames and the stream logic (sync and
 * async processing, flushes, reconfiguration, latency) live in scorecam_core. Here: properties,
 * caps, frame mapping, drawing through GStreamer's overlay composition, metadata and messages.
 */
#include "gstscorecamoverlay.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include <gst/video/video.h>

#include "element_glue.h"
#include "gstscorecammeta-impl.h"
#include "result_codec.h"
#include "scorecam/bundled_model.h"
#include "scorecam/error.h"
#include "scorecam/model.h"
#include "scorecam/model_pool.h"
#include "scorecam/overlay.h"
#include "scorecam/score_cam.h"
#include "scorecam/stream_explainer.h"

GST_DEBUG_CATEGORY_STATIC(gst_scorecam_overlay_debug);
#define GST_CAT_DEFAULT gst_scorecam_overlay_debug

namespace {

// ---------------------------------------------------------------------------------------------
// Enum property types.

// A GEnum type whose values, nicks and descriptions are the core's own table (scorecam/enum_names.h),
// so that a value's name is written once; each value is the core enum's, so conversion is a cast.
template <typename Enum>
GType register_enum(gsize* once, const char* name, const scorecam::EnumNames<Enum>& names) {
  if (g_once_init_enter(once)) {
    auto* values = g_new0(GEnumValue, names.size() + 1);  // GLib keeps the table for the type's lifetime
    for (std::size_t i = 0; i < names.size(); ++i) {
      values[i] = {static_cast<gint>(names[i].value), names[i].description, names[i].name};
    }
    g_once_init_leave(once, g_enum_register_static(name, values));
  }
  return *once;
}

GType score_mode_get_type() {
  static gsize type = 0;
  return register_enum(&type, "GstScoreCamScoreMode", scorecam::score_mode_names());
}

GType method_get_type() {
  static gsize type = 0;
  return register_enum(&type, "GstScoreCamMethod", scorecam::method_names());
}

GType channel_selection_get_type() {
  static gsize type = 0;
  return register_enum(&type, "GstScoreCamChannelSelection", scorecam::channel_selection_names());
}

GType precision_get_type() {
  static gsize type = 0;
  return register_enum(&type, "GstScoreCamPrecision", scorecam::precision_names());
}

GType colormap_get_type() {
  static gsize type = 0;
  return register_enum(&type, "GstScoreCamColormap", scorecam::colormap_names());
}

// ---------------------------------------------------------------------------------------------
// Properties, grouped by what a change to them needs (see Settings).

enum {
  PROP_0,
  PROP_MODEL_LOCATION,
  PROP_CONFIG_LOCATION,
  PROP_LABELS_LOCATION,
  PROP_TARGET_LAYER,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_ASYNC,
  PROP_SHARE_MODEL,
  PROP_TARGET_CLASS,
  PROP_METHOD,
  PROP_SAMPLES,
  PROP_NOISE_SIGMA,
  PROP_SCORE_MODE,
  PROP_BATCH_SIZE,
  PROP_MAX_CHANNELS,
  PROP_CHANNEL_SELECTION,
  PROP_REFRESH_INTERVAL,
  PROP_ROLLING,
  PROP_DRIFT_THRESHOLD,
  PROP_SMOOTHING,
  PROP_ALPHA,
  PROP_COLORMAP,
  PROP_THRESHOLD,
  PROP_SHOW_LABEL,
  PROP_POST_MESSAGES,
  PROP_DROPPED_WORK,
  PROP_EXPLAINED_FRAMES,
  PROP_MODEL_USERS,
  PROP_PARALLEL_PASSES,
};

// Read by start(): changing them needs the READY state. The defaults are the core's own.
struct ModelSettings {
  std::string model_location = scorecam::bundled_model_path();
  std::string config_location;
  std::string labels_location;
  std::string target_layer;
  std::string device = scorecam::ModelOptions{}.device;
  scorecam::Precision precision = scorecam::Precision::Float32;
  bool async = false;
  bool share_model = true;
  int parallel_passes = scorecam::ModelOptions{}.parallel_passes;
};

// Read on every frame.
struct DrawSettings {
  scorecam::OverlayOptions overlay;
  bool show_label = true;
  bool post_messages = false;

  bool draws_the_same(const DrawSettings& other) const {
    return overlay.colormap == other.overlay.colormap && overlay.alpha == other.overlay.alpha &&
           overlay.threshold == other.overlay.threshold && show_label == other.show_label;
  }
};

struct Settings {
  ModelSettings model;
  scorecam::ExplainerSettings explainer;  // a change rebuilds the explainer before the next frame
  uint64_t explainer_revision = 0;        // counts those changes
  DrawSettings draw;
};

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
    case PROP_ALPHA: g_value_set_double(value, d.overlay.alpha); break;
    case PROP_COLORMAP: g_value_set_enum(value, static_cast<gint>(d.overlay.colormap)); break;
    case PROP_THRESHOLD: g_value_set_double(value, d.overlay.threshold); break;
    case PROP_SHOW_LABEL: g_value_set_boolean(value, d.show_label); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, d.post_messages); break;
    default: return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Frames in, overlays out.

// Formats whose pixels the model input is read from directly.
std::optional<scorecam::PixelLayout> packed_rgb_layout(GstVideoFormat format) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: return scorecam::PixelLayout::RGB;
    case GST_VIDEO_FORMAT_BGR: return scorecam::PixelLayout::BGR;
    case GST_VIDEO_FORMAT_RGBA: return scorecam::PixelLayout::RGBA;
    case GST_VIDEO_FORMAT_BGRA: return scorecam::PixelLayout::BGRA;
    case GST_VIDEO_FORMAT_RGBx: return scorecam::PixelLayout::RGBx;
    case GST_VIDEO_FORMAT_BGRx: return scorecam::PixelLayout::BGRx;
    case GST_VIDEO_FORMAT_xRGB: return scorecam::PixelLayout::xRGB;
    case GST_VIDEO_FORMAT_xBGR: return scorecam::PixelLayout::xBGR;
    case GST_VIDEO_FORMAT_ARGB: return scorecam::PixelLayout::ARGB;
    case GST_VIDEO_FORMAT_ABGR: return scorecam::PixelLayout::ABGR;
    default: return std::nullopt;
  }
}

scorecam::ImageView view_of(const GstVideoFrame* frame, scorecam::PixelLayout layout) {
  return {static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)), GST_VIDEO_FRAME_WIDTH(frame),
          GST_VIDEO_FRAME_HEIGHT(frame), static_cast<std::size_t>(GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0)), layout};
}

// The model's view of a frame: the frame itself when it is packed RGB, else an RGB copy made by
// GstVideoConverter (YUV, grey, 10-bit...). The frame itself is never converted back.
class ModelView {
 public:
  explicit ModelView(const GstVideoInfo* info) {
    const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(info);
    if (const auto layout = packed_rgb_layout(format)) {
      layout_ = *layout;
      return;
    }
    GstVideoInfo rgb = *info;  // same size, rate and aspect: the converter insists
    gst_video_info_set_interlaced_format(&rgb, GST_VIDEO_FORMAT_RGB, GST_VIDEO_INFO_INTERLACE_MODE(info),
                                         GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info));
    GST_VIDEO_INFO_FPS_N(&rgb) = GST_VIDEO_INFO_FPS_N(info);
    GST_VIDEO_INFO_FPS_D(&rgb) = GST_VIDEO_INFO_FPS_D(info);
    GST_VIDEO_INFO_PAR_N(&rgb) = GST_VIDEO_INFO_PAR_N(info);
    GST_VIDEO_INFO_PAR_D(&rgb) = GST_VIDEO_INFO_PAR_D(info);
    // No dithering: the same frame always gives the model the same input.
    converter_ = gst_video_converter_new(const_cast<GstVideoInfo*>(info), &rgb,
                                         gst_structure_new("GstVideoConverter", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD,
                                                           GST_TYPE_VIDEO_DITHER_METHOD, GST_VIDEO_DITHER_NONE,
                                                           nullptr));
    buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb), nullptr);
    if (!converter_ || !buffer_ || !gst_video_frame_map(&rgb_, &rgb, buffer_, GST_MAP_READWRITE)) {
      release();
      throw scorecam::Error(std::string("cannot read ") + gst_video_format_to_string(format) + " frames as RGB");
    }
    mapped_ = true;
  }
  ~ModelView() { release(); }
  ModelView(const ModelView&) = delete;
  ModelView& operator=(const ModelView&) = delete;

  scorecam::ImageView of(GstVideoFrame* frame) {
    if (!converter_) return view_of(frame, layout_);
    gst_video_converter_frame(converter_, frame, &rgb_);
    return view_of(&rgb_, scorecam::PixelLayout::RGB);
  }

 private:
  void release() {
    if (mapped_) gst_video_frame_unmap(&rgb_);
    if (buffer_) gst_buffer_unref(buffer_);
    if (converter_) gst_video_converter_free(converter_);
    mapped_ = false;
    buffer_ = nullptr;
    converter_ = nullptr;
  }

  scorecam::PixelLayout layout_ = scorecam::PixelLayout::RGB;
  GstVideoConverter* converter_ = nullptr;
  GstBuffer* buffer_ = nullptr;
  GstVideoFrame rgb_{};
  bool mapped_ = false;
};

// The heatmap and caption of one explanation as an overlay composition, kept while frames share
// the explanation (async mode) and the settings: the heatmap as an ARGB rectangle at the map's
// own size, scaled over the whole frame by whoever draws it, and the caption as a rectangle of
// its box's size in the top-left corner.
class HeatmapOverlay {
 public:
  // nullptr when there is nothing to draw.
  GstVideoOverlayComposition* get(const std::shared_ptr<const scorecam::Heatmap>& heat, int width, int height,
                                  const DrawSettings& settings) {
    if (heat != heat_ || width != width_ || height != height_ || !settings.draws_the_same(settings_)) {
      clear();
      width_ = width;
      height_ = height;
      settings_ = settings;
      build(*heat);
      heat_ = heat;  // only once built: a failed build is tried again, not taken for "nothing to draw"
    }
    return composition_.get();
  }

  void clear() {
    composition_.reset();
    heat_.reset();
  }

 private:
  // Into composition_ as it goes, so that a rectangle already made is released if the next throws.
  void build(const scorecam::Heatmap& heat) {
    auto add = [this](GstVideoOverlayRectangle* rectangle) {
      if (composition_) {
        gst_video_overlay_composition_add_rectangle(composition_.get(), rectangle);
      } else {
        composition_.reset(gst_video_overlay_composition_new(rectangle));
      }
      gst_video_overlay_rectangle_unref(rectangle);
    };
    const torch::Tensor& map = heat.result.map;
    if (settings_.overlay.alpha > 0.0 && heat.result.valid) {
      add(rectangle(map.size(1), map.size(0), width_, height_,
                    [&](scorecam::ImageView& layer) { scorecam::paint_heatmap(layer, map, settings_.overlay); }));
    }
    if (settings_.show_label) {
      const scorecam::CaptionBox box = scorecam::caption_box(heat.caption, width_, height_);
      add(rectangle(box.width, box.height, box.width, box.height,
                    [&](scorecam::ImageView& layer) { scorecam::draw_caption_box(layer, heat.caption, height_); }));
    }
  }

  // An ARGB rectangle of width x height pixels, drawn by `paint`, shown at (0, 0) at the render size.
  template <typename Paint>
  static GstVideoOverlayRectangle* rectangle(int width, int height, int render_width, int render_height,
                                             Paint&& paint) {
    // GStreamer's ARGB overlay format is B, G, R, A in memory on little-endian machines.
    const auto layout = G_BYTE_ORDER == G_LITTLE_ENDIAN ? scorecam::PixelLayout::BGRA : scorecam::PixelLayout::ARGB;
    const std::size_t stride = static_cast<std::size_t>(width) * 4;
    GstBuffer* pixels = gst_buffer_new_allocate(nullptr, stride * height, nullptr);
    gst_buffer_add_video_meta(pixels, GST_VIDEO_FRAME_FLAG_NONE, GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, width,
                              height);
    GstMapInfo map;
    if (!gst_buffer_map(pixels, &map, GST_MAP_WRITE)) {
      gst_buffer_unref(pixels);
      throw scorecam::Error("cannot map the overlay's pixels");
    }
    scorecam::ImageView layer{map.data, width, height, stride, layout};
    try {
      paint(layer);
    } catch (...) {
      gst_buffer_unmap(pixels, &map);
      gst_buffer_unref(pixels);
      throw;
    }
    gst_buffer_unmap(pixels, &map);
    GstVideoOverlayRectangle* rectangle = gst_video_overlay_rectangle_new_raw(
        pixels, 0, 0, render_width, render_height, GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
    gst_buffer_unref(pixels);
    return rectangle;
  }

  std::shared_ptr<const scorecam::Heatmap> heat_;
  int width_ = 0;
  int height_ = 0;
  DrawSettings settings_;
  // Owned, so that resetting the run state by assignment releases it.
  struct Unref {
    void operator()(GstVideoOverlayComposition* composition) const { gst_video_overlay_composition_unref(composition); }
  };
  std::unique_ptr<GstVideoOverlayComposition, Unref> composition_;
};

// What the metadata and the messages say of a result. Without a finite output there is no class.
scorecam_gst::Classification classification_in(const scorecam::FrameResult& result) {
  if (!result.valid) return {false, -1, "", 0};
  const scorecam::ClassScore& best = result.top.front();
  return {true, best.class_id, best.label, static_cast<double>(best.probability)};
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The element's C++ side: GStreamer's callbacks, each doing one job. The stream logic (sync and
// async processing, flushes, reconfiguration, latency) is scorecam::StreamExplainer's.

class ScoreCamOverlayImpl {
 public:
  explicit ScoreCamOverlayImpl(GstScoreCamOverlay* element) : element_(element) {}
  ~ScoreCamOverlayImpl() { stop(); }

  void set_property(guint id, const GValue* value, GParamSpec* pspec);
  void get_property(guint id, GValue* value, GParamSpec* pspec);

  bool start();
  void stop();
  void set_info(const GstVideoInfo* info);
  void set_downstream_draws(bool draws) { downstream_draws_ = draws; }
  GstFlowReturn transform(GstVideoFrame* frame);
  void flush();
  void end_of_stream();
  GstClockTime latency();

 private:
  Settings settings();
  std::shared_ptr<scorecam::StreamExplainer> stream();
  scorecam::StreamEvents events();
  void draw(GstVideoFrame* frame, const std::shared_ptr<const scorecam::Heatmap>& heat, const DrawSettings& draw);
  void attach(GstBuffer* buffer, const scorecam::Heatmap& heat, int width, int height, bool post_message);

  GstScoreCamOverlay* element_;

  std::mutex settings_lock_;
  Settings settings_;

  // Between start() and stop(). The stream is also read by property and query threads.
  std::mutex stream_lock_;
  std::shared_ptr<scorecam::StreamExplainer> stream_;

  // Streaming thread only: GstBaseTransform serializes set_info() and transform().
  struct RunState {
    uint64_t explainer_revision = 0;  // of the settings the stream was last given
    std::unique_ptr<ModelView> model_view;
    HeatmapOverlay overlay;
  };
  RunState run_;
  std::atomic<bool> downstream_draws_{false};  // downstream takes GstVideoOverlayCompositionMeta
};

struct _GstScoreCamOverlay {
  GstVideoFilter parent;
  ScoreCamOverlayImpl* impl;
};

Settings ScoreCamOverlayImpl::settings() {
  std::lock_guard<std::mutex> lock(settings_lock_);
  return settings_;
}

std::shared_ptr<scorecam::StreamExplainer> ScoreCamOverlayImpl::stream() {
  std::lock_guard<std::mutex> lock(stream_lock_);
  return stream_;
}

void ScoreCamOverlayImpl::set_property(guint id, const GValue* value, GParamSpec* pspec) {
  if ((pspec->flags & GST_PARAM_MUTABLE_READY) && stream()) {
    scorecam_gst::warn_changeable_only_when_stopped(GST_ELEMENT(element_), pspec);
    return;
  }
  std::lock_guard<std::mutex> lock(settings_lock_);
  if (set_explainer_property(settings_.explainer, id, value)) {
    ++settings_.explainer_revision;
  } else if (!set_model_property(settings_.model, id, value) && !set_draw_property(settings_.draw, id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
  }
}

void ScoreCamOverlayImpl::get_property(guint id, GValue* value, GParamSpec* pspec) {
  if (id == PROP_DROPPED_WORK || id == PROP_EXPLAINED_FRAMES) {
    const auto running = stream();
    const uint64_t count =
        !running ? 0 : id == PROP_DROPPED_WORK ? running->dropped_frames() : running->explained_frames();
    g_value_set_uint64(value, count);
    return;
  }
  if (id == PROP_MODEL_USERS) {
    const auto running = stream();
    g_value_set_uint(value, running ? static_cast<guint>(running->model_users()) : 0);
    return;
  }
  if (!get_setting(settings(), id, value)) G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
}

scorecam::StreamEvents ScoreCamOverlayImpl::events() {
  scorecam::StreamEvents events;
  GstElement* element = GST_ELEMENT(element_);
  events.failed = [element](const std::string& what) {
    GST_ELEMENT_ERROR(element, STREAM, FAILED, ("Score-CAM failed: %s", what.c_str()), (nullptr));
  };
  events.warning = [element](const std::string& what) {
    GST_ELEMENT_WARNING(element, LIBRARY, SETTINGS, ("%s", what.c_str()), (nullptr));
  };
  events.latency_grew = [element](std::chrono::nanoseconds latency) {
    GST_INFO_OBJECT(element, "explanation took %" GST_TIME_FORMAT ", more than the reported latency",
                    GST_TIME_ARGS(static_cast<GstClockTime>(latency.count())));
    gst_element_post_message(element, gst_message_new_latency(GST_OBJECT(element)));
  };
  return events;
}

bool ScoreCamOverlayImpl::start() {
  const Settings s = settings();
  const ModelSettings& m = s.model;
  try {
    if (m.model_location.empty())
      throw scorecam::Error("no model: set model-location to a TorchScript classifier (.pt); the bundled "
                            "models/fashion_scenes.pt is neither installed nor in the source tree");
    scorecam::ModelOptions options;
    options.config_path = m.config_location;
    options.labels_path = m.labels_location;
    options.target_layer = m.target_layer;
    options.device = m.device;
    options.precision = scorecam::precision_name(m.precision);
    options.parallel_passes = m.parallel_passes;
    std::shared_ptr<scorecam::Model> model = m.share_model
                                                 ? scorecam::ModelPool::process().acquire(m.model_location, options)
                                                 : scorecam::Model::load(m.model_location, options);
    const int classes = model->num_classes();
    if (s.explainer.target_class >= classes)
      throw scorecam::Error("target-class " + std::to_string(s.explainer.target_class) + " is out of range: " +
                            m.model_location + " has " + std::to_string(classes) + " classes (0.." +
                            std::to_string(classes - 1) + "); use -1 to explain the predicted class");
    if (model->frozen()) {
      GST_INFO_OBJECT(element_, "forward passes: %s", model->inference_path().c_str());
    } else {
      GST_WARNING_OBJECT(element_, "forward passes: %s", model->inference_path().c_str());
    }
    auto stream = std::make_shared<scorecam::StreamExplainer>(std::move(model), s.explainer, m.async, events());
    GST_INFO_OBJECT(element_, "loaded %s (layer %s, %d classes); a frame takes at most about %" GST_TIME_FORMAT,
                    m.model_location.c_str(), stream->model().target_layer().c_str(), classes,
                    GST_TIME_ARGS(static_cast<GstClockTime>(stream->latency().count())));
    run_.explainer_revision = s.explainer_revision;
    std::lock_guard<std::mutex> lock(stream_lock_);
    stream_ = std::move(stream);
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(element_, RESOURCE, SETTINGS, ("%s", e.what()),
                      ("model-location=%s device=%s", m.model_location.c_str(), m.device.c_str()));
  } catch (...) {
    GST_ELEMENT_ERROR(element_, RESOURCE, SETTINGS, ("unknown error while loading %s", m.model_location.c_str()),
                      (nullptr));
  }
  stop();
  return false;
}

void ScoreCamOverlayImpl::stop() {
  std::shared_ptr<scorecam::StreamExplainer> stopping;
  {
    std::lock_guard<std::mutex> lock(stream_lock_);
    stopping = std::move(stream_);
  }
  stopping.reset();  // async: the explanation in flight finishes first, outside the lock
  run_ = RunState{};
}

void ScoreCamOverlayImpl::set_info(const GstVideoInfo* info) { run_.model_view = std::make_unique<ModelView>(info); }

void ScoreCamOverlayImpl::flush() {
  if (const auto running = stream()) running->flush();
  run_.overlay.clear();
}

void ScoreCamOverlayImpl::end_of_stream() {
  if (const auto running = stream()) running->discard_waiting();
}

GstClockTime ScoreCamOverlayImpl::latency() {
  const auto running = stream();
  return running ? static_cast<GstClockTime>(running->latency().count()) : 0;
}

void ScoreCamOverlayImpl::draw(GstVideoFrame* frame, const std::shared_ptr<const scorecam::Heatmap>& heat,
                               const DrawSettings& settings) {
  GstVideoOverlayComposition* composition =
      run_.overlay.get(heat, GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame), settings);
  if (!composition) return;
  if (downstream_draws_) {
    gst_buffer_add_video_overlay_composition_meta(frame->buffer, composition);
  } else if (!gst_video_overlay_composition_blend(composition, frame)) {
    throw scorecam::Error(std::string("cannot blend the heatmap into ") +
                          gst_video_format_to_string(GST_VIDEO_FRAME_FORMAT(frame)) + " frames");
  }
}

void ScoreCamOverlayImpl::attach(GstBuffer* buffer, const scorecam::Heatmap& heat, int width, int height,
                                 bool post_message) {
  const auto source_pts = static_cast<GstClockTime>(heat.source_timestamp);
  const scorecam_gst::Classification classification = classification_in(heat.result);
  scorecam_gst::attach_classification(buffer, width, height, classification);
  const torch::Tensor& map = heat.result.map;
  if (heat.result.valid) {
    gst_buffer_add_scorecam_meta(buffer, map.size(1), map.size(0), map.data_ptr<float>(), source_pts,
                                 heat.result.target_class);
  }
  if (!post_message) return;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const GstClockTime running_time =
      gst_segment_to_running_time(&GST_BASE_TRANSFORM(element_)->segment, GST_FORMAT_TIME, pts);
  const scorecam_gst::ResultMessage message{classification, pts, running_time, source_pts, heat.result.target_class,
                                            heat.result.refreshed, heat.result.forward_passes};
  GstStructure* structure = scorecam_gst::result_message_structure(message);
  gst_element_post_message(GST_ELEMENT(element_), gst_message_new_element(GST_OBJECT(element_), structure));
}


GstFlowReturn ScoreCamOverlayImpl::transform(GstVideoFrame* frame) {
  const auto running = stream();
  if (!running || running->failed() || !run_.model_view) return GST_FLOW_ERROR;
  const Settings s = settings();
  if (s.explainer_revision != run_.explainer_revision) {
    running->reconfigure(s.explainer);
    run_.explainer_revision = s.explainer_revision;
  }
  GstBuffer* buffer = frame->buffer;
  // A discontinuity: what was learnt from the frames before says nothing about the next ones.
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT)) running->restart_reuse();
  const auto heat = running->submit(run_.model_view->of(frame), static_cast<int64_t>(GST_BUFFER_PTS(buffer)));
  if (!heat) return GST_FLOW_OK;  // async: nothing finished yet, the frame leaves untouched
  draw(frame, heat, s.draw);
  attach(buffer, *heat, GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame), s.draw.post_messages);
  return GST_FLOW_OK;
}

// ---------------------------------------------------------------------------------------------
// GObject and GStreamer glue. No C++ exception may cross into GStreamer: every entry point that
// can throw goes through guarded().

G_DEFINE_TYPE(GstScoreCamOverlay, gst_scorecam_overlay, GST_TYPE_VIDEO_FILTER)
GST_ELEMENT_REGISTER_DEFINE(scorecamoverlay, "scorecamoverlay", GST_RANK_NONE, GST_TYPE_SCORECAM_OVERLAY)

namespace {

template <typename Result, typename Body>
Result guarded(gpointer element, Result on_error, Body&& body) {
  return scorecam_gst::without_exceptions(element, on_error,
                                          [&] { return body(GST_SCORECAM_OVERLAY(element)->impl); });
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  guarded(object, 0, [&](ScoreCamOverlayImpl* impl) { return impl->set_property(id, value, pspec), 0; });
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  guarded(object, 0, [&](ScoreCamOverlayImpl* impl) { return impl->get_property(id, value, pspec), 0; });
}

void finalize(GObject* object) {
  delete GST_SCORECAM_OVERLAY(object)->impl;
  G_OBJECT_CLASS(gst_scorecam_overlay_parent_class)->finalize(object);
}

gboolean start(GstBaseTransform* trans) {
  return guarded(trans, FALSE, [](ScoreCamOverlayImpl* impl) -> gboolean { return impl->start(); });
}

gboolean stop(GstBaseTransform* trans) {
  return guarded(trans, FALSE, [](ScoreCamOverlayImpl* impl) -> gboolean { return impl->stop(), TRUE; });
}

gboolean sink_event(GstBaseTransform* trans, GstEvent* event) {
  const bool ok = guarded(trans, false, [event](ScoreCamOverlayImpl* impl) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) impl->flush();
    // The frames have all left: work still queued would explain nothing anyone sees.
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) impl->end_of_stream();
    return true;
  });
  if (!ok) {
    gst_event_unref(event);
    return FALSE;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_scorecam_overlay_parent_class)->sink_event(trans, event);
}

// Adds the element's own latency to upstream's: in sync mode every frame waits for its explanation.
gboolean query(GstBaseTransform* trans, GstPadDirection direction, GstQuery* query) {
  if (direction != GST_PAD_SRC || GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS(gst_scorecam_overlay_parent_class)->query(trans, direction, query);
  if (!gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(trans), query)) return FALSE;
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(query, &live, &min, &max);
  const GstClockTime own = GST_SCORECAM_OVERLAY(trans)->impl->latency();
  GST_DEBUG_OBJECT(trans, "adding latency %" GST_TIME_FORMAT, GST_TIME_ARGS(own));
  gst_query_set_latency(query, live, min + own, GST_CLOCK_TIME_IS_VALID(max) ? max + own : max);
  return TRUE;
}

gboolean set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info, GstCaps*, GstVideoInfo*) {
  return guarded(filter, FALSE, [in_info](ScoreCamOverlayImpl* impl) -> gboolean {
    impl->set_info(in_info);
    return TRUE;
  });
}

// Upstream's allocation query goes on downstream (the element works in place); when downstream
// answers that it draws overlay compositions itself, the heatmap travels as that meta instead.
gboolean propose_allocation(GstBaseTransform* trans, GstQuery* decide_query, GstQuery* query) {
  if (!GST_BASE_TRANSFORM_CLASS(gst_scorecam_overlay_parent_class)->propose_allocation(trans, decide_query, query))
    return FALSE;
  const bool draws = gst_query_find_allocation_meta(query, GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, nullptr);
  GST_DEBUG_OBJECT(trans, "downstream %s overlay compositions", draws ? "draws" : "does not draw");
  GST_SCORECAM_OVERLAY(trans)->impl->set_downstream_draws(draws);
  return TRUE;
}

GstFlowReturn transform_frame_ip(GstVideoFilter* filter, GstVideoFrame* frame) {
  return guarded(filter, GST_FLOW_ERROR, [frame](ScoreCamOverlayImpl* impl) { return impl->transform(frame); });
}

using scorecam_gst::kPlaying;
using scorecam_gst::kReadOnly;
using scorecam_gst::kReady;

void install_properties(GObjectClass* klass) {
  const Settings defaults;
  auto install = [klass](guint id, GParamSpec* pspec) { g_object_class_install_property(klass, id, pspec); };

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
          g_param_spec_enum("precision", "Precision", "Numeric precision of the model (fp16 and bf16 need CUDA)",
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
  install(PROP_DROPPED_WORK,
          g_param_spec_uint64("dropped-work", "Dropped work",
                              "Async mode: frames not explained because a newer frame replaced them in the queue",
                              0, G_MAXUINT64, 0, kReadOnly));
  install(PROP_EXPLAINED_FRAMES,
          g_param_spec_uint64("explained-frames", "Explained frames", "Frames explained since the element started",
                              0, G_MAXUINT64, 0, kReadOnly));
  install(PROP_MODEL_USERS,
          g_param_spec_uint("model-users", "Model users",
                            "Elements of this process using this element's loaded model, itself included: more "
                            "than 1 when it is shared (share-model); 0 when stopped",
                            0, G_MAXUINT, 0, kReadOnly));
}

}  // namespace

static void gst_scorecam_overlay_class_init(GstScoreCamOverlayClass* klass) {
  GST_DEBUG_CATEGORY_INIT(gst_scorecam_overlay_debug, "scorecamoverlay", 0, "Score-CAM overlay");

  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;
  install_properties(gobject_class);

  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(
      element_class, "Score-CAM overlay", "Filter/Effect/Video/Analyzer",
      "Classifies each frame with a TorchScript model and blends the Score-CAM heatmap of the class into it. "
      "Example: gst-launch-1.0 videotestsrc num-buffers=300 ! videoconvert ! scorecamoverlay ! videoconvert ! "
      "autovideosink",
      "scorecam developers");
  static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
      "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
      GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS)));
  static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
      "src", GST_PAD_SRC, GST_PAD_ALWAYS,
      GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS)));
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  trans_class->start = start;
  trans_class->stop = stop;
  trans_class->sink_event = sink_event;
  trans_class->query = query;
  trans_class->propose_allocation = propose_allocation;

  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  filter_class->set_info = set_info;
  filter_class->transform_frame_ip = transform_frame_ip;

  gst_type_mark_as_plugin_api(method_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(score_mode_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(channel_selection_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(precision_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(colormap_get_type(), static_cast<GstPluginAPIFlags>(0));
}

static void gst_scorecam_overlay_init(GstScoreCamOverlay* self) {
  self->impl = new ScoreCamOverlayImpl(self);
  // GstVideoFilter turns QoS on, which drops late frames before they reach the element; this
  // element passes every frame (async mode is the answer to a slow model), so off unless asked for.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}
