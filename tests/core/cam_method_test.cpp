// SS-CAM, IS-CAM, Grad-CAM and Grad-CAM++ against their plain PyTorch references
// (tests/models/cam_methods_reference.py) on three torchvision architectures, traced and scripted,
// with the settings make_torchvision_models.py made the reference maps with; and what the methods
// share and cost.
#include <algorithm>

#include <gtest/gtest.h>

#include "scorecam/cam_method.h"
#include "scorecam/error.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/grad_cam.h"
#include "scorecam/image.h"
#include "scorecam/score_cam.h"
#include "scorecam/stream_explainer.h"
#include "scorecam/target_class.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::max_abs_difference;
using scorecam_test::test_model;

struct Case {
  std::string arch, kind, method;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.arch << " " << c.kind << " " << c.method; }

// METHOD_SETTINGS of make_torchvision_models.py.
ExplainerSettings settings_as_in_reference(const std::string& name) {
  ExplainerSettings settings;
  settings.method.method = parse_method(name);
  settings.score_cam.max_channels = 8;
  settings.score_cam.selection = ChannelSelection::StdDev;
  if (settings.method.method == Method::SsCam) {
    settings.method.samples = 2;
    settings.method.noise_sigma = 2.0;
    settings.score_cam.seed = 3;
    settings.score_cam.batch_size = 4;
  } else if (settings.method.method == Method::IsCam) {
    settings.method.samples = 3;
  }
  return settings;
}

std::unique_ptr<CamMethod> method_as_in_reference(Model& model, const std::string& name) {
  const ExplainerSettings settings = settings_as_in_reference(name);
  return make_method(model, settings.method, settings.score_cam);
}

// A model of make_torchvision_models.py, with its sidecar.
std::shared_ptr<Model> torchvision_model(const std::string& arch, const std::string& kind, bool optimize = true) {
  const std::string dir = scorecam_test::test_models_dir() + "/torchvision/";
  ModelOptions options;
  options.config_path = dir + arch + ".json";
  options.optimize = optimize;
  return Model::load(dir + arch + "_" + kind + ".pt", options);
}

class MethodParity : public ::testing::TestWithParam<Case> {};

TEST_P(MethodParity, MatchesReference) {
  const std::string dir = scorecam_test::test_models_dir() + "/torchvision/";
  const auto& [arch, kind, name] = GetParam();
  const auto model = torchvision_model(arch, kind);
  const auto cam = method_as_in_reference(*model, name);
  EXPECT_EQ(method_name(cam->method()), name);
  const auto result = cam->explain(load_npy(dir + arch + "_input.npy"));
  const auto expected = load_npy(dir + arch + "_" + name + ".npy");
  ASSERT_EQ(result.map.sizes(), expected.sizes());
  EXPECT_FALSE(result.empty);
  EXPECT_LE(max_abs_difference(result.map, expected), 1e-4f);
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const char* arch : {"resnet18", "vgg11", "mobilenet_v2"})
    for (const char* kind : {"traced", "scripted"})
      for (const char* method : {"sscam", "iscam", "gradcam", "gradcampp"}) all.push_back({arch, kind, method});
  return all;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, MethodParity, ::testing::ValuesIn(cases()), [](const auto& info) {
  return info.param.arch + "_" + info.param.kind + "_" + info.param.method;
});

// What users run (a stream: the element, the camera runner, the folder tools) is what the parity
// tests check: at refresh-interval=1 a StreamExplainer's maps are explain()'s, bit for bit, for
// every method and score mode, frame after frame (SS-CAM's noise included). The model runs as
// loaded, so that both sides run the same copy; the frozen copies are checked against it elsewhere.
struct StreamCase {
  std::string arch, method;
  ScoreMode score_mode;
};

void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.arch << " " << c.method << " " << score_mode_name(c.score_mode); }

class StreamParity : public ::testing::TestWithParam<StreamCase> {};

