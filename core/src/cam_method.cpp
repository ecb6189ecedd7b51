#include "scorecam/cam_method.h"

#include "scorecam/grad_cam.h"
#include "scorecam/error.h"
#include "scorecam/score_cam.h"

namespace scorecam {
namespace {

const EnumNames<Method> kMethods = {
    {"scorecam", Method::ScoreCam, "Score-CAM: the score of the input masked by each channel"},
    {"sscam", Method::SsCam, "SS-CAM: each mask's score averaged over noisy copies of the mask (samples, noise-sigma)"},
    {"iscam", Method::IsCam, "IS-CAM: each mask's score averaged along the path from 0 to the masked input (samples)"},
    {"gradcam", Method::GradCam,
     "Grad-CAM: mean gradient of the class logit per channel (one forward and one backward pass; no reuse)"},
    {"gradcampp", Method::GradCamPlusPlus,
     "Grad-CAM++: higher-order gradient weights (one forward and one backward pass; no reuse)"}};

}  // namespace

Method parse_method(const std::string& name) { return parse_enum(name, kMethods, "method"); }
std::string method_name(Method method) { return enum_name(method, kMethods); }
const EnumNames<Method>& method_names() { return kMethods; }

bool reuses_channel_scores(Method method) {
  return method == Method::ScoreCam || method == Method::SsCam || method == Method::IsCam;
}

void CamMethod::check_target(int target_class) const {
  if (target_class >= model_.num_classes()) {
    throw Error("target class " + std::to_string(target_class) + " is out of range: the model has " +
                std::to_string(model_.num_classes()) + " classes (0.." + std::to_string(model_.num_classes() - 1) + ")");
  }
}

int CamMethod::resolve_target(const torch::Tensor& logits, int target_class) const {
  check_target(target_class);
  return target_class >= 0 ? target_class : static_cast<int>(logits[0].argmax().item<int64_t>());
}

torch::Tensor CamMethod::combine_channels(const torch::Tensor& activations, const torch::Tensor& weights,
                                          bool& empty) const {
  c10::InferenceMode guard;
  const auto maps = activations[0].flatten(1).to(torch::kFloat);  // [K, h*w]
  // Bilinear upsampling is linear, so upsampling the weighted sum equals the official code's
  // sum of upsampled channels, for one upsample instead of K.
  const auto sum = weights.to(torch::kFloat).matmul(maps).view({1, 1, activations.size(2), activations.size(3)});
  const int64_t height = model_.config().input_height, width = model_.config().input_width;
  const auto saliency = upsample_planes(sum, height, width).view({height, width}).relu();
  empty = !(saliency.amax() > saliency.amin()).item<bool>();
  return normalize_planes(saliency);
}

Explanation CamMethod::explain(const torch::Tensor& input, int target_class) {
  const Evidence evidence = weigh(input, target_class);
  c10::InferenceMode guard;
  Explanation result;
  result.target_class = evidence.target_class;
  result.probabilities = torch::softmax(evidence.logits[0].to(torch::kFloat), 0).to(torch::kCPU);
  result.map = combine_channels(evidence.activations, evidence.weights, result.empty).to(torch::kCPU);
  result.channels_evaluated = evidence.masked_passes;
  return result;
}

std::unique_ptr<CamMethod> make_method(Model& model, const MethodOptions& options, const ScoreCamOptions& score_cam) {
  if (reuses_channel_scores(options.method)) return std::make_unique<ScoreCam>(model, score_cam, options);
  return std::make_unique<GradCam>(model, options.method == Method::GradCamPlusPlus);
}

}  // namespace scorecam
