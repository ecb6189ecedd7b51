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
  const double left = seconds_ * kAim - first_pass_seconds - rest_seconds_;
  const auto fit = static_cast<int64_t>(std::floor(left / seconds_per_channel_));
  return std::clamp<int64_t>(fit, 1, available);
}

namespace {

double running_mean(double mean, double newest, double weight_of_newest, bool first) {
  return first ? newest : weight_of_newest * newest + (1 - weight_of_newest) * mean;
}

}  // namespace

void FrameBudget::observe(double first_pass_seconds, int64_t channels, double scoring_seconds) {
  // The previous frame is complete now: every caller around it has reported its time.
  if (frame_seconds_ > 0) {
    const bool first = rest_seconds_ <= 0;
    rest_seconds_ = running_mean(rest_seconds_, std::max(0.0, frame_seconds_ - counted_seconds_), kNewest, first);
  }
  frame_seconds_ = 0;
  counted_seconds_ = first_pass_seconds + scoring_seconds;
  if (channels <= 0) return;
  const double per_channel = scoring_seconds / static_cast<double>(channels);
  seconds_per_channel_ = running_mean(seconds_per_channel_, per_channel, kNewest, seconds_per_channel_ <= 0);
}

void FrameBudget::observe_frame(double frame_seconds) { frame_seconds_ = std::max(frame_seconds_, frame_seconds); }

}  // namespace scorecam
