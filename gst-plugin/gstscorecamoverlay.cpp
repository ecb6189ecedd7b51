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
 * The element is thin on purpose: the model, Score-CAM, reuse across frames and blending live in
 * scorecam_core. Here: properties, caps, frame mapping, metadata and the async worker.
 */
#include "gstscorecamoverlay.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gst/video/video.h>

#include "gstscorecammeta-impl.h"
#include "scorecam/bundled_model.h"
#include "scorecam/error.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/model.h"
#include "scorecam/overlay.h"
#include "scorecam/score_cam.h"

GST_DEBUG_CATEGORY_STATIC(gst_scorecam_overlay_debug);
#define GST_CAT_DEFAULT gst_scorecam_overlay_debug

namespace {

// ---------------------------------------------------------------------------------------------
// Enum property types. Each value is the core enum's own value, so conversion is a cast.

GType register_enum(gsize* once, const char* name, const GEnumValue* values) {
  if (g_once_init_enter(once)) g_once_init_leave(once, g_enum_register_static(name, values));
  return *once;
}

GType score_mode_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(scorecam::ScoreMode::Probability),
       "Softmax probability of the target class on each masked input (official Score-CAM)", "probability"},
      {static_cast<gint>(scorecam::ScoreMode::LogitSoftmax),
       "Target logit on each masked input, softmax across channels (pytorch-grad-cam, torch-cam)",
       "logit-softmax"},
      {static_cast<gint>(scorecam::ScoreMode::BaselineSubtracted),
       "Probability minus that of the mean image (the paper's CIC)", "cic"},
      {0, nullptr, nullptr}};
  return register_enum(&type, "GstScoreCamScoreMode", values);
}

GType channel_selection_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(scorecam::ChannelSelection::All), "Every non-constant channel", "all"},
      {static_cast<gint>(scorecam::ChannelSelection::StdDev),
       "Channels of largest spatial standard deviation (Faster Score-CAM)", "std"},
      {static_cast<gint>(scorecam::ChannelSelection::Mean), "Channels of largest mean activation", "mean"},
      {static_cast<gint>(scorecam::ChannelSelection::Random), "Channels drawn at random", "random"},
      {0, nullptr, nullptr}};
  return register_enum(&type, "GstScoreCamChannelSelection", values);
}

GType precision_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(scorecam::Precision::Float32), "32-bit float", "fp32"},
      {static_cast<gint>(scorecam::Precision::Float16), "16-bit float (CUDA only)", "fp16"},
      {static_cast<gint>(scorecam::Precision::BFloat16), "bfloat16 (CUDA only)", "bf16"},
      {0, nullptr, nullptr}};
  return register_enum(&type, "GstScoreCamPrecision", values);
}

GType colormap_get_type() {
  static gsize type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(scorecam::Colormap::Jet), "Jet", "jet"},
      {static_cast<gint>(scorecam::Colormap::Turbo), "Turbo", "turbo"},
      {static_cast<gint>(scorecam::Colormap::Inferno), "Inferno", "inferno"},
      {static_cast<gint>(scorecam::Colormap::Viridis), "Viridis", "viridis"},
      {static_cast<gint>(scorecam::Colormap::Magma), "Magma", "magma"},
      {static_cast<gint>(scorecam::Colormap::Hot), "Hot", "hot"},
      {0, nullptr, nullptr}};
  return register_enum(&type, "GstScoreCamColormap", values);
}

// ---------------------------------------------------------------------------------------------
// Properties. The order matters: PROP_TARGET_CLASS..PROP_SMOOTHING are the ones the explainer is
// built from, so changing one rebuilds it before the next frame.

enum {
  PROP_0,
  PROP_MODEL_LOCATION,
  PROP_CONFIG_LOCATION,
  PROP_LABELS_LOCATION,
  PROP_TARGET_LAYER,
  PROP_DEVICE,
  PROP_PRECISION,
  PROP_ASYNC,
  PROP_TARGET_CLASS,
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
};

bool rebuilds_explainer(guint id) { return id >= PROP_TARGET_CLASS && id <= PROP_SMOOTHING; }

// What the user set. The defaults are the core's own.
struct Settings {
  // Read by start(): changing them needs the READY state.
  std::string model_location = scorecam::bundled_model_path();
  std::string config_location;
  std::string labels_location;
  std::string target_layer;
  std::string device = scorecam::ModelOptions{}.device;
  scorecam::Precision precision = scorecam::Precision::Float32;
  bool async = false;
  // What the explainer is built from; explainer_revision counts their changes.
  int target_class = -1;
  scorecam::ScoreCamOptions score_cam;
  scorecam::ReuseOptions reuse;
  uint64_t explainer_revision = 0;
  // Read on every frame.
  scorecam::OverlayOptions overlay;
  bool show_label = true;
  bool post_messages = false;
};

