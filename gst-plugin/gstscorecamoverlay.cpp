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
#include <string>
#include <utility>

#include <gst/video/video.h>

#include "element_glue.h"
#include "gstscorecammeta-impl.h"
#include "heatmap_overlay.h"
#include "model_view.h"
#include "overlay_properties.h"
#include "result_codec.h"
#include "scorecam/device.h"
#include "scorecam/error.h"
#include "scorecam/model.h"
#include "scorecam/model_pool.h"
#include "scorecam/stream_explainer.h"
#include "scorecam/target_class.h"

GST_DEBUG_CATEGORY_STATIC(gst_scorecam_overlay_debug);
#define GST_CAT_DEFAULT gst_scorecam_overlay_debug

using namespace scorecam_gst;

namespace {

// What the metadata and the messages say of a result. Without a finite output there is no class.
scorecam_gst::Classification classification_in(const scorecam::FrameResult& result) {
  if (!result.valid) return {false, -1, "", 0};
  const scorecam::ClassScore& best = result.top.front();
  return {true, best.class_id, best.label, static_cast<double>(best.probability)};
}

// model-location is empty: set so by hand, or by default where there is no bundled model.
std::string no_model_message() {
  const std::string bundled = scorecam::bundled_model_path();
  if (bundled.empty())
    return "no model: set model-location to a TorchScript classifier (.pt); the bundled "
           "models/fashion_scenes.pt is neither installed nor in the source tree";
  return "model-location is empty: set it to a TorchScript classifier (.pt), or leave it unset for the bundled "
         "model " + bundled;
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
  void sink_event(GstEvent* event);
  GstClockTime latency();

 private:
  void flush();
  void end_of_stream();
  std::shared_ptr<scorecam::StreamExplainer> stream();
  scorecam::StreamEvents events();
  void draw(GstVideoFrame* frame, const std::shared_ptr<const scorecam::Heatmap>& heat, const DrawSettings& draw);
  void attach(GstBuffer* buffer, const scorecam::Heatmap& heat, int width, int height, bool post_message);

  GstScoreCamOverlay* element_;

  LockedSettings<Settings> settings_;

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

std::shared_ptr<scorecam::StreamExplainer> ScoreCamOverlayImpl::stream() {
  std::lock_guard<std::mutex> lock(stream_lock_);
  return stream_;
}

void ScoreCamOverlayImpl::set_property(guint id, const GValue* value, GParamSpec* pspec) {
  if ((pspec->flags & GST_PARAM_MUTABLE_READY) && stream()) {
    scorecam_gst::warn_changeable_only_when_stopped(GST_ELEMENT(element_), pspec);
    return;
  }
  if (!settings_.change([&](Settings& s) { return set_setting(s, id, value); }))
    G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
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
  if (id == PROP_MODEL_PASSES || id == PROP_MODEL_REQUESTS) {
    const auto running = stream();
    const scorecam::PassCounts counts = running ? running->model().pass_counts() : scorecam::PassCounts{};
    g_value_set_uint64(value, id == PROP_MODEL_PASSES ? counts.passes : counts.requests);
    return;
  }
  if (!get_setting(settings_.copy(), id, value)) G_OBJECT_WARN_INVALID_PROPERTY_ID(element_, id, pspec);
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
  const Settings s = settings_.copy();
  const ModelSettings& m = s.model;
  try {
    if (m.model_location.empty()) throw scorecam::Error(no_model_message());
    scorecam::ModelOptions options;
    options.config_path = m.config_location;
    options.labels_path = m.labels_location;
    options.target_layer = m.target_layer;
    options.device = m.device;
    options.precision = scorecam::precision_name(m.precision);
    options.parallel_passes = m.parallel_passes;
    options.choice_cache_dir = scorecam::default_choice_cache_dir();
    std::shared_ptr<scorecam::Model> model = m.share_model
                                                 ? scorecam::ModelPool::process().acquire(m.model_location, options)
                                                 : scorecam::Model::load(m.model_location, options);
    const int classes = model->num_classes();
    // Before the latency is estimated, and naming the property.
    if (const auto problem = scorecam::target_class_problem(s.explainer.target_class, classes))
      throw scorecam::Error("target-class: " + *problem);
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

void ScoreCamOverlayImpl::sink_event(GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) flush();
  // The frames have all left: work still queued would explain nothing anyone sees.
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) end_of_stream();
}

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
                                 heat.result.target_class, heat.result.refresh_period);
  }
  if (!post_message) return;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const GstClockTime running_time =
      gst_segment_to_running_time(&GST_BASE_TRANSFORM(element_)->segment, GST_FORMAT_TIME, pts);
  const scorecam_gst::ResultMessage message{classification, pts, running_time, source_pts, heat.result.target_class,
                                            heat.result.refreshed, heat.result.forward_passes,
                                            heat.result.refresh_period, static_cast<GstClockTime>(heat.latency.count())};
  GstStructure* structure = scorecam_gst::result_message_structure(message);
  gst_element_post_message(GST_ELEMENT(element_), gst_message_new_element(GST_OBJECT(element_), structure));
}


