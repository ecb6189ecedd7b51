#include "camera/connection.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "camera/camera_log.h"
#include "overlay_app.h"

namespace scorecam::camera {
namespace {

// The model the element loads, as its properties say.
ModelUse model_use(GstElement* overlay) {
  gchar *location = nullptr, *device = nullptr;
  gboolean shared = TRUE;
  g_object_get(overlay, "model-location", &location, "device", &device, "share-model", &shared, nullptr);
  GValue precision = G_VALUE_INIT;
  g_value_init(&precision, g_object_class_find_property(G_OBJECT_GET_CLASS(overlay), "precision")->value_type);
  g_object_get_property(G_OBJECT(overlay), "precision", &precision);
  gchar* precision_name = gst_value_serialize(&precision);  // the enum's nick: "auto", "fp32", ...
  ModelUse model;
  model.location = location ? location : "";
  model.device = device ? device : "";
  model.precision = precision_name ? precision_name : "";
  model.shared = shared;
  g_free(location);
  g_free(device);
  g_free(precision_name);
  g_value_unset(&precision);
  return model;
}

}  // namespace

Connection::Connection(const RunnerOptions& options, const CameraSpec& camera, SegmentNames& names, int number,
                       std::string served, const CameraStop& stop, CameraStats& stats)
    : options_(options),
      camera_(camera),
      names_(names),
      number_(number),
      served_(std::move(served)),
      stop_(stop),
      stats_(stats) {}

Connection::~Connection() {
  if (!pipeline_) return;
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  for (GstElement* element : {overlay_, entry_, source_, decoder_, segments_})
    if (element) gst_object_unref(element);
  if (bus_) gst_object_unref(bus_);
  gst_object_unref(pipeline_);
}

bool Connection::build() {
  std::string description = "rtspsrc name=source ! decodebin name=decoder ! queue name=entry ! videoconvert ! "
                            "scorecamoverlay name=overlay async=true post-messages=true ! ";
  std::vector<std::string> outputs;
  if (!options_.display.empty()) outputs.push_back("videoconvert ! " + options_.display);
  if (!camera_.directory.empty())
    outputs.push_back("videoconvert ! " + options_.encoder + " ! splitmuxsink name=segments send-keyframe-requests=true");
  if (!served_.empty()) outputs.push_back(served_);
  if (outputs.size() == 1) {
    description += outputs.front();
  } else {
    description += "tee name=split";
    for (const auto& output : outputs) description += " split. ! queue ! " + output;
  }
  const std::string program = camera_.program();
  pipeline_ = app::launch(description, program.c_str());
  if (!pipeline_) return false;
  bus_ = gst_element_get_bus(pipeline_);
  source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "source");
  decoder_ = gst_bin_get_by_name(GST_BIN(pipeline_), "decoder");
  entry_ = gst_bin_get_by_name(GST_BIN(pipeline_), "entry");
  overlay_ = gst_bin_get_by_name(GST_BIN(pipeline_), "overlay");
  GstPad* frames_in = gst_element_get_static_pad(overlay_, "sink");
  gst_pad_add_probe(frames_in, GST_PAD_PROBE_TYPE_BUFFER, &Connection::on_frame, this, nullptr);
  gst_object_unref(frames_in);
  GstPad* frames_out = gst_element_get_static_pad(overlay_, "src");
  gst_pad_add_probe(frames_out, GST_PAD_PROBE_TYPE_BUFFER, &Connection::on_explained_frame, this, nullptr);
  gst_object_unref(frames_out);
  // Set as properties, not in the description, so that any URL and file name works.
  const auto& source = camera_.source;
  g_object_set(source_, "location", source.location.c_str(), "latency", options_.latency_ms, nullptr);
  if (!source.user.empty())
    g_object_set(source_, "user-id", source.user.c_str(), "user-pw", source.password.c_str(), nullptr);
  if (options_.tcp) gst_util_set_object_arg(G_OBJECT(source_), "protocols", "tcp");
  segments_ = gst_bin_get_by_name(GST_BIN(pipeline_), "segments");
  if (segments_) {
    g_object_set(segments_, "max-size-time", static_cast<guint64>(options_.segment_seconds * GST_SECOND), nullptr);
    g_signal_connect(segments_, "format-location", G_CALLBACK(&Connection::on_format_location), this);
    // The muxer's own end of stream tells when its last segment is written, also while the
    // camera side (which may hold sinks of its own) never ends.
    g_object_set(pipeline_, "message-forward", TRUE, nullptr);
  }
  if (!app::set_overlay_properties(overlay_, camera_.properties, program.c_str())) return false;
  model_ = model_use(overlay_);
  return true;
}

