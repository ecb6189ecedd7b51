// Reduced precision for the masked passes: which device takes which precision, the copies it
// makes, how closely they follow fp32, and what precision=auto keeps.
#include <functional>
#include <regex>

#include <gtest/gtest.h>

#include "reduced_precision.h"
#include "scorecam/device.h"
#include "scorecam/error.h"
#include "scorecam/faithfulness.h"
#include "scorecam/maps.h"
#include "scorecam/score_cam.h"
#include "support/error_message.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::load_npy;
using scorecam_test::test_model;

std::string error_of(const std::function<void()>& body) { return scorecam_test::message_of<Error>(body); }

std::unique_ptr<Model> load_at(const std::string& precision, const std::string& name = "tiny_rgb.pt") {
  ModelOptions options;
  options.precision = precision;
  return Model::load(test_model(name), options);
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

// Runs the trial: kTrialRows masked inputs of the tiny model's input.
void classify_trial_rows(Model& model) {
  const auto input = load_npy(test_model("tiny_rgb_input.npy"));
  for (int64_t rows = 0; rows < detail::PrecisionChoice::kTrialRows; rows += 32) model.classify(input.repeat({32, 1, 1, 1}));
}

// The first pass stays fp32 (the activations are the fp32 model's); the masked passes run in bf16
// once the first 64 masked inputs have compared it with fp32, and their scores, and so the map,
// follow fp32's.
TEST(Precision, Bf16RunsTheMaskedPassesAndKeepsTheFirstPassInFp32) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  const auto fp32 = load_at("fp32"), bf16 = load_at("bf16");
  EXPECT_NE(bf16->inference_path().find("masked inputs it is compared with bf16"), std::string::npos)
      << bf16->inference_path();
  classify_trial_rows(*bf16);
  EXPECT_EQ(bf16->inference_path().rfind("masked passes bf16, frozen", 0), 0u) << bf16->inference_path();
  EXPECT_TRUE(std::regex_search(bf16->inference_path(), std::regex("bf16[^;]*correlating (1\\.00000|0\\.99[0-9]+) with fp32")))
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
  EXPECT_GE(map_correlation(map, expected), 0.99);
}

TEST(Precision, Int8NeedsTheModelsInt8Copy) {
  const std::string error = error_of([] { load_at("int8"); });
  EXPECT_NE(error.find("precision int8 needs the model's int8 copy"), std::string::npos) << error;
  EXPECT_NE(error.find("export_torchvision.py --int8"), std::string::npos) << error;
}

// Auto compares every reduced copy with fp32 on the first masked inputs, then keeps the fastest
// that agrees; the path says what it kept and what it compared.
// Where it has nothing to try (the tiny model has no int8 copy; a CPU without bf16 instructions),
// it says so and why.
TEST(Precision, AutoDecidesOnTheFirstMaskedInputs) {
  const auto model = load_at("auto");
  classify_trial_rows(*model);
  const std::string path = model->inference_path();
  const std::string masked = path.substr(0, path.find("; first pass"));
  EXPECT_NE(masked.find("no int8: the sidecar names no int8 copy"), std::string::npos) << path;
  if (cpu_has_bf16()) {
    EXPECT_NE(masked.find("(precision=auto, on the first 64 masked inputs: fp32 "), std::string::npos) << path;
    EXPECT_NE(masked.find("bf16, frozen"), std::string::npos) << path;
  } else {
    EXPECT_NE(masked.find("(precision=auto, no other copy to try; no bf16: this CPU has no AVX512-BF16"),
              std::string::npos)
        << path;
  }
}

// One copy is fp32 itself and the other its negation: auto keeps the faster agreeing one, never
// one whose probabilities move against fp32's, and a copy asked for stays whatever its agreement.
TEST(Precision, TheChoiceKeepsTheFastestCopyThatAgrees) {
  torch::jit::Module identity("identity");
  identity.define("def forward(self, x):\n  return x\n");
  torch::jit::Module negated("negated");
  negated.define("def forward(self, x):\n  return -x\n");
  const auto copy = [](const torch::jit::Module& module, const char* how, double rate) {
    return detail::PrecisionChoice::Copy{detail::FastestModule({{module, how, true}}), rate};
  };
  const auto batch = torch::randn({detail::PrecisionChoice::kTrialRows, 5}, at::make_generator<at::CPUGeneratorImpl>(3));
  const auto kept_after_trial = [&](detail::PrecisionChoice& choice) {
    EXPECT_TRUE(choice.classify(batch).equal(batch));  // fp32's logits during the trial
    return choice.how();
  };
  std::vector<detail::PrecisionChoice::Copy> two;
  two.push_back(copy(negated, "opposite", 300));
  two.push_back(copy(identity, "same", 200));
  detail::PrecisionChoice automatic(copy(identity, "fp32", 100), std::move(two), false);
  const std::string how = kept_after_trial(automatic);
  EXPECT_EQ(how.rfind("same (precision=auto", 0), 0u) << how;
  EXPECT_NE(how.find("opposite: 300.0 images/s, class probabilities correlating -"), std::string::npos) << how;
  EXPECT_NE(how.find("same: 200.0 images/s, class probabilities correlating 1.00000"), std::string::npos) << how;

  std::vector<detail::PrecisionChoice::Copy> asked;
  asked.push_back(copy(negated, "opposite", 50));
  detail::PrecisionChoice explicit_choice(copy(identity, "fp32", 100), std::move(asked), true);
  EXPECT_EQ(kept_after_trial(explicit_choice).rfind("opposite (asked for", 0), 0u) << explicit_choice.how();
  EXPECT_TRUE(explicit_choice.classify(batch).equal(-batch));
}

}  // namespace
}  // namespace scorecam