GstFlowReturn ScoreCamOverlayImpl::transform(GstVideoFrame* frame) {
  const auto arrived = std::chrono::steady_clock::now();
  const auto running = stream();
  if (!running || running->failed() || !run_.model_view) return GST_FLOW_ERROR;
  const Settings s = settings_.copy();
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
  // A frame budget covers the whole frame, the drawing as well.
  running->frame_finished(std::chrono::steady_clock::now() - arrived);
  return GST_FLOW_OK;
}


// ---------------------------------------------------------------------------------------------
// GObject and GStreamer glue. No C++ exception may cross into GStreamer: every entry point that
// can throw goes through Hooks::guarded().

G_DEFINE_TYPE(GstScoreCamOverlay, gst_scorecam_overlay, GST_TYPE_VIDEO_FILTER)
GST_ELEMENT_REGISTER_DEFINE(scorecamoverlay, "scorecamoverlay", GST_RANK_NONE, GST_TYPE_SCORECAM_OVERLAY)

namespace {

using Hooks = TransformHooks<GstScoreCamOverlay, ScoreCamOverlayImpl>;

// Adds the element's own latency to upstream's: in sync mode every frame waits for its explanation.
gboolean query(GstBaseTransform* trans, GstPadDirection direction, GstQuery* query) {
  if (direction != GST_PAD_SRC || GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS(gst_scorecam_overlay_parent_class)->query(trans, direction, query);
  if (!gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(trans), query)) return FALSE;
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(query, &live, &min, &max);
  const GstClockTime own = Hooks::impl(trans)->latency();
  GST_DEBUG_OBJECT(trans, "adding latency %" GST_TIME_FORMAT, GST_TIME_ARGS(own));
  gst_query_set_latency(query, live, min + own, GST_CLOCK_TIME_IS_VALID(max) ? max + own : max);
  return TRUE;
}

gboolean set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info, GstCaps*, GstVideoInfo*) {
  return Hooks::guarded(filter, FALSE, [in_info](ScoreCamOverlayImpl* impl) -> gboolean {
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
  Hooks::impl(trans)->set_downstream_draws(draws);
  return TRUE;
}

GstFlowReturn transform_frame_ip(GstVideoFilter* filter, GstVideoFrame* frame) {
  return Hooks::guarded(filter, GST_FLOW_ERROR, [frame](ScoreCamOverlayImpl* impl) { return impl->transform(frame); });
}

}  // namespace

static void gst_scorecam_overlay_class_init(GstScoreCamOverlayClass* klass) {
  GST_DEBUG_CATEGORY_INIT(gst_scorecam_overlay_debug, "scorecamoverlay", 0, "Score-CAM overlay");
  describe_element(GST_ELEMENT_CLASS(klass), "Score-CAM overlay", "Filter/Effect/Video/Analyzer",
                   "Classifies each frame with a TorchScript model and blends the Score-CAM heatmap of the class into "
                   "it. Example: gst-launch-1.0 videotestsrc num-buffers=300 ! videoconvert ! scorecamoverlay ! "
                   "videoconvert ! autovideosink",
                   GST_VIDEO_CAPS_MAKE(GST_VIDEO_OVERLAY_COMPOSITION_BLEND_FORMATS));

  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  Hooks::install(trans_class, install_properties);
  trans_class->query = query;
  trans_class->propose_allocation = propose_allocation;

  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  filter_class->set_info = set_info;
  filter_class->transform_frame_ip = transform_frame_ip;
}

static void gst_scorecam_overlay_init(GstScoreCamOverlay* self) {
  self->impl = new ScoreCamOverlayImpl(self);
  // GstVideoFilter turns QoS on, which drops late frames before they reach the element; this
  // element passes every frame (async mode is the answer to a slow model), so off unless asked for.
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), FALSE);
}
