// Frames in, maps out: preprocessing, and reuse of channel scores across frames.
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/frame_explainer.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::Frame;
using scorecam_test::max_abs_difference;
using scorecam_test::random_frame;
using scorecam_test::test_model;

TEST(ModelInput, NormalizesInTheModelsColourOrder) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  Frame rgb = random_frame(40, 32, 1);
  // The same pixels as BGRx: the model input must not change.
  std::vector<uint8_t> bgrx(40 * 32 * 4);
  for (int i = 0; i < 40 * 32; ++i) {
    bgrx[i * 4 + 0] = rgb.pixels[i * 3 + 2];
    bgrx[i * 4 + 1] = rgb.pixels[i * 3 + 1];
    bgrx[i * 4 + 2] = rgb.pixels[i * 3 + 0];
  }
  const ImageView bgrx_view{bgrx.data(), 40, 32, 40 * 4, PixelLayout::BGRx};
  const auto from_rgb = to_model_input(rgb.view, *model);
  EXPECT_EQ(max_abs_difference(from_rgb, to_model_input(bgrx_view, *model)), 0.f);
  // At the input size no resize happens: (pixel / 255 - mean) / std, with mean 0.5 and std 0.25 for red.
  const float expected_red = (rgb.pixels[0] / 255.f - 0.5f) / 0.25f;
  EXPECT_NEAR(from_rgb[0][0][0][0].item<float>(), expected_red, 1e-5f);
  EXPECT_EQ(from_rgb.sizes(), (std::vector<int64_t>{1, 3, 32, 40}));
}

TEST(ModelInput, ResizesAnyFrameSize) {
  const auto model = Model::load(test_model("tiny_gray.pt"));
  Frame frame = random_frame(97, 61, 2, PixelLayout::BGRA);
  EXPECT_EQ(to_model_input(frame.view, *model).sizes(), (std::vector<int64_t>{1, 1, 24, 24}));
}

ReuseOptions reuse(int interval, bool rolling = false, double drift = 0.0, double smoothing = 0.0) {
  return {interval, rolling, drift, smoothing};
}

TEST(FrameExplainer, StaticSceneReuseEqualsFullRecomputation) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  Frame frame = random_frame(80, 64, 3);
  FrameExplainer full(*model, {}, reuse(1));
  FrameExplainer periodic(*model, {}, reuse(4));
  FrameExplainer rolling(*model, {}, reuse(4, true));
  for (int i = 0; i < 6; ++i) {
    const auto reference = full.process(frame.view);
    EXPECT_TRUE(reference.refreshed);
    EXPECT_LE(max_abs_difference(periodic.process(frame.view).map, reference.map), 1e-5f) << "frame " << i;
    EXPECT_LE(max_abs_difference(rolling.process(frame.view).map, reference.map), 1e-5f) << "frame " << i;
  }
}

TEST(FrameExplainer, RefreshesEveryNFrames) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer explainer(*model, {}, reuse(3), /*target_class=*/1);
  std::vector<bool> refreshed;
  for (int i = 0; i < 7; ++i) {
    Frame frame = random_frame(40, 32, 10 + i);
    const auto result = explainer.process(frame.view);
    refreshed.push_back(result.refreshed);
    EXPECT_EQ(result.forward_passes > 1, result.refreshed);
  }
  EXPECT_EQ(refreshed, (std::vector<bool>{true, false, false, true, false, false, true}));
}

TEST(FrameExplainer, RollingSpreadsTheRefresh) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer explainer(*model, {}, reuse(4, true), /*target_class=*/1);
  Frame first = random_frame(40, 32, 20);
  const int channels = explainer.process(first.view).forward_passes - 1;
  ASSERT_GT(channels, 4);
  for (int i = 0; i < 5; ++i) {
    Frame frame = random_frame(40, 32, 21 + i);
    const auto result = explainer.process(frame.view);
    EXPECT_LE(result.forward_passes, 1 + (channels + 3) / 4);
    EXPECT_GT(result.forward_passes, 1);
  }
}

