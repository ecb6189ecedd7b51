#pragma once
// Grad-CAM and Grad-CAM++, the gradient baselines: one forward and one backward pass through the
// model as loaded (the frozen copies the other passes run on keep no gradients), with the
// gradients of the target class's logit with respect to the target layer's activations. They
// score no channels, so there is nothing to keep between frames.
#include "scorecam/cam_method.h"

namespace scorecam {

class GradCam : public CamMethod {
 public:
  // plus_plus: Grad-CAM++ weights, else Grad-CAM's.
  GradCam(Model& model, bool plus_plus);

  // The forward and backward pass.
  FirstPass first_pass(const torch::Tensor& input, int target_class) override;
  torch::Tensor weigh(const FirstPass& pass, const ChannelScores& scores) const override;
  // One forward and one backward pass, timed on a smooth synthetic image; `share` does not apply.
  double estimate_seconds_per_frame(int share = 1) override;
  Method method() const override { return plus_plus_ ? Method::GradCamPlusPlus : Method::GradCam; }

 private:
  bool plus_plus_;
};

}  // namespace scorecam