TEST_P(StreamParity, AStreamExplainsEachFrameAsExplainDoes) {
  const auto& [arch, name, score_mode] = GetParam();
  const std::shared_ptr<Model> model = torchvision_model(arch, "traced", /*optimize=*/false);
  ExplainerSettings settings = settings_as_in_reference(name);
  settings.score_cam.score_mode = score_mode;
  const auto method = make_method(*model, settings.method, settings.score_cam);
  StreamExplainer stream(model, settings, /*async=*/false);
  for (uint64_t i = 0; i < 3; ++i) {
    const auto frame = scorecam_test::random_frame(48, 40, 10 + i);
    const auto expected = method->explain(to_model_input(frame.view, *model));
    const auto heat = stream.submit(frame.view, static_cast<int64_t>(i));
    ASSERT_TRUE(heat && heat->result.valid) << "frame " << i;
    EXPECT_EQ(heat->result.target_class, expected.target_class) << "frame " << i;
    EXPECT_EQ(heat->result.forward_passes, 1 + expected.channels_evaluated) << "frame " << i;
    EXPECT_EQ(heat->result.empty, expected.empty) << "frame " << i;
    EXPECT_TRUE(heat->result.map.equal(expected.map)) << "frame " << i << ": differs by up to "
                                                      << max_abs_difference(heat->result.map, expected.map);
    const auto best = std::get<1>(expected.probabilities.max(0)).item<int64_t>();
    EXPECT_EQ(heat->result.top.front().class_id, best) << "frame " << i;
  }
}

std::vector<StreamCase> stream_cases() {
  std::vector<StreamCase> all;
  for (const char* arch : {"resnet18", "vgg11", "mobilenet_v2"}) {
    for (const auto& mode : score_mode_names()) all.push_back({arch, "scorecam", mode.value});
    for (const char* method : {"sscam", "iscam", "gradcam", "gradcampp"}) all.push_back({arch, method, ScoreMode::Probability});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, StreamParity, ::testing::ValuesIn(stream_cases()), [](const auto& info) {
  std::string mode = score_mode_name(info.param.score_mode);
  mode.erase(std::remove(mode.begin(), mode.end(), '-'), mode.end());
  return info.param.arch + "_" + info.param.method + (info.param.method == "scorecam" ? "_" + mode : "");
});

// One rule, one message, whichever path asks: -1 or a class the model has.
TEST(TargetClass, IsAClassOfTheModelOrMinusOneForThePredictedOne) {
  EXPECT_FALSE(target_class_problem(-1, 5));
  EXPECT_FALSE(target_class_problem(4, 5));
  for (const int bad : {5, -2}) {
    const auto problem = target_class_problem(bad, 5);
    ASSERT_TRUE(problem) << bad;
    EXPECT_EQ(*problem, "target class " + std::to_string(bad) +
                            " is out of range: the model has 5 classes (0..4); use -1 to explain the predicted class");
    EXPECT_THROW(check_target_class(bad, 5), Error);
  }
  const auto logits = torch::tensor({{0.1f, 2.0f, 2.0f, -1.0f}});
  EXPECT_EQ(resolve_target_class(logits, -1), 1);  // the first of equal logits
  EXPECT_EQ(resolve_target_class(logits, 3), 3);
  EXPECT_THROW(resolve_target_class(logits, 4), Error);
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_THROW(FrameExplainer(*model, {}, {}, -2), Error);
}

TEST(Methods, NamesRoundTripAndUnknownOnesAreListed) {
  for (const char* name : {"scorecam", "sscam", "iscam", "gradcam", "gradcampp"})
    EXPECT_EQ(method_name(parse_method(name)), name);
  try {
    parse_method("lime");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown method 'lime': use one of scorecam, sscam, iscam, gradcam, gradcampp"),
              std::string::npos) << e.what();
  }
}

// The Score-CAM family scores every mask on `samples` inputs; the gradient methods make no masked pass.
TEST(Methods, CostWhatTheyPromise) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  const int channels = static_cast<int>(ScoreCam(*model, {}).select_channels(model->forward(input).activations).numel());
  ASSERT_GT(channels, 0);
  for (const auto& [method, passes] : std::vector<std::pair<Method, int>>{{Method::ScoreCam, channels},
                                                                         {Method::SsCam, channels * kSsCamDefaultSamples},
                                                                         {Method::IsCam, channels * kIsCamDefaultSamples},
                                                                         {Method::GradCam, 0},
                                                                         {Method::GradCamPlusPlus, 0}}) {
    const auto cam = make_method(*model, MethodOptions{method}, ScoreCamOptions{});
    EXPECT_EQ(cam->explain(input).channels_evaluated, passes) << method_name(method);
    EXPECT_GT(cam->estimate_seconds_per_frame(), 0.0) << method_name(method);
  }
}

