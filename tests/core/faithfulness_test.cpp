// The faithfulness and localization measures, on maps and models whose answers are known.
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/faithfulness.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::test_model;

TEST(Faithfulness, RankCorrelationOfKnownMaps) {
  const auto ramp = torch::arange(12, torch::kFloat).view({3, 4});
  EXPECT_NEAR(rank_correlation(ramp, ramp * 5 + 1), 1.0, 1e-12);  // any increasing transform
  EXPECT_NEAR(rank_correlation(ramp, -ramp), -1.0, 1e-12);
  EXPECT_EQ(rank_correlation(ramp, torch::zeros({3, 4})), 0.0);    // a constant map has no order
  // Ties share their mean rank: [0, 0, 1, 1] against [0, 1, 2, 3] is 2 / sqrt(5).
  EXPECT_NEAR(rank_correlation(torch::tensor({0.f, 0.f, 1.f, 1.f}), torch::tensor({0.f, 1.f, 2.f, 3.f})),
              2.0 / std::sqrt(5.0), 1e-12);
  EXPECT_THROW(rank_correlation(ramp, torch::zeros({2, 2})), Error);
}

TEST(Faithfulness, BoxMeasures) {
  auto map = torch::zeros({10, 10});
  map.index_put_({2, 3}, 3.0);
  map.index_put_({8, 8}, 1.0);
  EXPECT_DOUBLE_EQ(energy_in_box(map, {0, 0, 5, 5}), 0.75);
  EXPECT_TRUE(peak_in_box(map, {3, 2, 4, 3}));   // x0 <= 3 < x1, y0 <= 2 < y1
  EXPECT_FALSE(peak_in_box(map, {4, 2, 6, 3}));
  EXPECT_EQ(energy_in_box(torch::zeros({10, 10}), {0, 0, 5, 5}), 0.0);
  EXPECT_EQ(energy_in_box(map, {5, 5, 5, 9}), 0.0);  // an empty box
}

TEST(Faithfulness, CurveArea) {
  EXPECT_DOUBLE_EQ((Curve{{1.0, 1.0, 1.0}}).area(), 1.0);
  EXPECT_DOUBLE_EQ((Curve{{1.0, 0.0}}).area(), 0.5);
  EXPECT_DOUBLE_EQ((Curve{{0.0, 1.0, 0.0}}).area(), 0.5);
}

// Deletion starts at the model's probability on X and ends on the mean image (all pixels 0);
// insertion runs the other way; the explanation of a full map is X itself.
TEST(Faithfulness, CurvesRunBetweenTheImageAndTheMeanImage) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  const auto map = load_npy(test_model("tiny_rgb_probability.npy"));
  const auto p = [&](const torch::Tensor& x) { return torch::softmax(model->classify(x), 1)[0][2].item<double>(); };
  const auto deletion = saliency_curve(*model, input, map, 2, 5, /*insert=*/false, 4);
  const auto insertion = saliency_curve(*model, input, map, 2, 5, /*insert=*/true, 4);
  ASSERT_EQ(deletion.probabilities.size(), 6u);
  EXPECT_NEAR(deletion.probabilities.front(), p(input), 1e-5);
  EXPECT_NEAR(deletion.probabilities.back(), p(torch::zeros_like(input)), 1e-5);
  EXPECT_NEAR(insertion.probabilities.front(), p(torch::zeros_like(input)), 1e-5);
  EXPECT_NEAR(insertion.probabilities.back(), p(input), 1e-5);
  const auto full = confidence_change(*model, input, torch::ones({32, 40}), 2);
  EXPECT_NEAR(full.original, full.explanation, 1e-5);
  EXPECT_EQ(full.drop(), 0.0);
  EXPECT_THROW(saliency_curve(*model, input, map, 2, 0, false), Error);
}

// The sanity check's copies: the layers from the top are re-initialized, the others kept.
TEST(Faithfulness, RandomizedCopiesChangeTheTopLayersOnly) {
  const std::string path = test_model("tiny_rgb.pt");
  const auto layers = weighted_layers_from_top(path);
  EXPECT_EQ(layers, (std::vector<std::string>{"head", "features.3", "features.0"}));
  const std::string copy = ::testing::TempDir() + "randomized_tiny.pt";
  randomized_copy(path, 1, copy, 7);
  auto original = torch::jit::load(path), randomized = torch::jit::load(copy);
  EXPECT_FALSE(torch::equal(original.attr("head").toModule().attr("weight").toTensor(),
                            randomized.attr("head").toModule().attr("weight").toTensor()));
  const auto conv = [](torch::jit::Module m) { return m.attr("features").toModule().attr("3").toModule().attr("weight").toTensor(); };
  EXPECT_TRUE(torch::equal(conv(original), conv(randomized)));
  std::remove(copy.c_str());
}

}  // namespace
}  // namespace scorecam
