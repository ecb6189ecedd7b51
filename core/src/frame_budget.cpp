#include "scorecam/frame_budget.h"

#include <algorithm>
#include <cmath>

#include "scorecam/error.h"

namespace scorecam {

FrameBudget::FrameBudget(double seconds) : seconds_(seconds) {
  if (!(seconds > 0)) throw Error("a frame budget must be above 0 ms");
}

int64_t FrameBudget::channels(double first_pass_seconds, int64_t available) const {
  if (available <= 0) return 0;
  if (seconds_per_channel_ <= 0) return std::min(available, kFirstChannels);
  const double left = seconds_ * kAim - first_pass_seconds;
  const auto fit = static_cast<int64_t>(std::floor(left / seconds_per_channel_));
  return std::clamp<int64_t>(fit, 1, available);
}

void FrameBudget::observe(int64_t channels, double seconds) {
  if (channels <= 0) return;
  const double per_channel = seconds / static_cast<double>(channels);
  seconds_per_channel_ =
      seconds_per_channel_ <= 0 ? per_channel : kNewest * per_channel + (1 - kNewest) * seconds_per_channel_;
}

}  // namespace scorecam