// A finished explanation, shared by every frame it is blended into.
struct Heatmap {
  scorecam::FrameResult result;  // map contiguous float32 on the CPU
  std::string target_label;      // label of result.target_class
  GstClockTime source_pts = GST_CLOCK_TIME_NONE;
};

// A frame waiting for the async worker: a tightly packed copy in the frame's own pixel layout.
struct Job {
  std::vector<uint8_t> pixels;
  scorecam::ImageView view;  // into pixels
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  uint64_t epoch = 0;
};

scorecam::PixelLayout packed_layout(GstVideoFormat format) {
  switch (format) {
    case GST_VIDEO_FORMAT_RGB: return scorecam::PixelLayout::RGB;
    case GST_VIDEO_FORMAT_BGR: return scorecam::PixelLayout::BGR;
    case GST_VIDEO_FORMAT_RGBA: return scorecam::PixelLayout::RGBA;
    case GST_VIDEO_FORMAT_BGRA: return scorecam::PixelLayout::BGRA;
    case GST_VIDEO_FORMAT_RGBx: return scorecam::PixelLayout::RGBx;
    case GST_VIDEO_FORMAT_BGRx: return scorecam::PixelLayout::BGRx;
    default: throw scorecam::Error(std::string("unsupported video format ") + gst_video_format_to_string(format));
  }
}

scorecam::ImageView view_of(GstVideoFrame* frame, scorecam::PixelLayout layout) {
  scorecam::ImageView view;
  view.data = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0));
  view.width = GST_VIDEO_FRAME_WIDTH(frame);
  view.height = GST_VIDEO_FRAME_HEIGHT(frame);
  view.stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
  view.layout = layout;
  return view;
}

// The "classification" structure of the region-of-interest meta; the bus message adds to it.
GstStructure* classification_structure(const char* name, const scorecam::ClassScore& best) {
  return gst_structure_new(name, "label", G_TYPE_STRING, best.label.c_str(), "class-id", G_TYPE_INT, best.class_id,
                           "confidence", G_TYPE_DOUBLE, static_cast<double>(best.probability), nullptr);
}

