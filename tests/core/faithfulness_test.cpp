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

TEST(Faithfulness, BoxMaskCoversTheBoxPixels) {
  const auto mask = box_mask({1, 2, 3, 5}, 6, 4);  // x in [1, 3), y in [2, 5)
  EXPECT_EQ(mask.sizes(), (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(mask.sum().item<int64_t>(), 6);
  EXPECT_TRUE(mask[2][1].item<bool>());
  EXPECT_TRUE(mask[4][2].item<bool>());
  EXPECT_FALSE(mask[5][2].item<bool>());
  EXPECT_FALSE(mask[2][3].item<bool>());
  EXPECT_EQ(box_mask({5, 5, 5, 9}, 10, 10).sum().item<int64_t>(), 0);      // no area
  EXPECT_EQ(box_mask({-3, -3, 20, 20}, 4, 4).sum().item<int64_t>(), 16);  // clipped to the map
}

// Two articles side by side, left class 3 and right class 7: a map with 6 units of energy on the
// left box, 2 on the right one and 2 on the background.
TEST(Faithfulness, ClassDiscriminationOfAKnownMap) {
  auto map = torch::zeros({10, 20});
  map.slice(0, 2, 5).slice(1, 1, 3).fill_(1.0);  // 3 x 2 = 6 inside the left box
  map.slice(0, 2, 4).slice(1, 12, 13).fill_(1.0);  // 2 inside the right box
  map.slice(0, 9, 10).slice(1, 0, 2).fill_(1.0);   // 2 outside both
  const std::vector<LabelledBox> boxes = {{{0, 0, 8, 8}, 3}, {{10, 0, 18, 8}, 7}};
  const auto left = class_discrimination(map, boxes, 3);
  EXPECT_DOUBLE_EQ(left.asked_energy, 0.6);
  EXPECT_DOUBLE_EQ(left.other_energy, 0.2);
  EXPECT_TRUE(left.asked_wins);
  const auto right = class_discrimination(map, boxes, 7);
  EXPECT_DOUBLE_EQ(right.asked_energy, 0.2);
  EXPECT_DOUBLE_EQ(right.other_energy, 0.6);
  EXPECT_FALSE(right.asked_wins);
  // A tie is no win, and an all-zero map points at nothing.
  auto even = torch::zeros({10, 20});
  even.index_put_({1, 1}, 1.0);
  even.index_put_({1, 11}, 1.0);
  EXPECT_FALSE(class_discrimination(even, boxes, 3).asked_wins);
  const auto blank = class_discrimination(torch::zeros({10, 20}), boxes, 3);
  EXPECT_EQ(blank.asked_energy, 0.0);
  EXPECT_EQ(blank.other_energy, 0.0);
  EXPECT_FALSE(blank.asked_wins);
}

// Two boxes of the asked class count together (once where they overlap); the asked class must
// beat each other class on its own, and "other" is all the other classes together.
TEST(Faithfulness, ClassDiscriminationWithSeveralBoxesPerClass) {
  auto map = torch::zeros({10, 30});
  map.slice(1, 0, 10).fill_(1.0);   // 100 in [0, 10) x [0, 10)
  map.slice(1, 10, 20).fill_(0.5);  // 50
  map.slice(1, 20, 30).fill_(0.5);  // 50
  const std::vector<LabelledBox> boxes = {
      {{0, 0, 6, 10}, 1}, {{4, 0, 10, 10}, 1}, {{10, 0, 20, 10}, 2}, {{20, 0, 30, 10}, 4}};
  const auto asked = class_discrimination(map, boxes, 1);
  EXPECT_DOUBLE_EQ(asked.asked_energy, 0.5);
  EXPECT_DOUBLE_EQ(asked.other_energy, 0.5);
  EXPECT_TRUE(asked.asked_wins);  // 50% against 25% and 25%
  EXPECT_FALSE(class_discrimination(map, boxes, 2).asked_wins);
}

TEST(Faithfulness, LabelledBoxesThatCannotBeMeasuredAreRefused) {
  const auto problem = [](const std::vector<LabelledBox>& boxes) { return labelled_boxes_problem(boxes).value_or(""); };
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 0}, {{4, 0, 8, 4}, 1}}), "");  // touching is not overlapping
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 0}}), "has 1 box; class discrimination needs two or more");
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 2}, {{4, 0, 8, 4}, 2}}), "has boxes of one class only; class discrimination needs two or more");
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 0}, {{4, 0, 8, 4}, -1}}), "has a box without a class");
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 0}, {{3, 3, 8, 8}, 1}}),
            "has overlapping boxes of different classes (boxes 1 and 2, classes 0 and 1)");
  EXPECT_EQ(problem({{{0, 0, 4, 4}, 0}, {{3, 3, 8, 8}, 0}, {{5, 0, 9, 2}, 1}}), "");  // one class may overlap itself
  const auto map = torch::ones({8, 8});
  EXPECT_THROW(class_discrimination(map, {{{0, 0, 4, 4}, 0}}, 0), Error);
  EXPECT_THROW(class_discrimination(map, {{{0, 0, 4, 4}, 0}, {{4, 0, 8, 4}, 1}}, 5), Error);  // no box of class 5
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
