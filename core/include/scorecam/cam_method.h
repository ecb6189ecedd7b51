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
// The Score-CAM family keeps its channel scores, so reuse across frames works for it; the
// gradient methods cost one forward and one backward pass and have nothing to reuse.
#include <memory>
#include <string>

#include <torch/script.h>

#include "scorecam/enum_names.h"
#include "scorecam/model.h"

namespace scorecam {

enum class Method { ScoreCam, SsCam, IsCam, GradCam, GradCamPlusPlus };

Method parse_method(const std::string& name);  // "scorecam", "sscam", "iscam", "gradcam", "gradcampp"
std::string method_name(Method method);
const EnumNames<Method>& method_names();
// Whether the method's channel weights are Score-CAM scores that can be kept between frames.
bool reuses_channel_scores(Method method);

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
};

class CamMethod {
 public:
  virtual ~CamMethod() = default;

  // input: [1, C, H, W] normalized, on the model's device and dtype. target_class < 0: predicted class.
  Explanation explain(const torch::Tensor& input, int target_class = -1);

  // The map every method ends with: ReLU(sum_k weights_k A_k) at the input size, in [0, 1], on
  // the device; `empty` set when nothing is positive. activations [1, K, h, w], weights [K].
  torch::Tensor combine_channels(const torch::Tensor& activations, const torch::Tensor& weights, bool& empty) const;

  // Seconds one explanation is expected to take, from a few timed passes (see ScoreCam).
  virtual double estimate_seconds_per_frame(int share = 1) = 0;
  virtual Method method() const = 0;
  Model& model() { return model_; }

 protected:
  explicit CamMethod(Model& model) : model_(model) {}

  // What a method finds for one input: the class scores, the target layer's activations and one
  // weight per channel, for the resolved target class.
  struct Evidence {
    torch::Tensor logits;       // [1, classes]
    torch::Tensor activations;  // [1, K, h, w]
    torch::Tensor weights;      // [K] float32 on the device
    int target_class = -1;
    int masked_passes = 0;
  };
  virtual Evidence weigh(const torch::Tensor& input, int target_class) = 0;
  // Throws Error when the model has no such class.
  void check_target(int target_class) const;
  // The requested class, or the predicted one when it is negative; throws Error when out of range.
  int resolve_target(const torch::Tensor& logits, int target_class) const;

  Model& model_;
};

struct ScoreCamOptions;
// The method `options` name, on `model`; the Score-CAM family takes score_cam's options too.
std::unique_ptr<CamMethod> make_method(Model& model, const MethodOptions& options, const ScoreCamOptions& score_cam);

}  // namespace scorecam