std::string caption(const Heatmap& heat) {
  const scorecam::ClassScore& best = heat.result.top.front();
  std::string text = best.label + " " + std::to_string(static_cast<int>(best.probability * 100.f + 0.5f)) + "%";
  if (heat.result.target_class != best.class_id) text += " | map: " + heat.target_label;
  return text;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The element's C++ side. Settings and per-run state are apart, each under its own lock; the
// model and its explainer have a third, held for a whole explanation, so that the streaming
// thread never waits on the model in async mode. Lock order: engine, then state.

class ScoreCamOverlayImpl {
 public:
  explicit ScoreCamOverlayImpl(GstScoreCamOverlay* element) : element_(element) {}
  ~ScoreCamOverlayImpl() { stop(); }

  void set_property(guint id, const GValue* value, GParamSpec* pspec);
  void get_property(guint id, GValue* value, GParamSpec* pspec);

  bool start();
  void stop();
  void set_info(const GstVideoInfo* info);
  GstFlowReturn transform(GstVideoFrame* frame);
  void flush();
  void drop_pending();
  GstClockTime latency();

 private:
  Settings settings();
  std::unique_ptr<scorecam::FrameExplainer> make_explainer(const Settings& settings);
  std::shared_ptr<const Heatmap> explain(const scorecam::ImageView& view, GstClockTime pts, uint64_t epoch);
  void queue(const scorecam::ImageView& view, GstClockTime pts, uint64_t epoch);
  void work();
  void fail(const char* what);
  scorecam::ImageView rgb_view(GstVideoFrame* frame);
  void draw(scorecam::ImageView& view, const std::shared_ptr<const Heatmap>& heat, const Settings& settings);
  void attach(GstBuffer* buffer, const Heatmap& heat, int width, int height, bool post_message);
  void release_scratch();

  GstScoreCamOverlay* element_;

  std::mutex settings_lock_;
  Settings settings_;

  // The model and its explainer: used by one thread at a time, the streaming thread in sync mode
  // and the worker in async mode.
  std::mutex engine_lock_;
  std::unique_ptr<scorecam::Model> model_;
  std::unique_ptr<scorecam::FrameExplainer> explainer_;
  uint64_t explainer_revision_ = 0;

  // Per-run state shared by the streaming thread, the worker, queries and property reads.
  std::mutex state_lock_;
  std::condition_variable work_ready_;
  bool running_ = false;  // between start() and stop(): the model settings are in use
  bool async_ = false;
  bool stopping_ = false;
  bool failed_ = false;
  bool reset_pending_ = false;   // the explainer must forget its reused state before the next frame
  uint64_t epoch_ = 0;           // bumped by flushes: work begun before one is discarded
  std::optional<Job> pending_;   // async: the one frame waiting; a newer frame replaces it
  std::vector<uint8_t> spare_;   // async: a finished job's pixels, reused for the next copy
  std::shared_ptr<const Heatmap> latest_;
  GstClockTime latency_ = 0;
  guint64 dropped_work_ = 0;
  guint64 explained_frames_ = 0;
  std::thread worker_;

  // Streaming thread only: GstBaseTransform serializes set_info() and transform().
  GstVideoConverter* to_rgb_ = nullptr;  // NV12/I420 <-> the RGB scratch frame
  GstVideoConverter* from_rgb_ = nullptr;
  GstBuffer* rgb_buffer_ = nullptr;
  GstVideoFrame rgb_frame_{};
  scorecam::PixelLayout layout_ = scorecam::PixelLayout::RGB;
  std::shared_ptr<const Heatmap> resized_for_;  // the heatmap resized_map_ was made from
  torch::Tensor resized_map_;
};

struct _GstScoreCamOverlay {
  GstVideoFilter parent;
  ScoreCamOverlayImpl* impl;
};

Settings ScoreCamOverlayImpl::settings() {
  std::lock_guard<std::mutex> lock(settings_lock_);
  return settings_;
}

void ScoreCamOverlayImpl::set_property(guint id, const GValue* value, GParamSpec* pspec) {
  if (pspec->flags & GST_PARAM_MUTABLE_READY) {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (running_) {
      g_warning("%s: property '%s' can only be changed in the NULL or READY state", GST_ELEMENT_NAME(element_),
                pspec->name);
      return;
    }
  }
  auto string_value = [value] {
    const char* s = g_value_get_string(value);
    return std::string(s ? s : "");
  };
  std::lock_guard<std::mutex> lock(settings_lock_);
  Settings& s = settings_;
  switch (id) {
    case PROP_MODEL_LOCATION: s.model_location = string_value(); break;
    case PROP_CONFIG_LOCATION: s.config_location = string_value(); break;
    case PROP_LABELS_LOCATION: s.labels_location = string_value(); break;
    case PROP_TARGET_LAYER: s.target_layer = string_value(); break;
    case PROP_DEVICE: s.device = string_value(); break;
    case PROP_PRECISION: s.precision = static_cast<scorecam::Precision>(g_value_get_enum(value)); break;
    case PROP_ASYNC: s.async = g_value_get_boolean(value); break;
    case PROP_TARGET_CLASS: s.target_class = g_value_get_int(value); break;
    case PROP_SCORE_MODE: s.score_cam.score_mode = static_cast<scorecam::ScoreMode>(g_value_get_enum(value)); break;
    case PROP_BATCH_SIZE: s.score_cam.batch_size = g_value_get_int(value); break;
    case PROP_MAX_CHANNELS: s.score_cam.max_channels = g_value_get_int(value); break;
    case PROP_CHANNEL_SELECTION:
      s.score_cam.selection = static_cast<scorecam::ChannelSelection>(g_value_get_enum(value));
      break;
    case PROP_REFRESH_INTERVAL: s.reuse.refresh_interval = g_value_get_int(value); break;
    case PROP_ROLLING: s.reuse.rolling = g_value_get_boolean(value); break;
    case PROP_DRIFT_THRESHOLD: s.reuse.drift_threshold = g_value_get_double(value); break;
    case PROP_SMOOTHING: s.reuse.smoothing = g_value_get_double(value); break;
    case PROP_ALPHA: s.overlay.alpha = g_value_get_double(value); break;
    case PROP_COLORMAP: s.overlay.colormap = static_cast<scorecam::Colormap>(g_value_get_enum(value)); break;
    case PROP_THRESHOLD: s.overlay.threshold = g_value_get_double(value); break;
    case PROP_SHOW_LABEL: s.show_label = g_value_get_boolean(value); break;
    case PROP_POST_MESSAGES: s.post_messages = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec); return;
  }
  if (rebuilds_explainer(id)) ++s.explainer_revision;
}

