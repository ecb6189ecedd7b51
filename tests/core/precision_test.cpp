// Reduced precision for the masked passes: which device takes which precision, the copies it
// makes, how closely they follow fp32, and what precision=auto keeps.
#include <regex>

#include <gtest/gtest.h>

#include "reduced_precision.h"
#include "scorecam/device.h"
#include "scorecam/error.h"
#include "scorecam/maps.h"
#include "scorecam/score_cam.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::test_model;

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::unique_ptr<Model> load_at(const std::string& precision, const std::string& name = "tiny_rgb.pt") {
  ModelOptions options;
  options.precision = precision;
  return Model::load(test_model(name), options);
}

double correlation(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.flatten().to(torch::kDouble), y = b.flatten().to(torch::kDouble);
  const auto dx = x - x.mean(), dy = y - y.mean();
  return ((dx * dy).sum() / (dx.norm() * dy.norm())).item<double>();
}

TEST(Precision, EachNeedsTheDeviceThatRunsIt) {
  const torch::Device cpu(torch::kCPU);
  EXPECT_EQ(parse_precision("auto", cpu), Precision::Auto);
  EXPECT_EQ(parse_precision("int8", cpu), Precision::Int8);
  EXPECT_NE(error_of([&] { parse_precision("fp16", cpu); }).find("fp16 needs a CUDA device"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_precision("fp8", cpu); }).find("use one of fp32, fp16, bf16, int8, auto"),
            std::string::npos);
  if (cpu_has_bf16()) {
    EXPECT_EQ(parse_precision("bf16", cpu), Precision::BFloat16);
  } else {
    EXPECT_NE(error_of([&] { parse_precision("bf16", cpu); }).find("AVX512-BF16 or AMX-BF16"), std::string::npos);
  }
}

// The first pass stays fp32 (the activations are the fp32 model's); the masked passes run in bf16
// and their scores, and so the map, follow fp32's.
TEST(Precision, Bf16RunsTheMaskedPassesAndKeepsTheFirstPassInFp32) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  const auto fp32 = load_at("fp32"), bf16 = load_at("bf16");
  EXPECT_EQ(bf16->inference_path().rfind("masked passes bf16, frozen", 0), 0u) << bf16->inference_path();
  EXPECT_TRUE(std::regex_search(bf16->inference_path(), std::regex("correlating 0\\.99[0-9]+ with fp32")))
      << bf16->inference_path();
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  const auto first = bf16->forward(input), reference = fp32->forward(input);
  EXPECT_EQ(first.activations.scalar_type(), torch::kFloat);
  EXPECT_LE(scorecam_test::max_abs_difference(first.activations, reference.activations), 1e-5f);
  const auto logits = bf16->classify(input.repeat({4, 1, 1, 1}));
  EXPECT_EQ(logits.scalar_type(), torch::kFloat);
  EXPECT_LE(scorecam_test::max_abs_difference(logits[0], reference.logits[0]),
            0.05f * reference.logits.abs().max().item<float>());
  const auto map = ScoreCam(*bf16, {}).explain(input).map, expected = ScoreCam(*fp32, {}).explain(input).map;
  EXPECT_GE(correlation(map, expected), 0.99);
}

TEST(Precision, Int8NeedsTheModelsInt8Copy) {
  const std::string error = error_of([] { load_at("int8"); });
  EXPECT_NE(error.find("precision int8 needs the model's int8 copy"), std::string::npos) << error;
  EXPECT_NE(error.find("export_torchvision.py --int8"), std::string::npos) << error;
}

// Auto keeps the fastest copy among fp32's and the reduced ones whose target-class probabilities
// correlate 0.999 or more with fp32's; the path says which, and what it left out and why.
TEST(Precision, AutoKeepsOnlyCopiesThatAgreeWithFp32) {
  const auto model = load_at("auto");
  const std::string path = model->inference_path();
  const int candidates = cpu_has_bf16() ? 4 : 2;
  const std::regex below("below 0.999");
  const int left_out = static_cast<int>(std::distance(std::sregex_iterator(path.begin(), path.end(), below),
                                                      std::sregex_iterator()));
  EXPECT_NE(path.find("the fastest of " + std::to_string(candidates - left_out) + " copies timed at load on batches of 32"),
            std::string::npos) << path;
  std::smatch kept;
  const std::string masked = path.substr(0, path.find("; first pass"));
  if (std::regex_search(masked, kept, std::regex("correlating ([0-9.]+) with fp32"))) {
    EXPECT_GE(std::stod(kept[1]), detail::kAutoAgreement) << path;
  }
}

// The agreement measure itself: a copy that is the module agrees fully; one whose scores move
// against fp32's does not.
TEST(Precision, AgreementIsTheCorrelationOfTheTargetClassProbabilities) {
  torch::jit::Module identity("identity");
  identity.define("def forward(self, x):\n  return x\n");
  torch::jit::Module negated("negated");
  negated.define("def forward(self, x):\n  return -x\n");
  const auto batch = torch::randn({16, 5}, at::make_generator<at::CPUGeneratorImpl>(3));
  detail::Variant same{identity, "same", true}, opposite{negated, "opposite", true};
  EXPECT_NEAR(detail::agreement(same, identity, batch, 2), 1.0, 1e-12);
  EXPECT_LT(detail::agreement(opposite, identity, batch, 2), 0.0);
}

}  // namespace
}  // namespace scorecam