Frame solid_frame(int width, int height, uint8_t red, uint8_t green, uint8_t blue) {
  Frame frame;
  for (int i = 0; i < width * height; ++i) frame.pixels.insert(frame.pixels.end(), {red, green, blue});
  frame.view = {frame.pixels.data(), width, height, static_cast<std::size_t>(width * 3), PixelLayout::RGB};
  return frame;
}

TEST(FrameExplainer, ClassChangeForcesRefresh) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  // The generated model (seed 0) calls black class 0 and pure blue class 1.
  Frame black = solid_frame(40, 32, 0, 0, 0), blue = solid_frame(40, 32, 0, 0, 255);
  FrameExplainer explainer(*model, {}, reuse(100));
  const auto first = explainer.process(black.view);
  EXPECT_TRUE(first.refreshed);
  EXPECT_FALSE(explainer.process(black.view).refreshed);
  const auto changed = explainer.process(blue.view);
  ASSERT_NE(changed.target_class, first.target_class);
  EXPECT_TRUE(changed.refreshed);
}

TEST(FrameExplainer, DriftForcesRefresh) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer explainer(*model, {}, reuse(100, false, 0.01), /*target_class=*/0);
  Frame a = random_frame(40, 32, 30), b = random_frame(40, 32, 31);
  EXPECT_TRUE(explainer.process(a.view).refreshed);
  EXPECT_FALSE(explainer.process(a.view).refreshed) << "no drift on the same frame";
  EXPECT_TRUE(explainer.process(b.view).refreshed) << "unrelated frame drifts far";
}

TEST(FrameExplainer, SmoothingAveragesMaps) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer plain(*model, {}, reuse(1), 0);
  FrameExplainer smooth(*model, {}, reuse(1, false, 0.0, 0.75), 0);
  Frame a = random_frame(40, 32, 40), b = random_frame(40, 32, 41);
  const auto map_a = plain.process(a.view).map, map_b = plain.process(b.view).map;
  smooth.process(a.view);
  EXPECT_LE(max_abs_difference(smooth.process(b.view).map, map_a * 0.75 + map_b * 0.25), 1e-5f);
  smooth.reset();
  EXPECT_LE(max_abs_difference(smooth.process(b.view).map, map_b), 1e-6f);
}

TEST(FrameExplainer, RejectsBadOptions) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_THROW(FrameExplainer(*model, {}, reuse(0)), Error);
  EXPECT_THROW(FrameExplainer(*model, {}, reuse(1, false, -1.0)), Error);
  EXPECT_THROW(FrameExplainer(*model, {}, reuse(1, false, 0.0, 1.0)), Error);
  EXPECT_THROW(FrameExplainer(*model, {}, reuse(1), 5), Error);
}

TEST(FrameExplainer, TopClassesAreSortedWithLabels) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer explainer(*model, {}, reuse(1));
  Frame frame = random_frame(40, 32, 50);
  const auto result = explainer.process(frame.view);
  ASSERT_EQ(result.top.size(), 5u);
  EXPECT_EQ(result.top.front().class_id, result.target_class);
  for (std::size_t i = 1; i < result.top.size(); ++i) EXPECT_GE(result.top[i - 1].probability, result.top[i].probability);
  EXPECT_EQ(result.top.front().label, model->label(result.target_class));
}

TEST(FrameBudget, FitsTheChannelsTheMeasuredCostAllows) {
  FrameBudget budget(0.020);
  EXPECT_EQ(budget.channels(0.005, 100), 4);  // nothing measured yet: a few
  EXPECT_EQ(budget.channels(0.005, 2), 2);
  budget.observe(0.005, 10, 0.010);            // 1 ms a channel
  EXPECT_EQ(budget.channels(0.005, 100), 12);  // 85% of 20 ms, less the 5 ms first pass
  EXPECT_EQ(budget.channels(0.005, 7), 7);
  EXPECT_EQ(budget.channels(0.030, 100), 1);   // the first pass alone overran: still one
  budget.observe(0.005, 10, 0.040);            // slower now: 0.3 * 4 ms + 0.7 * 1 ms
  EXPECT_EQ(budget.channels(0.005, 100), 6);
  EXPECT_THROW(FrameBudget(0.0), Error);
}