void ScoreCamOverlayImpl::get_property(guint id, GValue* value, GParamSpec* pspec) {
  if (id == PROP_DROPPED_WORK || id == PROP_EXPLAINED_FRAMES) {
    std::lock_guard<std::mutex> lock(state_lock_);
    g_value_set_uint64(value, id == PROP_DROPPED_WORK ? dropped_work_ : explained_frames_);
    return;
  }
  std::lock_guard<std::mutex> lock(settings_lock_);
  const Settings& s = settings_;
  switch (id) {
    case PROP_MODEL_LOCATION: g_value_set_string(value, s.model_location.c_str()); break;
    case PROP_CONFIG_LOCATION: g_value_set_string(value, s.config_location.c_str()); break;
    case PROP_LABELS_LOCATION: g_value_set_string(value, s.labels_location.c_str()); break;
    case PROP_TARGET_LAYER: g_value_set_string(value, s.target_layer.c_str()); break;
    case PROP_DEVICE: g_value_set_string(value, s.device.c_str()); break;
    case PROP_PRECISION: g_value_set_enum(value, static_cast<gint>(s.precision)); break;
    case PROP_ASYNC: g_value_set_boolean(value, s.async); break;
    case PROP_TARGET_CLASS: g_value_set_int(value, s.target_class); break;
    case PROP_SCORE_MODE: g_value_set_enum(value, static_cast<gint>(s.score_cam.score_mode)); break;
    case PROP_BATCH_SIZE: g_value_set_int(value, s.score_cam.batch_size); break;
    case PROP_MAX_CHANNELS: g_value_set_int(value, s.score_cam.max_channels); break;
    case PROP_CHANNEL_SELECTION: g_value_set_enum(value, static_cast<gint>(s.score_cam.selection)); break;
    case PROP_REFRESH_INTERVAL: g_value_set_int(value, s.reuse.refresh_interval); break;
    case PROP_ROLLING: g_value_set_boolean(value, s.reuse.rolling); break;
    case PROP_DRIFT_THRESHOLD: g_value_set_double(value, s.reuse.drift_threshold); break;
    case PROP_SMOOTHING: g_value_set_double(value, s.reuse.smoothing); break;
    case PROP_ALPHA: g_value_set_double(value, s.overlay.alpha); break;
    case PROP_COLORMAP: g_value_set_enum(value, static_cast<gint>(s.overlay.colormap)); break;
    case PROP_THRESHOLD: g_value_set_double(value, s.overlay.threshold); break;
    case PROP_SHOW_LABEL: g_value_set_boolean(value, s.show_label); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, s.post_messages); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec); break;
  }
}

std::unique_ptr<scorecam::FrameExplainer> ScoreCamOverlayImpl::make_explainer(const Settings& s) {
  return std::make_unique<scorecam::FrameExplainer>(*model_, s.score_cam, s.reuse, s.target_class);
}

bool ScoreCamOverlayImpl::start() {
  const Settings s = settings();
  try {
    if (s.model_location.empty())
      throw scorecam::Error("no model: set model-location to a TorchScript classifier (.pt); the bundled "
                            "models/fashion_scenes.pt is neither installed nor in the source tree");
    scorecam::ModelOptions options;
    options.config_path = s.config_location;
    options.labels_path = s.labels_location;
    options.target_layer = s.target_layer;
    options.device = s.device;
    options.precision = scorecam::precision_name(s.precision);
    auto model = scorecam::Model::load(s.model_location, options);
    if (s.target_class >= model->num_classes())
      throw scorecam::Error("target-class " + std::to_string(s.target_class) + " is out of range: " +
                            s.model_location + " has " + std::to_string(model->num_classes()) +
                            " classes (0.." + std::to_string(model->num_classes() - 1) +
                            "); use -1 to explain the predicted class");
    // What a frame may cost in sync mode: a full explanation, estimated from one batch.
    const auto worst = static_cast<GstClockTime>(
        scorecam::ScoreCam(*model, s.score_cam).estimate_seconds_per_frame() * GST_SECOND);
    GST_INFO_OBJECT(element_, "loaded %s (layer %s, %d classes); a full explanation takes about %" GST_TIME_FORMAT,
                    s.model_location.c_str(), model->target_layer().c_str(), model->num_classes(),
                    GST_TIME_ARGS(worst));
    if (model->frozen()) {
      GST_INFO_OBJECT(element_, "forward passes: %s", model->inference_path().c_str());
    } else {
      GST_WARNING_OBJECT(element_, "forward passes: %s", model->inference_path().c_str());
    }
    {
      std::lock_guard<std::mutex> engine(engine_lock_);
      model_ = std::move(model);
      explainer_ = make_explainer(s);
      explainer_revision_ = s.explainer_revision;
    }
    {
      std::lock_guard<std::mutex> lock(state_lock_);
      running_ = true;
      async_ = s.async;
      latency_ = worst;
    }
    if (s.async) worker_ = std::thread(&ScoreCamOverlayImpl::work, this);
    return true;
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(element_, RESOURCE, SETTINGS, ("%s", e.what()),
                      ("model-location=%s device=%s", s.model_location.c_str(), s.device.c_str()));
  } catch (...) {
    GST_ELEMENT_ERROR(element_, RESOURCE, SETTINGS, ("unknown error while loading %s", s.model_location.c_str()),
                      (nullptr));
  }
  stop();
  return false;
}

