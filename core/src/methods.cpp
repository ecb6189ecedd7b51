// Every method by name: the one list a new method joins.
#include "scorecam/cam_method.h"
#include "scorecam/grad_cam.h"
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

std::unique_ptr<CamMethod> make_method(Model& model, const MethodOptions& options, const ScoreCamOptions& score_cam) {
  switch (options.method) {
    case Method::GradCam: return std::make_unique<GradCam>(model, /*plus_plus=*/false);
    case Method::GradCamPlusPlus: return std::make_unique<GradCam>(model, /*plus_plus=*/true);
    case Method::ScoreCam:
    case Method::SsCam:
    case Method::IsCam: break;
  }
  return std::make_unique<ScoreCam>(model, score_cam, options);
}

}  // namespace scorecam