Outcome Connection::run() {
  gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  last_frame_ns_ = Clock::now().time_since_epoch().count();  // loading the model is no stall
  Outcome outcome = watch();
  if (!finish_segments() && outcome != Outcome::kStopped) outcome = Outcome::kFailed;
  report_element_counts();  // the last: a stopped element counts nothing
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  stats_.connection_done();
  remove_unopened();
  return outcome;
}

// Read on the camera's thread, never by whoever reads the stats: the element may be gone by then.
void Connection::report_element_counts() {
  ElementCounts counts;
  counts.model = model_;
  guint users = 0;
  g_object_get(overlay_, "explained-frames", &counts.explained, "dropped-work", &counts.dropped, "model-users", &users,
               "model-passes", &counts.model.passes, "model-requests", &counts.model.requests, nullptr);
  counts.model.users = users;
  stats_.element_counts(counts);
}

// Every frame that reaches the element counts as the camera alive, heatmap or not (in async
// mode the first ones pass before the model has explained any), and has a record. Called by the
// streaming thread.
GstPadProbeReturn Connection::on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Connection*>(data);
  self->last_frame_ns_ = Clock::now().time_since_epoch().count();
  ++self->frames_;
  self->stats_.frame_in();
  GstEvent* event = self->segments_ ? gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0) : nullptr;
  if (event) {
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(event, &segment);
    // As the element times its results (its base transform's segment is this one).
    self->results_.add_frame(
        gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info))));
    gst_event_unref(event);
  }
  return GST_PAD_PROBE_OK;
}

// Each frame leaving the element, for the camera's snapshot (which keeps at most two a second).
// Called by the streaming thread.
GstPadProbeReturn Connection::on_explained_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  static_cast<Connection*>(data)->stats_.frame_out(pad, GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

// Called by the muxer's streaming thread.
gchar* Connection::on_format_location(GstElement*, guint, gpointer data) {
  auto* self = static_cast<Connection*>(data);
  std::lock_guard<std::mutex> lock(self->named_mutex_);
  self->named_.push_back(self->names_.next_partial_video());
  return g_strdup(self->named_.back().c_str());
}

// Whether the error is the camera's (its connection or its stream), which reconnecting may cure.
bool Connection::from_camera(GstMessage* message) const {
  GstObject* origin = GST_MESSAGE_SRC(message);
  for (GstElement* element : {source_, decoder_})
    if (origin == GST_OBJECT(element) || gst_object_has_as_ancestor(origin, GST_OBJECT(element))) return true;
  return false;
}

Outcome Connection::watch() {
  for (;;) {
    if (stop_.requested()) return Outcome::kStopped;
    if (frames_ > 0 && !announced_) {
      log(camera_.who(), "connection %d: frames are coming in", number_);
      stats_.connected();
      announced_ = true;
    }
    report_element_counts();
    const double quiet =
        std::chrono::duration<double>(Clock::now() - Clock::time_point(Clock::duration(last_frame_ns_))).count();
    if (quiet > options_.stall_seconds) {
      reason_ = "no frame for " + std::to_string(static_cast<int>(quiet)) + " s";
      return Outcome::kLost;
    }
    GstMessage* message = gst_bus_timed_pop(bus_, GST_SECOND / 10);
    if (!message) continue;
    std::optional<Outcome> outcome = handle(message);
    gst_message_unref(message);
    if (outcome) return *outcome;
  }
}

std::optional<Outcome> Connection::handle(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ELEMENT:
      on_element_message(message);
      return std::nullopt;
    case GST_MESSAGE_ERROR:
      // The camera's errors recur at every outage: one line each. Others end the camera: all details.
      reason_ = app::error_text(message, !from_camera(message));
      return from_camera(message) ? Outcome::kLost : Outcome::kFailed;
    case GST_MESSAGE_EOS:
      recording_ended_ = true;
      reason_ = "the camera ended the stream";
      return Outcome::kLost;
    default:
      return std::nullopt;
  }
}

