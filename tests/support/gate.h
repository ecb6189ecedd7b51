#pragma once
// Holds a worker thread at a chosen point until the test lets it go, so that races between a
// worker and its callers are played out in a fixed order instead of being waited out with sleeps.
#include <chrono>
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
  // Called by the test: blocks until `count` passes have arrived in all; false if they have not
  // after `timeout`, and then the gate opens, so that no worker is left held and the test can end.
  [[nodiscard]] bool wait_for_arrivals(int count, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock<std::mutex> lock(lock_);
    if (changed_.wait_for(lock, timeout, [&] { return arrived_ >= count; })) return true;
    lock.unlock();
    open();
    return false;
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