void ScoreCamOverlayImpl::stop() {
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  // An explanation in flight finishes first: LibTorch cannot be interrupted.
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard<std::mutex> engine(engine_lock_);
    explainer_.reset();
    model_.reset();
  }
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    running_ = async_ = stopping_ = failed_ = reset_pending_ = false;
    pending_.reset();
    spare_ = {};
    latest_.reset();
    latency_ = 0;
    dropped_work_ = explained_frames_ = 0;
  }
  release_scratch();
}

void ScoreCamOverlayImpl::release_scratch() {
  if (rgb_buffer_) {
    gst_video_frame_unmap(&rgb_frame_);
    gst_buffer_unref(rgb_buffer_);
    rgb_buffer_ = nullptr;
  }
  if (to_rgb_) gst_video_converter_free(to_rgb_);
  if (from_rgb_) gst_video_converter_free(from_rgb_);
  to_rgb_ = from_rgb_ = nullptr;
  resized_for_.reset();
  resized_map_ = torch::Tensor();
}

void ScoreCamOverlayImpl::set_info(const GstVideoInfo* info) {
  release_scratch();
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(info);
  if (format != GST_VIDEO_FORMAT_NV12 && format != GST_VIDEO_FORMAT_I420) {
    layout_ = packed_layout(format);
    return;
  }
  // Planar YUV: explain and blend in an RGB copy, then convert the result back.
  GstVideoInfo rgb_info;
  gst_video_info_set_format(&rgb_info, GST_VIDEO_FORMAT_RGB, GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info));
  // The converter insists on equal frame rates and pixel aspect ratios.
  GST_VIDEO_INFO_FPS_N(&rgb_info) = GST_VIDEO_INFO_FPS_N(info);
  GST_VIDEO_INFO_FPS_D(&rgb_info) = GST_VIDEO_INFO_FPS_D(info);
  GST_VIDEO_INFO_PAR_N(&rgb_info) = GST_VIDEO_INFO_PAR_N(info);
  GST_VIDEO_INFO_PAR_D(&rgb_info) = GST_VIDEO_INFO_PAR_D(info);
  GstVideoInfo yuv_info = *info;
  // No dithering: it would add noise to pixels the heatmap leaves alone.
  auto config = [] {
    return gst_structure_new("GstVideoConverter", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
                             GST_VIDEO_DITHER_NONE, nullptr);
  };
  to_rgb_ = gst_video_converter_new(&yuv_info, &rgb_info, config());
  from_rgb_ = gst_video_converter_new(&rgb_info, &yuv_info, config());
  rgb_buffer_ = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb_info), nullptr);
  const bool mapped =
      rgb_buffer_ && to_rgb_ && from_rgb_ && gst_video_frame_map(&rgb_frame_, &rgb_info, rgb_buffer_, GST_MAP_READWRITE);
  if (!mapped) {
    if (rgb_buffer_) gst_buffer_unref(rgb_buffer_);
    rgb_buffer_ = nullptr;  // release_scratch() would unmap it
    release_scratch();
    throw scorecam::Error("cannot convert " + std::string(gst_video_format_to_string(format)) + " to RGB");
  }
  layout_ = scorecam::PixelLayout::RGB;
}

scorecam::ImageView ScoreCamOverlayImpl::rgb_view(GstVideoFrame* frame) {
  if (!to_rgb_) return view_of(frame, layout_);
  gst_video_converter_frame(to_rgb_, frame, &rgb_frame_);
  return view_of(&rgb_frame_, layout_);
}