void Connection::on_element_message(GstMessage* message) {
  const GstStructure* s = gst_message_get_structure(message);
  if (gst_structure_has_name(s, "GstBinForwarded")) {
    GstMessage* forwarded = nullptr;
    gst_structure_get(s, "message", GST_TYPE_MESSAGE, &forwarded, nullptr);
    if (GST_MESSAGE_TYPE(forwarded) == GST_MESSAGE_EOS && GST_MESSAGE_SRC(forwarded) == GST_OBJECT(segments_))
      recording_ended_ = true;
    gst_message_unref(forwarded);
    return;
  }
  if (const auto result = app::frame_result(message, overlay_)) {
    if (segments_) results_.add_result(*result);  // records are kept only for a recording
    // Each frame that carries a map posts it: its latency counts once.
    if (result->source_timestamp != last_map_ && GST_CLOCK_TIME_IS_VALID(result->latency))
      stats_.map_latency(static_cast<double>(result->latency) / GST_SECOND);
    last_map_ = result->source_timestamp;
  } else if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
    ++open_segments_;
    opened_.push_back(gst_structure_get_string(s, "location"));
    stats_.segment_opened(opened_.back());
    // The previous segment ends where this one starts (a closing message's own time, at the end
    // of a stream, can leave out the last frame).
    guint64 start = GST_CLOCK_TIME_NONE;
    gst_structure_get_uint64(s, "running-time", &start);
    if (!closed_.empty()) publish(std::exchange(closed_, ""), start);
    segment_start_ = start;
  } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
    --open_segments_;
    closed_ = gst_structure_get_string(s, "location");
  }
}

// A finished segment: its results are written, then both files get their final names.
void Connection::publish(const std::string& partial_video, GstClockTime end) {
  const std::string video = final_name(partial_video, ".mp4");
  std::string error;
  const long frames = results_.write_until(segment_start_, end, final_name(partial_video, ".jsonl"), number_, error);
  if (frames < 0) {
    log(camera_.who(), "%s", error.c_str());
    stats_.error(error);
    publish_failed_ = true;
  } else if (std::rename(partial_video.c_str(), video.c_str()) != 0) {
    error = "cannot rename " + partial_video + " to " + video + ": " + std::strerror(errno);
    log(camera_.who(), "%s", error.c_str());
    stats_.error(error);
    publish_failed_ = true;
  } else {
    ++finished_segments_;
    stats_.segment_finished();
    log(camera_.who(), "%s: %ld frame%s", video.c_str(), frames, frames == 1 ? "" : "s");
  }
}

// Ends the stream at the entry of the element (the camera side may be gone or still pushing)
// and waits until the muxer has written the frames that passed the element; a segment it could
// not finish stays under its partial name. False if a finished one could not be written.
bool Connection::finish_segments() {
  GstPad* entry = gst_element_get_static_pad(entry_, "sink");
  gst_pad_send_event(entry, gst_event_new_eos());
  gst_object_unref(entry);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (segments_ && frames_ > 0 && !recording_ended_ && Clock::now() < deadline) {
    GstMessage* message = gst_bus_timed_pop(bus_, GST_SECOND / 10);
    if (!message) continue;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT) on_element_message(message);
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR && !from_camera(message)) {
      const std::string error = "cannot finish the segment in progress: " + app::error_text(message);
      log(camera_.who(), "%s", error.c_str());
      stats_.error(error);
      gst_message_unref(message);
      return false;
    }
    gst_message_unref(message);
  }
  if (!closed_.empty()) publish(std::exchange(closed_, ""), GST_CLOCK_TIME_NONE);
  if (open_segments_ > 0 || (segments_ && frames_ > 0 && !recording_ended_)) {
    const std::string error = "the recording did not finish within 10 s; the segment in progress stays a .partial.mp4";
    log(camera_.who(), "%s", error.c_str());
    stats_.error(error);
  }
  return !publish_failed_;
}

// The muxer names (and creates) a segment's file before it has a frame for it, also when it
// stops; such a file stays empty, and it is no recording.
void Connection::remove_unopened() {
  std::lock_guard<std::mutex> lock(named_mutex_);
  // Newest first, so that every number given back is the last one handed out.
  for (auto name = named_.rbegin(); name != named_.rend(); ++name) {
    if (std::find(opened_.begin(), opened_.end(), *name) != opened_.end()) continue;
    std::remove(name->c_str());
    names_.give_back(*name);
  }
}

}  // namespace scorecam::camera
