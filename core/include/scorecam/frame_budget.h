#pragma once
// A frame-time budget for explanations that keep their channel scores between frames: each frame
// rescores as many channels as fit in what the budget leaves after the frame's first pass and the
// rest of its work (the map, the drawing), at the costs measured on the frames before, so any
// model on any device keeps to the frame rate, refreshing all its channels once every so many
// frames.
#include <cstdint>

namespace scorecam {

class FrameBudget {
 public:
  // seconds > 0.
  explicit FrameBudget(double seconds);

  // Channels to score on a frame whose first pass took `first_pass_seconds`, of `available`: at
  // least one, so that the scores keep refreshing even when the first pass alone overruns.
  int64_t channels(double first_pass_seconds, int64_t available) const;
  // What the frame's first pass and scoring `channels` channels just cost; later frames adapt to it.
  void observe(double first_pass_seconds, int64_t channels, double scoring_seconds);
  // What the whole frame took, as a caller measured it: what it spent beyond its first pass and
  // its scoring is left out of what later frames may score. Callers nested around one frame may
  // each report it (the explainer, then the element that also draws it): the widest measure counts.
  void observe_frame(double frame_seconds);

  double seconds() const { return seconds_; }

 private:
  // Frames aim below the budget, so that the spread of pass times stays within it.
  static constexpr double kAim = 0.85;
  // Weight of the newest frame in the running cost per channel.
  static constexpr double kNewest = 0.3;
  // Channels the first budgeted frame scores, before any cost is known.
  static constexpr int64_t kFirstChannels = 4;

  double seconds_;
  double seconds_per_channel_ = 0;  // 0: not yet measured
  double rest_seconds_ = 0;         // running mean of a frame's time beyond its first pass and scoring
  double counted_seconds_ = 0;      // the last frame's first pass and scoring
  double frame_seconds_ = 0;        // the last frame's widest reported time, 0: none yet
};

}  // namespace scorecam
