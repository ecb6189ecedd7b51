#pragma once
// One connection to one camera: its pipeline rtspsrc ! decodebin ! scorecamoverlay (async) !
// encoder ! splitmuxsink (and a display, and the re-serve's branch), and what it recorded, until
// the camera is lost, a stop is asked for or something that is not the camera's fails. It touches
// nothing of any other camera: each has its own pipeline, bus and files. What it counts, and the
// frames leaving the element (for the camera's snapshot), go into the camera's CameraStats.
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "camera/camera_options.h"
#include "camera/camera_stats.h"
#include "camera/camera_stop.h"
#include "camera/segments.h"

namespace scorecam::camera {

enum class Outcome {
  kStopped,  // a stop was asked for
  kLost,     // the camera's error, its end of stream, or no frame for --stall-seconds: reconnect
  kFailed,   // an error that is not the camera's (the element, the model, the disk): reason() says
};

class Connection {
 public:
  // `served`: the branch that feeds an RtspReserver, or empty. `number` counts the camera's
  // connections from 1 (the records' "connection").
  Connection(const RunnerOptions& options, const CameraSpec& camera, SegmentNames& names, int number,
             std::string served, const CameraStop& stop, CameraStats& stats);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Builds the pipeline; false (with a message) when it cannot be built.
  bool build();

  // Runs until the camera is lost, a stop is asked for or something fails; then finishes the
  // segment in progress.
  Outcome run();

  const std::string& reason() const { return reason_; }
  long frames() const { return frames_.load(); }
  long segments() const { return finished_segments_; }

 private:
  using Clock = std::chrono::steady_clock;

  static GstPadProbeReturn on_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_explained_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static gchar* on_format_location(GstElement*, guint, gpointer data);
  bool from_camera(GstMessage* message) const;
  Outcome watch();
  std::optional<Outcome> handle(GstMessage* message);
  void on_element_message(GstMessage* message);
  void publish(const std::string& partial_video, GstClockTime end);
  bool finish_segments();
  void remove_unopened();
  void report_element_counts();

  const RunnerOptions& options_;
  const CameraSpec& camera_;
  SegmentNames& names_;
  const int number_;
  const std::string served_;
  const CameraStop& stop_;
  CameraStats& stats_;
  ModelUse model_;  // what the element loads, read once it is built
  GstClockTime last_map_ = GST_CLOCK_TIME_NONE;  // the source timestamp of the newest map: a new one has another
  GstElement *pipeline_ = nullptr, *source_ = nullptr, *decoder_ = nullptr, *entry_ = nullptr, *overlay_ = nullptr,
             *segments_ = nullptr;
  GstBus* bus_ = nullptr;
  PendingResults results_;
  std::atomic<Clock::rep> last_frame_ns_{Clock::now().time_since_epoch().count()};
  std::atomic<long> frames_{0};
  bool announced_ = false;
  std::string reason_;
  long finished_segments_ = 0;
  int open_segments_ = 0;
  std::mutex named_mutex_;
  std::vector<std::string> named_;   // every file name handed to the muxer
  std::vector<std::string> opened_;  // those it wrote a segment into
  std::string closed_;               // the segment closed last, until the next one's start is known
  GstClockTime segment_start_ = 0;   // the running time of the first frame of the segment opened last
  bool recording_ended_ = false, publish_failed_ = false;
};

}  // namespace scorecam::camera
