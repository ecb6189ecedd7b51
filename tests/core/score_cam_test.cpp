// Score-CAM against the Python reference (tests/models/scorecam_reference.py), and its edge cases.
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/maps.h"
#include "scorecam/score_cam.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::max_abs_difference;
using scorecam_test::test_model;

struct Parity {
  std::string model;
  std::string golden;  // suffix of the reference map file
  ScoreCamOptions options;
  bool optimize = true;  // frozen and optimized, or the module as loaded
};

void PrintTo(const Parity& p, std::ostream* os) {
  *os << p.model << " " << p.golden << (p.optimize ? "" : " as loaded");
}

class ScoreCamParity : public ::testing::TestWithParam<Parity> {};

TEST_P(ScoreCamParity, MatchesReference) {
  const auto& p = GetParam();
  ModelOptions model_options;
  model_options.optimize = p.optimize;
  const auto model = Model::load(test_model(p.model + ".pt"), model_options);
  ScoreCam cam(*model, p.options);
  const auto result = cam.explain(load_npy(test_model(p.model + "_input.npy")));
  const auto expected = load_npy(test_model(p.model + "_" + p.golden + ".npy"));
  ASSERT_EQ(result.map.sizes(), expected.sizes());
  EXPECT_FALSE(result.empty);
  EXPECT_LE(max_abs_difference(result.map, expected), 1e-4f);
}

ScoreCamOptions options_for(ScoreMode mode, int batch, int max_channels = 0,
                            ChannelSelection selection = ChannelSelection::StdDev) {
  return {mode, batch, max_channels, selection};
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ScoreCamParity,
    ::testing::Values(
        Parity{"tiny_rgb", "probability", options_for(ScoreMode::Probability, 5)},
        Parity{"tiny_rgb", "logit-softmax", options_for(ScoreMode::LogitSoftmax, 5)},
        Parity{"tiny_rgb", "cic", options_for(ScoreMode::BaselineSubtracted, 5)},
        Parity{"tiny_rgb", "std4", options_for(ScoreMode::Probability, 3, 4)},
        Parity{"tiny_rgb", "centred", options_for(ScoreMode::Centred, 5)},
        // centred's mean is over the scored channels only, not the unscored ones' zero weights.
        Parity{"tiny_rgb", "centred-std4", options_for(ScoreMode::Centred, 3, 4)},
        // batch-size above the channel count, max-channels above the channel count.
        Parity{"tiny_rgb", "probability", options_for(ScoreMode::Probability, 64, 100)},
        Parity{"tiny_gray", "probability", options_for(ScoreMode::Probability, 4)},
        Parity{"tiny_gray", "logit-softmax", options_for(ScoreMode::LogitSoftmax, 7)},
        Parity{"tiny_gray", "cic", options_for(ScoreMode::BaselineSubtracted, 16)},
        Parity{"tiny_gray", "centred", options_for(ScoreMode::Centred, 16)},
        // The module as loaded, which frozen copies are checked against and fall back to.
        Parity{"tiny_rgb", "probability", options_for(ScoreMode::Probability, 5), false},
        Parity{"tiny_rgb", "logit-softmax", options_for(ScoreMode::LogitSoftmax, 5), false},
        Parity{"tiny_rgb", "cic", options_for(ScoreMode::BaselineSubtracted, 5), false},
        Parity{"tiny_rgb", "centred", options_for(ScoreMode::Centred, 5), false},
        // A scripted model whose first pass cannot be frozen: masked passes frozen, first pass as loaded.
        Parity{"tiny_branchy", "probability", options_for(ScoreMode::Probability, 5)},
        Parity{"tiny_branchy", "logit-softmax", options_for(ScoreMode::LogitSoftmax, 6)},
        Parity{"tiny_branchy", "cic", options_for(ScoreMode::BaselineSubtracted, 7)},
        Parity{"tiny_branchy", "centred", options_for(ScoreMode::Centred, 7)},
        Parity{"tiny_branchy", "std4", options_for(ScoreMode::Probability, 3, 4)}),
    [](const auto& info) {
      return info.param.model + "_" + std::to_string(info.index) + (info.param.optimize ? "" : "_as_loaded");
    });

