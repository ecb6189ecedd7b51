// The captured activations equal what a PyTorch forward hook sees, on real torchvision
// architectures exported both ways (random weights, 64x64 input; see make_torchvision_models.py),
// from the frozen copy the model runs on.
#include <gtest/gtest.h>

#include "scorecam/model.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::max_abs_difference;

struct Export {
  std::string arch;
  std::string kind;  // "traced" or "scripted"
};

void PrintTo(const Export& e, std::ostream* os) { *os << e.arch << " " << e.kind; }

class LayerCapture : public ::testing::TestWithParam<Export> {};

TEST_P(LayerCapture, MatchesForwardHook) {
  const std::string dir = scorecam_test::test_models_dir() + "/torchvision/";
  const auto& [arch, kind] = GetParam();
  ModelOptions options;
  options.config_path = dir + arch + ".json";
  const auto model = Model::load(dir + arch + "_" + kind + ".pt", options);
  // Every architecture runs frozen. oneDNN pools only sizes that divide evenly, and VGG's 7x7
  // adaptive pool of a 2x2 map does not: its copy is frozen, not oneDNN-optimized.
  EXPECT_TRUE(model->frozen()) << model->inference_path();
  // Everything else offers both exact copies, and the faster one is kept.
  const std::string expected_path = arch == "vgg11" ? "frozen, not optimized for inference (" : "the fastest of 2 copies";
  EXPECT_NE(model->inference_path().find(expected_path), std::string::npos) << model->inference_path();
  const auto expected = load_npy(dir + arch + "_activation.npy");
  const auto result = model->forward(load_npy(dir + arch + "_input.npy"));
  ASSERT_EQ(result.activations.sizes(), expected.sizes());
  const float scale = std::max(1.0f, expected.abs().max().item<float>());
  EXPECT_LE(max_abs_difference(result.activations, expected), 1e-4f * scale);
  EXPECT_LE(max_abs_difference(result.logits, load_npy(dir + arch + "_logits.npy")), 1e-3f);
}

std::vector<Export> exports() {
  std::vector<Export> all;
  for (const char* arch : {"resnet18", "vgg11", "mobilenet_v2", "densenet121", "squeezenet1_1", "efficientnet_b0"}) {
    for (const char* kind : {"traced", "scripted"}) all.push_back({arch, kind});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Torchvision, LayerCapture, ::testing::ValuesIn(exports()),
                         [](const auto& info) { return info.param.arch + "_" + info.param.kind; });

TEST(LayerCapture, ResNetDefaultsToLayer4) {
  const std::string dir = scorecam_test::test_models_dir() + "/torchvision/";
  for (const char* kind : {"traced", "scripted"}) {
    const auto layers = Model::list_layers(dir + "resnet18_" + kind + ".pt");
    ASSERT_FALSE(layers.empty());
    // resnet18's BasicBlock calls its one ReLU module twice; it is listed once.
    int relu_count = 0;
    for (const auto& layer : layers) relu_count += layer.name == "layer4.1.relu";
    EXPECT_EQ(relu_count, 1);
    // No sidecar beside the file: ImageNet's 224x224 and the default layer.
    const auto model = Model::load(dir + "resnet18_" + kind + ".pt");
    EXPECT_EQ(model->target_layer(), "layer4") << kind;
  }
}

}  // namespace
}  // namespace scorecam
