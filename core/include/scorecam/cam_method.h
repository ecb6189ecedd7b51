#pragma once
// The class activation map methods, behind one seam: each weighs the target layer's channels in
// its own way; the map is made the same way for all of them, ReLU(sum_k w_k A_k) upsampled
// bilinearly to the input size and min-max normalized (all zeros, flagged empty, when nothing is
// positive).
//
//   scorecam   Score-CAM (Wang et al. 2020): the score of the input masked by each channel
//   sscam      SS-CAM: each mask's score averaged over N copies with Gaussian noise added to the mask
//   iscam      IS-CAM: each mask's score averaged over N inputs along the path from 0 to X * M_k
//   gradcam    Grad-CAM (Selvaraju et al. 2017): the spatial mean of d logit_c / d A_k
//   gradcampp  Grad-CAM++ (Chattopadhay et al. 2018), in the closed form pytorch-grad-cam uses
//
// An explanation is always the same steps: the first pass (class scores and activations, with the
// target class resolved), the channels to score, their scores, the weights, the map. explain()
// runs them once; a stream (FrameExplainer) runs the same steps but keeps the channel scores
// between frames and rescores only some of them, where the method keeps channel scores (the
// Score-CAM family). A new method is one subclass (at least weigh()) and its name in methods.cpp.
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/enum_names.h"
#include "scorecam/model.h"

namespace scorecam {

enum class Method { ScoreCam, SsCam, IsCam, GradCam, GradCamPlusPlus };

Method parse_method(const std::string& name);  // "scorecam", "sscam", "iscam", "gradcam", "gradcampp"
std::string method_name(Method method);
const EnumNames<Method>& method_names();

struct MethodOptions {
  Method method = Method::ScoreCam;
  int samples = 0;           // SS-CAM, IS-CAM: inputs per mask; 0: the method's default (35, 10)
  double noise_sigma = 2.0;  // SS-CAM: standard deviation of the noise added to each [0, 1] mask
};
constexpr int kSsCamDefaultSamples = 35;  // torch-cam's defaults
constexpr int kIsCamDefaultSamples = 10;

struct Explanation {
  int target_class = -1;
  torch::Tensor probabilities;  // [classes] float32, CPU
  torch::Tensor map;            // [H, W] float32 in [0, 1], CPU, the model's input size
  bool empty = false;           // no positive evidence: the map is all zeros
  int channels_evaluated = 0;   // masked forward passes made for this explanation (Score-CAM family)
  // [K] float32, CPU: the channel weights the map was made of, so that measures can ask how much
  // they depend on the class (scorecam-eval --discrimination).
  torch::Tensor weights;
};

// What every explanation starts from: one pass over the input.
struct FirstPass {
  torch::Tensor logits;       // [1, classes] float32
  torch::Tensor activations;  // [1, K, h, w] of the target layer
  torch::Tensor gradients;    // [1, K, h, w]: d logit_target / d activations, for the methods that ask for them
  int target_class = -1;      // resolved: never -1
};

// A score per channel of the target layer, and which were scored: what the Score-CAM family keeps
// between frames. Methods that score no channels leave it as empty_scores() made it.
struct ChannelScores {
  torch::Tensor scores;     // [K] float32 on the device
  torch::Tensor evaluated;  // [K] bool on the device
  // While the model compares its reduced-precision copies with fp32 (Model::comparing_precisions())
  // and the caller asked score_channels() to compare: each reduced copy's scores of the same
  // channels, [K] each, in the model's order (`scores` are fp32's). Empty otherwise.
  std::vector<torch::Tensor> compared;
};

class CamMethod {
 public:
  virtual ~CamMethod() = default;

  // input: [1, C, H, W] normalized, on the model's device and dtype. target_class -1: the predicted
  // class. Throws Error when the model has no such class.
  Explanation explain(const torch::Tensor& input, int target_class = -1);

  // The steps explain() is made of, in its order; a stream calls them itself to keep scores.
  // The class scores and activations, the target resolved (scorecam/target_class.h).
  virtual FirstPass first_pass(const torch::Tensor& input, int target_class);
  // The channels a full refresh scores, [k] int64 on the device; none by default.
  virtual torch::Tensor select_channels(const torch::Tensor& activations) const;
  ChannelScores empty_scores() const;
  // Scores `channels` for this frame into `into` and returns the masked forward passes it made.
  // `compare_precisions`: the caller scores every channel of a frame here and will report how the
  // model's reduced-precision copies' maps agree (report_precision_trial), so each copy scores them
  // too (into.compared) while the model is comparing them.
  virtual int score_channels(const torch::Tensor& input, const FirstPass& pass, const torch::Tensor& channels,
                             ChannelScores& into, bool compare_precisions);
  // The weights of `scores` and their map: what a frame shows.
  torch::Tensor map_of(const FirstPass& pass, const ChannelScores& scores, bool& empty) const;
  // After a frame scored with compare_precisions: tells the model how each compared copy's map
  // correlates with `map`, fp32's (Model::report_map_agreement); nothing when nothing was compared.
  void report_precision_trial(const FirstPass& pass, const ChannelScores& scores, const torch::Tensor& map);
  // One weight per channel, [K] float32 on the device, from this frame's pass and the scores kept.
  virtual torch::Tensor weigh(const FirstPass& pass, const ChannelScores& scores) const = 0;
  // The map of `weights` over `activations` at the model's input size (scorecam/maps.h weighted_map).
  torch::Tensor combine(const torch::Tensor& activations, const torch::Tensor& weights, bool& empty) const;

  // Whether scores kept from earlier frames stay meaningful with this frame's activations, so that
  // a stream may refresh them periodically or a share at a time.
  virtual bool keeps_channel_scores() const { return false; }
  // Seconds one explanation is expected to take, from a few timed passes; with share N > 1, a frame
  // that scores 1/N of the channels (a rolling refresh step).
  virtual double estimate_seconds_per_frame(int share = 1) = 0;
  virtual Method method() const = 0;
  Model& model() { return model_; }
  const Model& model() const { return model_; }

 protected:
  explicit CamMethod(Model& model) : model_(model) {}

  Model& model_;
};

struct ScoreCamOptions;
// The method `options` name, on `model`; the Score-CAM family takes score_cam's options too.
std::unique_ptr<CamMethod> make_method(Model& model, const MethodOptions& options, const ScoreCamOptions& score_cam);

}  // namespace scorecam
