#pragma once
// What a running camera shows the rest of the process: its state (connected, reconnecting and
// since when, stopped, ended), its counters across all its connections, its last error and its
// segment in progress, and its newest explained frame (camera/newest_frame.h), for the API, the
// metrics and the status page (camera/camera_api.h, camera/camera_metrics.h).
// The camera's thread and its pipeline's streaming thread write it; any thread reads a snapshot.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "camera/latency_window.h"
#include "camera/newest_frame.h"

namespace scorecam::camera {

enum class CameraState {
  kConnecting,    // its first connection, no frame yet
  kConnected,     // frames are coming in
  kReconnecting,  // lost: connecting again (since the loss)
  kStopped,       // a stop was asked for, or it was removed: its segments are finished
  kEnded,         // it failed, or gave up reconnecting
};

const char* state_name(CameraState state);

// The model a camera's element uses, as the element reports it.
struct ModelUse {
  std::string location, device, precision;
  bool shared = true;  // share-model: one copy for every element that loads it alike
  unsigned users = 0;
  uint64_t passes = 0, requests = 0;  // of the model, for every element using it
};

// What an element of one connection has counted so far.
struct ElementCounts {
  uint64_t explained = 0, dropped = 0;
  ModelUse model;
};

struct CameraSnapshot {
  std::string name;
  std::string url;  // its password redacted
  CameraState state = CameraState::kConnecting;
  std::chrono::system_clock::time_point since;  // when it entered `state`
  std::chrono::system_clock::time_point added;
  int connection = 0;  // the number of its connection in progress, or of its last
  uint64_t frames_in = 0, explained = 0, dropped = 0, reconnections = 0, segments = 0;
  double seconds_since_frame = 0;  // since its last frame, or since it was added before the first
  std::string last_error;          // empty: none yet
  std::chrono::system_clock::time_point last_error_at;
  std::string segment;  // the segment in progress (its partial file), or empty
  double latency_p50 = 0, latency_p90 = 0, latency_p99 = 0;  // seconds; NaN before the first map
  double latency_sum = 0;
  uint64_t latency_count = 0;
  std::optional<ModelUse> model;  // once its element has run
  std::shared_ptr<const ExplainedFrame> newest_frame;  // null before the first; kept while it reconnects
};

class CameraStats {
 public:
  CameraStats(std::string name, const std::string& url);

  // The camera's thread, about its connections.
  void connecting(int number);  // keeps kReconnecting (and its start) while the camera is away
  void connected();             // its frames are coming in
  void lost(const std::string& reason);  // reconnecting from now, unless it already was
  void ended(const std::string& reason);
  void stopped();
  // The element's counts of the connection in progress; connection_done() adds them to the totals.
  void element_counts(const ElementCounts& counts);
  void connection_done();
  void error(const std::string& message);  // also the last error, without a change of state
  void segment_opened(const std::string& partial);
  void segment_finished();

  // Any thread.
  void frame_in();  // the streaming thread, for each frame reaching the element
  void map_latency(double seconds);  // each new map's
  // The streaming thread, for each frame leaving the element through `pad`.
  void frame_out(GstPad* pad, GstBuffer* buffer) { newest_frame_.offer(pad, buffer); }

  CameraSnapshot snapshot() const;

 private:
  using Clock = std::chrono::steady_clock;
  void enter(CameraState state);

  mutable std::mutex lock_;
  CameraSnapshot s_;                           // the counters without the connection in progress'
  ElementCounts current_;                      // the connection in progress' element's
  std::optional<Clock::time_point> last_frame_;
  Clock::time_point added_ = Clock::now();
  LatencyWindow latencies_;
  NewestFrame newest_frame_;  // locked on its own: the streaming thread never waits for a reader's copy
};

}  // namespace scorecam::camera
