#include "camera/camera_stats.h"

#include "url_credentials.h"

namespace scorecam::camera {

const char* state_name(CameraState state) {
  switch (state) {
    case CameraState::kConnecting: return "connecting";
    case CameraState::kConnected: return "connected";
    case CameraState::kReconnecting: return "reconnecting";
    case CameraState::kStopped: return "stopped";
    case CameraState::kEnded: return "ended";
  }
  return "unknown";
}

CameraStats::CameraStats(std::string name, const std::string& url) {
  s_.name = std::move(name);
  s_.url = app::redact_credentials(url);
  s_.added = s_.since = std::chrono::system_clock::now();
}

void CameraStats::enter(CameraState state) {
  if (s_.state == state) return;
  s_.state = state;
  s_.since = std::chrono::system_clock::now();
}

void CameraStats::connecting(int number) {
  std::lock_guard<std::mutex> lock(lock_);
  s_.connection = number;
  if (s_.state != CameraState::kReconnecting) enter(CameraState::kConnecting);
}

void CameraStats::connected() {
  std::lock_guard<std::mutex> lock(lock_);
  enter(CameraState::kConnected);
}

void CameraStats::lost(const std::string& reason) {
  std::lock_guard<std::mutex> lock(lock_);
  ++s_.reconnections;
  s_.last_error = app::redact_credentials(reason);
  s_.last_error_at = std::chrono::system_clock::now();
  enter(CameraState::kReconnecting);
}

void CameraStats::ended(const std::string& reason) {
  std::lock_guard<std::mutex> lock(lock_);
  s_.last_error = app::redact_credentials(reason);
  s_.last_error_at = std::chrono::system_clock::now();
  enter(CameraState::kEnded);
}

void CameraStats::stopped() {
  std::lock_guard<std::mutex> lock(lock_);
  enter(CameraState::kStopped);
}

void CameraStats::element_counts(const ElementCounts& counts) {
  std::lock_guard<std::mutex> lock(lock_);
  current_ = counts;
  s_.model = counts.model;
}

void CameraStats::connection_done() {
  std::lock_guard<std::mutex> lock(lock_);
  s_.explained += current_.explained;
  s_.dropped += current_.dropped;
  current_ = ElementCounts{};
  s_.segment.clear();
}

void CameraStats::error(const std::string& message) {
  std::lock_guard<std::mutex> lock(lock_);
  s_.last_error = app::redact_credentials(message);
  s_.last_error_at = std::chrono::system_clock::now();
}

void CameraStats::segment_opened(const std::string& partial) {
  std::lock_guard<std::mutex> lock(lock_);
  s_.segment = partial;
}

void CameraStats::segment_finished() {
  std::lock_guard<std::mutex> lock(lock_);
  ++s_.segments;
}

void CameraStats::frame_in() {
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(lock_);
  ++s_.frames_in;
  last_frame_ = now;
}

void CameraStats::map_latency(double seconds) {
  std::lock_guard<std::mutex> lock(lock_);
  latencies_.add(seconds);
}

CameraSnapshot CameraStats::snapshot() const {
  std::lock_guard<std::mutex> lock(lock_);
  CameraSnapshot snapshot = s_;
  snapshot.explained += current_.explained;
  snapshot.dropped += current_.dropped;
  snapshot.seconds_since_frame = std::chrono::duration<double>(Clock::now() - last_frame_.value_or(added_)).count();
  snapshot.latency_p50 = latencies_.quantile(0.5);
  snapshot.latency_p90 = latencies_.quantile(0.9);
  snapshot.latency_p99 = latencies_.quantile(0.99);
  snapshot.latency_sum = latencies_.sum();
  snapshot.latency_count = latencies_.count();
  snapshot.newest_frame = newest_frame_.get();
  return snapshot;
}

}  // namespace scorecam::camera
