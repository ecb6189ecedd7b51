#pragma once
// A camera's newest explained frame, for GET /cameras/NAME/snapshot.jpg and the status page: the
// frame as it left scorecamoverlay, heatmap drawn, with the element's class and confidence for it.
//
// What it costs the camera: its streaming thread offers every frame leaving the element, and keeps
// at most one every `interval` (two a second), as a copy of the raw frame; no encoder runs in the
// camera's pipeline. The JPEG is encoded only when someone asks for it, on the asking thread, once
// per kept frame (the next asker gets the same bytes). A copy, not a reference to the frame: a
// reference would hold a buffer of the decoder's pool, which may be small.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <gst/gst.h>

#include "result_codec.h"

namespace scorecam::camera {

class ExplainedFrame {
 public:
  // Takes `sample`'s reference.
  ExplainedFrame(GstSample* sample, scorecam_gst::Classification classification, uint64_t number);
  ~ExplainedFrame();
  ExplainedFrame(const ExplainedFrame&) = delete;
  ExplainedFrame& operator=(const ExplainedFrame&) = delete;

  const scorecam_gst::Classification classification;  // the element's result for this frame
  const uint64_t number;                              // the camera's kept frames, counted from 1
  const std::chrono::system_clock::time_point at = std::chrono::system_clock::now();

  // The frame as a JPEG; empty, with `error` saying why, when it cannot be encoded. Any thread.
  std::string jpeg(std::string& error) const;

 private:
  GstSample* sample_;
  mutable std::mutex lock_;  // one encoding per frame
  mutable std::string jpeg_;
};

class NewestFrame {
 public:
  explicit NewestFrame(std::chrono::milliseconds interval = std::chrono::milliseconds(500)) : interval_(interval) {}

  // The streaming thread, for each frame leaving the element through `pad`: kept if it carries
  // the element's result and `interval` has passed since the last one kept.
  void offer(GstPad* pad, GstBuffer* buffer);

  // Any thread: the newest kept, or null before the first.
  std::shared_ptr<const ExplainedFrame> get() const;

 private:
  using Clock = std::chrono::steady_clock;

  const std::chrono::milliseconds interval_;
  // The streaming thread's own (one connection's at a time).
  Clock::time_point last_kept_;
  uint64_t kept_ = 0;
  mutable std::mutex lock_;
  std::shared_ptr<const ExplainedFrame> newest_;
};

}  // namespace scorecam::camera