std::shared_ptr<const Heatmap> ScoreCamOverlayImpl::explain(const scorecam::ImageView& view, GstClockTime pts,
                                                           uint64_t epoch) {
  std::lock_guard<std::mutex> engine(engine_lock_);
  if (!explainer_) return nullptr;  // stopped meanwhile
  std::optional<Settings> changed;  // the settings, when the explainer is older than them
  {
    std::lock_guard<std::mutex> lock(settings_lock_);
    if (settings_.explainer_revision != explainer_revision_) changed = settings_;
  }
  if (changed) {
    if (changed->target_class >= model_->num_classes()) {
      GST_ELEMENT_WARNING(element_, LIBRARY, SETTINGS,
                          ("target-class %d is out of range: the model has %d classes; explaining the "
                           "predicted class instead", changed->target_class, model_->num_classes()),
                          (nullptr));
      changed->target_class = -1;
    }
    explainer_ = make_explainer(*changed);
    explainer_revision_ = changed->explainer_revision;
  }
  bool reset;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (epoch != epoch_) return nullptr;
    reset = std::exchange(reset_pending_, false);
  }
  if (reset) explainer_->reset();

  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  auto heat = std::make_shared<Heatmap>();
  heat->result = explainer_->process(view);
  heat->result.map = heat->result.map.to(torch::kCPU, torch::kFloat).contiguous();
  heat->target_label = model_->label(heat->result.target_class);
  heat->source_pts = pts;
  const GstClockTime elapsed =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  if (heat->result.top.empty()) throw scorecam::Error("the explainer returned no classification");

  bool latency_grew = false;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (epoch != epoch_) return nullptr;
    latest_ = heat;
    ++explained_frames_;
    // Tell the pipeline when frames take clearly longer than the latency it was told about.
    if (!async_ && elapsed > latency_ + latency_ / 4) {
      latency_ = elapsed;
      latency_grew = true;
    }
  }
  if (latency_grew) {
    GST_INFO_OBJECT(element_, "explanation took %" GST_TIME_FORMAT ", more than the reported latency",
                    GST_TIME_ARGS(elapsed));
    gst_element_post_message(GST_ELEMENT(element_), gst_message_new_latency(GST_OBJECT(element_)));
  }
  return heat;
}

void ScoreCamOverlayImpl::queue(const scorecam::ImageView& view, GstClockTime pts, uint64_t epoch) {
  Job job;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    job.pixels = std::move(spare_);
  }
  const size_t row = static_cast<size_t>(view.width) * scorecam::bytes_per_pixel(view.layout);
  job.pixels.resize(row * view.height);
  for (int y = 0; y < view.height; ++y) std::memcpy(job.pixels.data() + y * row, view.data + y * view.stride, row);
  job.view = {job.pixels.data(), view.width, view.height, row, view.layout};
  job.pts = pts;
  job.epoch = epoch;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (pending_) {
      ++dropped_work_;
      spare_ = std::move(pending_->pixels);
    }
    pending_ = std::move(job);
  }
  work_ready_.notify_one();
}

void ScoreCamOverlayImpl::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(state_lock_);
      work_ready_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) return;
      job = std::move(*pending_);
      pending_.reset();
    }
    try {
      explain(job.view, job.pts, job.epoch);
    } catch (const std::exception& e) {
      fail(e.what());
      return;
    } catch (...) {
      fail("unknown error");
      return;
    }
    std::lock_guard<std::mutex> lock(state_lock_);
    spare_ = std::move(job.pixels);
  }
}

// An error on the worker: posted at once, and the streaming thread stops at its next frame.
void ScoreCamOverlayImpl::fail(const char* what) {
  GST_ELEMENT_ERROR(element_, STREAM, FAILED, ("Score-CAM failed: %s", what), (nullptr));
  std::lock_guard<std::mutex> lock(state_lock_);
  failed_ = true;
}

void ScoreCamOverlayImpl::flush() {
  std::lock_guard<std::mutex> lock(state_lock_);
  ++epoch_;
  pending_.reset();
  latest_.reset();
  reset_pending_ = true;
}

void ScoreCamOverlayImpl::drop_pending() {
  std::lock_guard<std::mutex> lock(state_lock_);
  pending_.reset();
}

GstClockTime ScoreCamOverlayImpl::latency() {
  std::lock_guard<std::mutex> lock(state_lock_);
  return async_ ? 0 : latency_;
}

void ScoreCamOverlayImpl::draw(scorecam::ImageView& view, const std::shared_ptr<const Heatmap>& heat,
                               const Settings& s) {
  // In async mode one heatmap serves many frames: resize it once per frame size.
  if (resized_for_ != heat || resized_map_.size(0) != view.height || resized_map_.size(1) != view.width) {
    resized_map_ = scorecam::resize_map(heat->result.map, view.height, view.width);
    resized_for_ = heat;
  }
  scorecam::blend_heatmap(view, resized_map_, s.overlay);
  if (s.show_label) scorecam::draw_caption(view, caption(*heat));
}