// Time a frame spends beyond its first pass and scoring (the map, the drawing) is left out of what
// the next frames score; of several callers' measures of one frame the widest counts.
TEST(FrameBudget, LeavesOutTheRestOfTheFrame) {
  FrameBudget budget(0.020);
  budget.observe(0.005, 10, 0.010);  // 1 ms a channel; 15 ms counted
  budget.observe_frame(0.016);       // the explainer's own measure
  budget.observe_frame(0.018);       // the element's, drawing included: 3 ms beyond what was counted
  budget.observe_frame(0.017);
  EXPECT_EQ(budget.channels(0.005, 100), 12);  // the rest is folded in once the next frame is scored
  budget.observe(0.005, 9, 0.009);
  EXPECT_EQ(budget.channels(0.005, 100), 9);   // 17 ms - 5 ms first pass - 3 ms rest
  budget.observe_frame(0.014);                 // nothing beyond what was counted this time
  budget.observe(0.005, 9, 0.009);
  EXPECT_EQ(budget.channels(0.005, 100), 9);   // 0.7 * 3 ms + 0.3 * 0 ms = 2.1 ms: 9.9 channels
}

ReuseOptions budget_of(double milliseconds) { return {1, false, 0.0, 0.0, milliseconds}; }

// With room for every channel the budget refreshes them all on the second frame (the first,
// unmeasured, scores a few), and on a static scene the map is then full Score-CAM's; with room
// for none it still rescores one channel a frame, and says a full refresh takes K frames.
TEST(FrameExplainer, AFrameBudgetRescoresWhatFits) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  Frame frame = random_frame(80, 64, 3);
  FrameExplainer full(*model, {}, reuse(1));
  const auto reference = full.process(frame.view);
  FrameExplainer roomy(*model, {}, budget_of(1e5));
  EXPECT_TRUE(roomy.budgeted());
  const auto first = roomy.process(frame.view);
  EXPECT_EQ(first.forward_passes, 1 + 4);
  EXPECT_FALSE(first.full_refresh);
  const auto second = roomy.process(frame.view);
  EXPECT_EQ(second.forward_passes, reference.forward_passes - 4);
  EXPECT_LE(max_abs_difference(second.map, reference.map), 1e-5f);
  const auto third = roomy.process(frame.view);
  EXPECT_EQ(third.refresh_period, 1);

  FrameExplainer tight(*model, {}, budget_of(1e-3));
  const int channels = reference.forward_passes - 1;
  for (int i = 0; i < 3; ++i) tight.process(frame.view);
  const auto later = tight.process(frame.view);
  EXPECT_EQ(later.forward_passes, 2);
  EXPECT_EQ(later.refresh_period, channels);
  EXPECT_THROW(FrameExplainer(*model, {}, budget_of(-1.0)), Error);
}

// A gradient method has no scores to spread over frames: the budget does not apply to it.
TEST(FrameExplainer, ABudgetLeavesGradientMethodsWhole) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  FrameExplainer explainer(*model, {}, budget_of(1e-3), -1, MethodOptions{Method::GradCam});
  EXPECT_FALSE(explainer.budgeted());
  Frame frame = random_frame(40, 32, 1);
  EXPECT_TRUE(explainer.process(frame.view).full_refresh);
}

TEST(Caption, NamesTheClassAndTheMapsClassWhenTheyDiffer) {
  FrameResult result;
  result.top = {{3, "boot", 0.874f}, {1, "shirt", 0.1f}};
  result.target_class = 3;
  EXPECT_EQ(caption_text(result, "boot"), "boot 87%");
  result.target_class = 1;
  EXPECT_EQ(caption_text(result, "shirt"), "boot 87% | map: shirt");
}

}  // namespace
}  // namespace scorecam
