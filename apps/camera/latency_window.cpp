#include "camera/latency_window.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace scorecam::camera {

void LatencyWindow::add(double seconds) {
  if (newest_.size() < size_) newest_.push_back(seconds);
  else newest_[next_] = seconds;
  next_ = (next_ + 1) % size_;
  sum_ += seconds;
  ++count_;
}

double LatencyWindow::quantile(double quantile) const {
  if (newest_.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> sorted = newest_;
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(quantile * sorted.size()))) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + rank, sorted.end());
  return sorted[rank];
}

}  // namespace scorecam::camera
