#pragma once
// A worker thread fed through a one-slot mailbox, for consumers slower than their source.
//
// post() copies a frame into the slot and returns at once. A frame still waiting when a newer one
// arrives is dropped (and counted), never queued: the worker always takes up the newest frame, so
// what it shows lags by at most one frame's work. Pixel buffers are recycled between frames.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scorecam/image.h"

namespace scorecam {

struct PostedFrame {
  ImageView view;          // into the worker's own tightly packed copy
  int64_t timestamp = 0;   // whatever the poster uses to name the frame
  uint64_t generation = 0; // lets the consumer tell work from before a flush
  std::chrono::steady_clock::time_point posted;  // when post() was called: the wait counts in its latency
};

class NewestFrameWorker {
 public:
  using Process = std::function<void(const PostedFrame&)>;
  using Failure = std::function<void(const std::string&)>;

  // `process` runs on the worker thread, one frame at a time. If it throws, the worker stops
  // taking frames and `on_failure` receives the message (on the worker thread).
  NewestFrameWorker(Process process, Failure on_failure);
  // The frame being processed finishes first (LibTorch cannot be interrupted); a waiting one is not.
  ~NewestFrameWorker();
  NewestFrameWorker(const NewestFrameWorker&) = delete;
  NewestFrameWorker& operator=(const NewestFrameWorker&) = delete;

  void post(const ImageView& frame, int64_t timestamp, uint64_t generation);
  // Forgets the waiting frame, if any (not counted as dropped: nobody asked for it any more).
  void discard_waiting();
  // Blocks until no frame waits and none is being processed, or the worker has failed.
  void wait_until_idle();

  uint64_t dropped() const;
  bool failed() const;

 private:
  struct Slot {
    std::vector<uint8_t> pixels;
    PostedFrame frame;
  };

  void run();

  Process process_;
  Failure on_failure_;
  mutable std::mutex lock_;
  std::condition_variable changed_;
  std::optional<Slot> waiting_;
  std::vector<uint8_t> spare_;  // a finished or dropped frame's pixels, for the next copy
  bool busy_ = false;
  bool stopping_ = false;
  bool failed_ = false;
  uint64_t dropped_ = 0;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace scorecam