// The weights an explanation keeps are those its map was made of: one per channel, and combined
// over the first pass's activations they give the map again.
TEST(Methods, ExplanationsKeepTheirChannelWeights) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  for (Method method : {Method::ScoreCam, Method::SsCam, Method::IsCam, Method::GradCam, Method::GradCamPlusPlus}) {
    const auto cam = make_method(*model, MethodOptions{method, 2}, ScoreCamOptions{});
    const auto explanation = cam->explain(input, 1);
    ASSERT_TRUE(explanation.weights.defined()) << method_name(method);
    EXPECT_EQ(explanation.weights.numel(), model->activation_shape()[0]) << method_name(method);
    bool empty = false;
    const auto again = cam->combine(cam->first_pass(input, 1).activations,
                                    explanation.weights.to(model->device(), torch::kFloat), empty);
    EXPECT_LE(max_abs_difference(again.to(torch::kCPU), explanation.map), 1e-5f) << method_name(method);
  }
}

// SS-CAM without noise and IS-CAM with one step are Score-CAM: the variants change only the inputs.
TEST(Methods, VariantsReduceToScoreCam) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  const auto expected = load_npy(test_model("tiny_rgb_probability.npy"));
  MethodOptions smooth{Method::SsCam, 3, 0.0}, integrated{Method::IsCam, 1};
  ScoreCamOptions options;
  options.batch_size = 5;
  EXPECT_LE(max_abs_difference(ScoreCam(*model, options, smooth).explain(input).map, expected), 1e-4f);
  EXPECT_LE(max_abs_difference(ScoreCam(*model, options, integrated).explain(input).map, expected), 1e-4f);
}

TEST(Methods, RejectBadOptions) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_THROW(ScoreCam(*model, {}, MethodOptions{Method::GradCam}), Error);
  EXPECT_THROW(ScoreCam(*model, {}, MethodOptions{Method::SsCam, -1}), Error);
  EXPECT_THROW(ScoreCam(*model, {}, MethodOptions{Method::SsCam, 2, -0.5}), Error);
  GradCam cam(*model, false);
  EXPECT_THROW(cam.explain(load_npy(test_model("tiny_rgb_input.npy")), 5), Error);  // 5 classes: 0..4
}

// A gradient method explains every frame in full, also when reuse is asked for, and a model with
// non-finite outputs gives an invalid frame, not a NaN map.
TEST(Methods, GradientMethodsInAFrameExplainer) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  ReuseOptions reuse;
  reuse.refresh_interval = 4;
  reuse.rolling = true;
  FrameExplainer explainer(*model, {}, reuse, -1, MethodOptions{Method::GradCamPlusPlus});
  EXPECT_FALSE(explainer.rolling());
  for (int i = 0; i < 3; ++i) {
    const auto frame = scorecam_test::random_frame(40, 32, i);
    const auto result = explainer.process(frame.view);
    EXPECT_TRUE(result.valid);
    EXPECT_TRUE(result.full_refresh);
    EXPECT_EQ(result.forward_passes, 1);
    EXPECT_TRUE(torch::isfinite(result.map).all().item<bool>());
  }
  const auto broken = Model::load(test_model("nan_output.pt"));
  FrameExplainer on_broken(*broken, {}, {}, -1, MethodOptions{Method::GradCam});
  const auto frame = scorecam_test::random_frame(40, 32, 0);
  const auto result = on_broken.process(frame.view);
  EXPECT_FALSE(result.valid);
  EXPECT_TRUE(result.empty);
}

TEST(Methods, AStreamWarnsWhenAGradientMethodIsAskedToReuse) {
  std::vector<std::string> warnings;
  StreamEvents events;
  events.warning = [&](const std::string& what) { warnings.push_back(what); };
  ExplainerSettings settings;
  settings.method.method = Method::GradCam;
  settings.reuse.refresh_interval = 8;
  StreamExplainer stream(Model::load(test_model("tiny_rgb.pt")), settings, /*async=*/false, events);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("gradcam has no channel scores to reuse"), std::string::npos) << warnings[0];
  const auto frame = scorecam_test::random_frame(40, 32, 0);
  EXPECT_TRUE(stream.submit(frame.view, 0)->result.full_refresh);
  settings.method.method = Method::SsCam;  // the Score-CAM family reuses: no warning
  stream.reconfigure(settings);
  stream.submit(frame.view, 1);
  EXPECT_EQ(warnings.size(), 1u);
}

}  // namespace
}  // namespace scorecam
