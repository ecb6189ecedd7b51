#pragma once
// Explains a stream of frames, reusing Score-CAM channel scores across frames when asked to.
//
// Full Score-CAM costs one forward pass per channel. Consecutive frames change little, so the
// scores of the last refresh can be combined with each new frame's activations (one forward pass).
// Scores are refreshed every `refresh_interval` frames, or 1/N of the channels on every frame
// (rolling), and at once when the predicted class changes or the activations drift too far.
// SS-CAM and IS-CAM reuse their scores the same way; Grad-CAM and Grad-CAM++ have nothing to
// reuse and explain every frame in full (one forward and one backward pass).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scorecam/cam_method.h"
#include "scorecam/frame_budget.h"
#include "scorecam/image.h"
#include "scorecam/model.h"
#include "scorecam/score_cam.h"  // ScoreCamOptions

namespace scorecam {

struct ReuseOptions {
  int refresh_interval = 1;      // 1: full Score-CAM on every frame
  bool rolling = false;          // spread each refresh over refresh_interval frames
  double drift_threshold = 0.0;  // relative L2 change of activations that forces a refresh; 0: off
  double smoothing = 0.0;        // weight of the previous map in an exponential moving average; 0: off
  // Milliseconds a frame may take (first pass and rescoring); 0: off. When set, each frame rescores
  // as many channels as fit (see FrameBudget), in place of refresh_interval and rolling; a class
  // change or drift starts the scores afresh instead of refreshing them all at once.
  double frame_budget_ms = 0.0;
};

struct ClassScore {
  int class_id = 0;
  std::string label;
  float probability = 0.f;
};

struct FrameResult {
  // False when the model's class scores were not finite (NaN or infinity): then `top` is empty,
  // the map all zeros and `empty` set, and nothing was learnt for reuse.
  bool valid = true;
  int target_class = -1;
  std::vector<ClassScore> top;  // best first, at most 5
  torch::Tensor map;            // [H, W] float32 in [0, 1], CPU, the model's input size
  bool empty = false;
  bool refreshed = false;       // channel scores were (partly) recomputed on this frame
  bool full_refresh = false;    // all of them were: every frame without reuse, or a forced refresh
  int forward_passes = 0;       // forward passes spent on this frame
  int refresh_period = 1;       // frames in which every channel's score is refreshed once
};

std::vector<ClassScore> top_classes(const Model& model, const torch::Tensor& probabilities, int k);

// "label 87%", plus " | map: <label>" when the map explains another class than the predicted one;
// "no valid model output" for an invalid result.
std::string caption_text(const FrameResult& result, const std::string& target_label);

class FrameExplainer {
 public:
  // target_class < 0: explain the predicted class of each frame.
  FrameExplainer(Model& model, ScoreCamOptions score_cam, ReuseOptions reuse, int target_class = -1,
                 MethodOptions method = {});

  FrameResult process(const ImageView& frame);
  // What the last frame took in all, as a caller that also did more with it measured it (the
  // frame budget leaves that time out of what the next frames score); process() reports its own.
  void frame_finished(double seconds);
  // Forget all reused state, e.g. after a seek or a flush.
  void reset();
  // Seconds the costliest frame of the configured mode is expected to take, from a few timed
  // batches: a full explanation, or with rolling refresh one rolling step (forced full refreshes,
  // after a class change, a flush or drift, are the exception and cost a full explanation).
  double estimate_worst_frame_seconds();
  // Rolling refresh: frames normally score only a share of the channels.
  bool rolling() const { return reuses_scores() && reuse_.rolling && reuse_.refresh_interval > 1 && !budget_; }
  // Frames are held to reuse_options().frame_budget_ms.
  bool budgeted() const { return budget_.has_value(); }
  // Whether the method keeps channel scores between frames, so that the reuse options apply.
  bool reuses_scores() const { return method_->keeps_channel_scores(); }

  Model& model() { return method_->model(); }
  const ReuseOptions& reuse_options() const { return reuse_; }

 private:
  bool needs_full_refresh(int target, const torch::Tensor& activations) const;
  // The activations moved further from the last refresh's than drift_threshold allows.
  bool drifted(const torch::Tensor& activations) const;
  // The next `size` of the refreshed channels, wrapping around.
  torch::Tensor next_channels(int64_t size);
  // A frame under the budget: the scores of as many channels as fit are refreshed.
  void rescore_within_budget(const torch::Tensor& input, const FirstPass& pass, double first_pass_seconds,
                             FrameResult& result);
  FrameResult invalid_result() const;
  torch::Tensor smoothed(const torch::Tensor& map);

  std::unique_ptr<CamMethod> method_;
  ReuseOptions reuse_;
  std::optional<FrameBudget> budget_;
  int target_class_;

  // State of the last refresh.
  ChannelScores scores_;
  torch::Tensor refresh_activations_;
  torch::Tensor refresh_channels_;
  int refresh_class_ = -1;
  int frames_since_refresh_ = 0;
  int rolling_cursor_ = 0;
  torch::Tensor previous_map_;
};

}  // namespace scorecam
