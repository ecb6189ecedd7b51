#pragma once
// Score-CAM (Wang et al., CVPR-W 2020) over a Model, batched on the model's device, and its
// smoothed and integrated variants SS-CAM and IS-CAM.
//
// The default follows the official code: each non-constant channel of the target layer, upsampled
// bilinearly and min-max normalized, masks the normalized input; the softmax probability of the
// target class on that masked input is the channel's weight; the map is ReLU(sum_k w_k A_k),
// upsampled to the input size and min-max normalized. SS-CAM and IS-CAM score each mask on N
// inputs instead of one and average (see cam_method.h), batched the same way.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/cam_method.h"
#include "scorecam/enum_names.h"
#include "scorecam/model.h"

namespace scorecam {

enum class ScoreMode {
  Probability,        // w_k = softmax(f(X * M_k))_c  (official code)
  LogitSoftmax,       // w = softmax over channels of f(X * M_k)_c  (pytorch-grad-cam, torch-cam)
  BaselineSubtracted,  // w_k = p_c(X * M_k) - p_c(X_b), X_b the mean image  (the paper's CIC)
  Centred              // w_k = p_c(X * M_k) - their mean over the scored channels (less energy on other objects)
};

enum class ChannelSelection {
  All,     // every non-constant channel (max-channels ignored)
  StdDev,  // the max-channels channels of largest spatial standard deviation (Faster Score-CAM)
  Mean,    // the max-channels channels of largest mean activation
  Random   // max-channels channels drawn with the seed
};

struct ScoreCamOptions {
  ScoreMode score_mode = ScoreMode::Probability;
  int batch_size = 32;
  int max_channels = 0;  // 0: all channels
  ChannelSelection selection = ChannelSelection::StdDev;
  uint64_t seed = 0;  // for random channel selection and SS-CAM's noise
};

ScoreMode parse_score_mode(const std::string& name);  // "probability", "logit-softmax", "cic", "centred"
std::string score_mode_name(ScoreMode mode);
ChannelSelection parse_channel_selection(const std::string& name);  // "all", "std", "mean", "random"
std::string channel_selection_name(ChannelSelection selection);
const EnumNames<ScoreMode>& score_mode_names();
const EnumNames<ChannelSelection>& channel_selection_names();

class ScoreCam : public CamMethod {
 public:
  // `method`: scorecam, sscam or iscam, with its samples and noise.
  ScoreCam(Model& model, ScoreCamOptions options, MethodOptions method = {});

  // The non-constant channels, or max-channels of them chosen by the selection; [k] int64 sorted.
  torch::Tensor select_channels(const torch::Tensor& activations) const override;
  // Each channel's mask on one input, or (SS-CAM, IS-CAM) the mean over its samples' inputs:
  // samples() masked passes per channel.
  int score_channels(const torch::Tensor& input, const FirstPass& pass, const torch::Tensor& channels,
                     ChannelScores& into, bool compare_precisions) override;
  // The scores as the score mode makes them weights; unscored channels weigh 0.
  torch::Tensor weigh(const FirstPass& pass, const ChannelScores& scores) const override;
  bool keeps_channel_scores() const override { return true; }

  // Seconds a full explanation is expected to take, without running one: the model is warmed up,
  // then one first pass and one masked batch of a smooth synthetic image are timed, and the batch
  // time is multiplied by the batches that every channel (or max-channels of them) needs. Costs
  // a few forward batches whatever the model. With share N > 1: a frame that scores 1/N of
  // those channels (a rolling refresh step).
  double estimate_seconds_per_frame(int share = 1) override;
  Method method() const override { return method_.method; }
  int samples() const { return method_.samples; }  // inputs scored per mask

  const ScoreCamOptions& options() const { return options_; }

 private:
  // Writes the `sample`th input of each mask of `masks` ([k, 1, H, W]) into `out` ([k, C, H, W]):
  // X * M_k, or X * (M_k + noise) (SS-CAM), or (sample + 1) / N * X * M_k (IS-CAM).
  void masked_sample(const torch::Tensor& input, const torch::Tensor& masks, int sample, torch::Tensor& out);
  torch::Tensor baseline_probability(int target_class);

  ScoreCamOptions options_;
  MethodOptions method_;
  at::Generator noise_;                   // SS-CAM's noise, on the CPU, from options.seed
  torch::Tensor masked_batch_;            // reused buffer of [batch, C, H, W]
  torch::Tensor baseline_probabilities_;  // softmax on the mean image, for the CIC score mode
};

}  // namespace scorecam