void ScoreCamOverlayImpl::attach(GstBuffer* buffer, const Heatmap& heat, int width, int height, bool post_message) {
  const scorecam::ClassScore& best = heat.result.top.front();
  GstVideoRegionOfInterestMeta* roi =
      gst_buffer_add_video_region_of_interest_meta(buffer, "scorecam", 0, 0, width, height);
  gst_video_region_of_interest_meta_add_param(roi, classification_structure("classification", best));
  const torch::Tensor& map = heat.result.map;
  gst_buffer_add_scorecam_meta(buffer, map.size(1), map.size(0), map.data_ptr<float>(), heat.source_pts,
                               heat.result.target_class);
  if (!post_message) return;
  GstStructure* s = classification_structure("scorecam", best);
  gst_structure_set(s, "timestamp", G_TYPE_UINT64, GST_BUFFER_PTS(buffer), "source-timestamp", G_TYPE_UINT64,
                    heat.source_pts, "target-class", G_TYPE_INT, heat.result.target_class, "refreshed",
                    G_TYPE_BOOLEAN, heat.result.refreshed, "forward-passes", G_TYPE_INT, heat.result.forward_passes,
                    nullptr);
  gst_element_post_message(GST_ELEMENT(element_), gst_message_new_element(GST_OBJECT(element_), s));
}

GstFlowReturn ScoreCamOverlayImpl::transform(GstVideoFrame* frame) {
  GstBuffer* buffer = frame->buffer;
  uint64_t epoch;
  bool async;
  {
    std::lock_guard<std::mutex> lock(state_lock_);
    if (failed_) return GST_FLOW_ERROR;
    // A discontinuity: what was learnt from the frames before says nothing about the next ones.
    if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT)) reset_pending_ = true;
    epoch = epoch_;
    async = async_;
  }
  scorecam::ImageView view = rgb_view(frame);
  std::shared_ptr<const Heatmap> heat;
  if (async) {
    queue(view, GST_BUFFER_PTS(buffer), epoch);
    std::lock_guard<std::mutex> lock(state_lock_);
    heat = latest_;
  } else {
    heat = explain(view, GST_BUFFER_PTS(buffer), epoch);
  }
  if (!heat) return GST_FLOW_OK;  // async: nothing finished yet, the frame leaves untouched

  const Settings s = settings();
  draw(view, heat, s);
  if (from_rgb_) gst_video_converter_frame(from_rgb_, &rgb_frame_, frame);
  attach(buffer, *heat, view.width, view.height, s.post_messages);
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
  try {
    return body(GST_SCORECAM_OVERLAY(element)->impl);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(element, STREAM, FAILED, ("%s", e.what()), (nullptr));
  } catch (...) {
    GST_ELEMENT_ERROR(element, STREAM, FAILED, ("unknown error"), (nullptr));
  }
  return on_error;
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
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) impl->drop_pending();
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

GstFlowReturn transform_frame_ip(GstVideoFilter* filter, GstVideoFrame* frame) {
  return guarded(filter, GST_FLOW_ERROR, [frame](ScoreCamOverlayImpl* impl) { return impl->transform(frame); });
}

constexpr GParamFlags kReady =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
constexpr GParamFlags kPlaying =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
constexpr GParamFlags kReadOnly = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

