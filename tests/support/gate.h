#pragma once
// Holds a worker thread at a chosen point until the test lets it go, so that races between a
// worker and its callers are played out in a fixed order instead of being waited out with sleeps.
#include <condition_variable>
#include <mutex>

namespace scorecam_test {

class Gate {
 public:
  // Called by the worker: blocks until the test has let this many passes through.
  void pass() {
    std::unique_lock<std::mutex> lock(lock_);
    const int me = ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return allowed_ >= me; });
  }
  // Called by the test: blocks until `count` passes have arrived in all.
  void wait_for_arrivals(int count) {
    std::unique_lock<std::mutex> lock(lock_);
    changed_.wait(lock, [&] { return arrived_ >= count; });
  }
  void allow(int more) {
    {
      std::lock_guard<std::mutex> lock(lock_);
      allowed_ += more;
    }
    changed_.notify_all();
  }
  void open() { allow(1 << 20); }

 private:
  std::mutex lock_;
  std::condition_variable changed_;
  int arrived_ = 0;
  int allowed_ = 0;
};

}  // namespace scorecam_test
