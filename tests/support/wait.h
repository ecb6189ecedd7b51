// Waiting for what another thread or process does: a condition polled until it holds or a timeout
// passes, so that a test waits no longer than it must, and never for ever.
#pragma once

#include <chrono>
#include <thread>

namespace scorecam_test {

// True as soon as `done()` holds; false if it still does not at the timeout (it is asked once
// more then). The caller says in its assertion what did not happen.
template <typename Condition>
bool wait_until(Condition&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace scorecam_test
