#include "scorecam/newest_frame_worker.h"

#include <cstring>
#include <utility>

namespace scorecam {

NewestFrameWorker::NewestFrameWorker(Process process, Failure on_failure)
    : process_(std::move(process)), on_failure_(std::move(on_failure)), thread_(&NewestFrameWorker::run, this) {}

NewestFrameWorker::~NewestFrameWorker() {
  {
    std::lock_guard<std::mutex> lock(lock_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void NewestFrameWorker::post(const ImageView& frame, int64_t timestamp, uint64_t generation) {
  const auto posted = std::chrono::steady_clock::now();
  Slot slot;
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (failed_ || stopping_) return;
    slot.pixels = std::move(spare_);
  }
  // Copied outside the lock: the worker may take the previous frame meanwhile.
  const std::size_t row = static_cast<std::size_t>(frame.width) * bytes_per_pixel(frame.layout);
  slot.pixels.resize(row * frame.height);
  for (int y = 0; y < frame.height; ++y) {
    std::memcpy(slot.pixels.data() + y * row, frame.data + y * frame.stride, row);
  }
  slot.frame = {{slot.pixels.data(), frame.width, frame.height, row, frame.layout}, timestamp, generation,
                posted};
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (waiting_) {
      ++dropped_;
      spare_ = std::move(waiting_->pixels);
    }
    waiting_ = std::move(slot);
  }
  changed_.notify_all();
}

void NewestFrameWorker::discard_waiting() {
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (waiting_) spare_ = std::move(waiting_->pixels);
    waiting_.reset();
  }
  changed_.notify_all();
}

void NewestFrameWorker::wait_until_idle() {
  std::unique_lock<std::mutex> lock(lock_);
  changed_.wait(lock, [this] { return failed_ || stopping_ || (!waiting_ && !busy_); });
}

uint64_t NewestFrameWorker::dropped() const {
  std::lock_guard<std::mutex> lock(lock_);
  return dropped_;
}

bool NewestFrameWorker::failed() const {
  std::lock_guard<std::mutex> lock(lock_);
  return failed_;
}

void NewestFrameWorker::run() {
  for (;;) {
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(lock_);
      changed_.wait(lock, [this] { return stopping_ || waiting_; });
      if (stopping_) return;
      slot = std::move(*waiting_);
      waiting_.reset();
      busy_ = true;
    }
    std::optional<std::string> failure;  // what process_ threw, if it did
    try {
      process_(slot.frame);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown error";
    }
    if (failure) on_failure_(*failure);
    {
      std::lock_guard<std::mutex> lock(lock_);
      busy_ = false;
      spare_ = std::move(slot.pixels);
      if (failure) {
        failed_ = true;
        waiting_.reset();
      }
    }
    changed_.notify_all();
    if (failure) return;
  }
}

}  // namespace scorecam
