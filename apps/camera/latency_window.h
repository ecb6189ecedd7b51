#pragma once
// A camera's latencies (the element's per-map latency), for a Prometheus summary: quantiles over
// the newest observations, so that they follow what the camera does now, and the sum and count of
// all of them, which a scrape turns into rates.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace scorecam::camera {

class LatencyWindow {
 public:
  explicit LatencyWindow(std::size_t size = 1000) : size_(size) {}

  void add(double seconds);

  // The nearest-rank `quantile` (0 to 1) of the newest observations; NaN before the first.
  double quantile(double quantile) const;
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::size_t size_;
  std::vector<double> newest_;  // a ring of at most size_ observations
  std::size_t next_ = 0;
  double sum_ = 0;
  uint64_t count_ = 0;
};

}  // namespace scorecam::camera