TEST(ScoreCam, AllChannelsConstantGivesEmptyMapNotNaN) {
  const auto model = Model::load(test_model("dead_channels.pt"));
  ScoreCam cam(*model, {});
  const auto result = cam.explain(torch::randn({1, 3, 32, 40}));
  EXPECT_TRUE(result.empty);
  EXPECT_EQ(result.channels_evaluated, 0);
  EXPECT_FALSE(result.map.isnan().any().item<bool>());
  EXPECT_EQ(result.map.abs().max().item<float>(), 0.f);
}

TEST(ScoreCam, SelectionsPickTheRequestedCount) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  const auto activations = model->forward(input).activations;
  for (auto selection : {ChannelSelection::StdDev, ChannelSelection::Mean, ChannelSelection::Random}) {
    ScoreCam cam(*model, options_for(ScoreMode::Probability, 8, 6, selection));
    const auto chosen = cam.select_channels(activations);
    EXPECT_EQ(chosen.numel(), 6) << channel_selection_name(selection);
    EXPECT_TRUE(chosen.equal(std::get<0>(chosen.sort()))) << "indices are sorted";
  }
  // Mean selection ranks by mean activation: its choice has the largest means.
  ScoreCam by_mean(*model, options_for(ScoreMode::Probability, 8, 3, ChannelSelection::Mean));
  const auto means = activations[0].flatten(1).mean(1);
  const auto chosen_means = means.index_select(0, by_mean.select_channels(activations));
  EXPECT_GE(chosen_means.min().item<float>(), std::get<0>(means.topk(3)).min().item<float>() - 1e-6f);
  // The same seed draws the same channels; another seed, different ones.
  ScoreCam seeded_a(*model, options_for(ScoreMode::Probability, 8, 6, ChannelSelection::Random));
  ScoreCam seeded_b(*model, options_for(ScoreMode::Probability, 8, 6, ChannelSelection::Random));
  auto other_options = options_for(ScoreMode::Probability, 8, 6, ChannelSelection::Random);
  other_options.seed = 7;
  ScoreCam seeded_c(*model, other_options);
  EXPECT_TRUE(seeded_a.select_channels(activations).equal(seeded_b.select_channels(activations)));
  EXPECT_FALSE(seeded_a.select_channels(activations).equal(seeded_c.select_channels(activations)));
}

TEST(ScoreCam, ExplicitTargetClassAndRange) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  ScoreCam cam(*model, {});
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  EXPECT_EQ(cam.explain(input, 3).target_class, 3);
  EXPECT_THROW(cam.explain(input, 5), Error);
}

TEST(ScoreCam, EstimatesAFrameWithoutChangingAnyResult) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  ScoreCam cam(*model, options_for(ScoreMode::Probability, 4));
  const double seconds = cam.estimate_seconds_per_frame();
  EXPECT_GT(seconds, 0.0);
  EXPECT_LT(seconds, 10.0);
  const auto result = cam.explain(load_npy(test_model("tiny_rgb_input.npy")));
  EXPECT_LE(max_abs_difference(result.map, load_npy(test_model("tiny_rgb_probability.npy"))), 1e-4f);
}

TEST(ScoreCam, RejectsBadOptions) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_THROW(ScoreCam(*model, options_for(ScoreMode::Probability, 0)), Error);
  EXPECT_THROW(ScoreCam(*model, options_for(ScoreMode::Probability, 4, -1)), Error);
  EXPECT_THROW(parse_score_mode("logits"), Error);
  EXPECT_EQ(parse_score_mode("cic"), ScoreMode::BaselineSubtracted);
  EXPECT_EQ(parse_score_mode("centred"), ScoreMode::Centred);
  EXPECT_EQ(parse_channel_selection("random"), ChannelSelection::Random);
}

TEST(ScoreCam, NormalizePlanesHandlesConstantPlanes) {
  const auto planes = torch::stack({torch::full({2, 3}, 4.f), torch::arange(6, torch::kFloat).view({2, 3})});
  const auto normalized = normalize_planes(planes);
  EXPECT_EQ(normalized[0].abs().max().item<float>(), 0.f);
  EXPECT_FLOAT_EQ(normalized[1].max().item<float>(), 1.f);
  EXPECT_FLOAT_EQ(normalized[1].min().item<float>(), 0.f);
}

}  // namespace
}  // namespace scorecam