void install_properties(GObjectClass* klass) {
  const Settings defaults;
  auto install = [klass](guint id, GParamSpec* pspec) { g_object_class_install_property(klass, id, pspec); };

  install(PROP_MODEL_LOCATION,
          g_param_spec_string("model-location", "Model location",
                              "TorchScript classifier (.pt), by default the bundled fashion model; the JSON sidecar "
                              "of the same name beside it is read too",
                              defaults.model_location.c_str(), kReady));
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
                                           defaults.device.c_str(), kReady));
  install(PROP_PRECISION,
          g_param_spec_enum("precision", "Precision", "Numeric precision of the model (fp16 and bf16 need CUDA)",
                            precision_get_type(), static_cast<gint>(defaults.precision), kReady));
  install(PROP_ASYNC,
          g_param_spec_boolean("async", "Asynchronous",
                               "Let each frame through at once, blended with the newest finished heatmap, while a "
                               "worker thread explains the newest frame (for live sources and slow models)",
                               defaults.async, kReady));
  install(PROP_TARGET_CLASS,
          g_param_spec_int("target-class", "Target class",
                           "Class whose evidence the heatmap shows (-1: each frame's predicted class)", -1,
                           G_MAXINT, defaults.target_class, kPlaying));
  install(PROP_SCORE_MODE,
          g_param_spec_enum("score-mode", "Score mode", "How the score of a masked input becomes a channel weight",
                            score_mode_get_type(), static_cast<gint>(defaults.score_cam.score_mode), kPlaying));
  install(PROP_BATCH_SIZE,
          g_param_spec_int("batch-size", "Batch size", "Masked inputs per forward pass", 1, 4096,
                           defaults.score_cam.batch_size, kPlaying));
  install(PROP_MAX_CHANNELS,
          g_param_spec_int("max-channels", "Max channels",
                           "Evaluate at most this many channels of the target layer, chosen by "
                           "channel-selection (0: all)",
                           0, G_MAXINT, defaults.score_cam.max_channels, kPlaying));
  install(PROP_CHANNEL_SELECTION,
          g_param_spec_enum("channel-selection", "Channel selection",
                            "Which channels to evaluate when max-channels limits them", channel_selection_get_type(),
                            static_cast<gint>(defaults.score_cam.selection), kPlaying));
  install(PROP_REFRESH_INTERVAL,
          g_param_spec_int("refresh-interval", "Refresh interval",
                           "Recompute the channel weights every N frames and reuse them in between (1: full "
                           "Score-CAM on every frame)",
                           1, 100000, defaults.reuse.refresh_interval, kPlaying));
  install(PROP_ROLLING,
          g_param_spec_boolean("rolling", "Rolling refresh",
                               "Spread each refresh over refresh-interval frames, 1/N of the channels per frame, "
                               "instead of all at once (no latency spikes)",
                               defaults.reuse.rolling, kPlaying));
  install(PROP_DRIFT_THRESHOLD,
          g_param_spec_double("drift-threshold", "Drift threshold",
                              "Relative L2 change of the activations since the last refresh that forces a "
                              "refresh (0: off)",
                              0.0, 100.0, defaults.reuse.drift_threshold, kPlaying));
  install(PROP_SMOOTHING,
          g_param_spec_double("smoothing", "Smoothing",
                              "Weight of the previous heatmap in an exponential moving average (0: off)", 0.0, 0.99,
                              defaults.reuse.smoothing, kPlaying));
  install(PROP_ALPHA, g_param_spec_double("alpha", "Alpha", "Opacity of the heatmap where it is drawn", 0.0, 1.0,
                                          defaults.overlay.alpha, kPlaying));
  install(PROP_COLORMAP, g_param_spec_enum("colormap", "Colormap", "Colours of the heatmap", colormap_get_type(),
                                           static_cast<gint>(defaults.overlay.colormap), kPlaying));
  install(PROP_THRESHOLD,
          g_param_spec_double("threshold", "Threshold", "Saliency below this leaves the pixel untouched", 0.0, 1.0,
                              defaults.overlay.threshold, kPlaying));
  install(PROP_SHOW_LABEL,
          g_param_spec_boolean("show-label", "Show label",
                               "Draw the predicted class and its confidence in the top-left corner",
                               defaults.show_label, kPlaying));
  install(PROP_POST_MESSAGES,
          g_param_spec_boolean("post-messages", "Post messages",
                               "Post a \"scorecam\" element message on the bus for every frame that carries a "
                               "heatmap",
                               defaults.post_messages, kPlaying));
  install(PROP_DROPPED_WORK,
          g_param_spec_uint64("dropped-work", "Dropped work",
                              "Async mode: frames not explained because a newer frame replaced them in the queue",
                              0, G_MAXUINT64, 0, kReadOnly));
  install(PROP_EXPLAINED_FRAMES,
          g_param_spec_uint64("explained-frames", "Explained frames", "Frames explained since the element started",
                              0, G_MAXUINT64, 0, kReadOnly));
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
      GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBA, BGRA, RGBx, BGRx, NV12, I420 }")));
  static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
      "src", GST_PAD_SRC, GST_PAD_ALWAYS,
      GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE("{ RGB, BGR, RGBA, BGRA, RGBx, BGRx, NV12, I420 }")));
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  trans_class->start = start;
  trans_class->stop = stop;
  trans_class->sink_event = sink_event;
  trans_class->query = query;

  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  filter_class->set_info = set_info;
  filter_class->transform_frame_ip = transform_frame_ip;

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
