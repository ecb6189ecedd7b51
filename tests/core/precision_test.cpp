// Reduced precision for the masked passes: which device takes which precision, the copies it
// makes, how closely they follow fp32, and what precision=auto keeps.
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reduced_precision.h"
#include "scorecam/bundled_model.h"
#include "scorecam/device.h"
#include "scorecam/error.h"
#include "scorecam/faithfulness.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/maps.h"
#include "scorecam/score_cam.h"
#include "scorecam/target_class.h"
#include "support/error_message.h"
#include "support/scratch_directory.h"
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

// Runs the trial: one frame explained in full, whose map decides.
void explain_trial_frame(Model& model) { ScoreCam(model, {}).explain(load_npy(test_model("tiny_rgb_input.npy"))); }

// The first pass stays fp32 (the activations are the fp32 model's); the masked passes run in bf16
// once the first frame's map has compared it with fp32, and their scores, and so the map, follow
// fp32's.
TEST(Precision, Bf16RunsTheMaskedPassesAndKeepsTheFirstPassInFp32) {
  if (!cpu_has_bf16()) GTEST_SKIP() << "this CPU has no bf16 instructions";
  const auto fp32 = load_at("fp32"), bf16 = load_at("bf16");
  EXPECT_NE(bf16->inference_path().find("until the first frame's map compares it with bf16"), std::string::npos)
      << bf16->inference_path();
  explain_trial_frame(*bf16);
  EXPECT_EQ(bf16->inference_path().rfind("masked passes bf16, frozen", 0), 0u) << bf16->inference_path();
  EXPECT_TRUE(std::regex_search(bf16->inference_path(), std::regex("bf16[^;]*its map correlating (1\\.00000|0\\.99[0-9]+) with fp32")))
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

// An int8 copy the sidecar names but that cannot be used (here: missing) leaves auto with the other
// copies, saying why; asked for, it is an error.
TEST(Precision, AutoGoesOnWithoutAnInt8CopyItCannotUse) {
  scorecam_test::ScratchDirectory folder;
  const std::string model = folder.file("tiny.pt");
  std::filesystem::copy_file(test_model("tiny_rgb.pt"), model);
  std::ifstream sidecar_in(test_model("tiny_rgb.json"));
  auto sidecar = nlohmann::json::parse(sidecar_in);
  sidecar["int8_model"] = "tiny.int8.pt";  // never written
  std::ofstream(folder.file("tiny.json")) << sidecar.dump();
  ModelOptions options;
  options.precision = "auto";
  const auto loaded = Model::load(model, options);
  EXPECT_NE(loaded->inference_path().find("no int8: int8 model '" + folder.file("tiny.int8.pt")), std::string::npos)
      << loaded->inference_path();
  options.precision = "int8";
  EXPECT_NE(error_of([&] { Model::load(model, options); }).find("does not exist"), std::string::npos);
}

// Auto compares every reduced copy with fp32 on the first masked inputs, then keeps the fastest
// that agrees; the path says what it kept and what it compared.
// Where it has nothing to try (the tiny model has no int8 copy; a CPU without bf16 instructions),
// it says so and why.
TEST(Precision, AutoDecidesOnTheFirstMaskedInputs) {
  const auto model = load_at("auto");
  explain_trial_frame(*model);
  const std::string path = model->inference_path();
  const std::string masked = path.substr(0, path.find("; first pass"));
  EXPECT_NE(masked.find("no int8: the sidecar names no int8 copy"), std::string::npos) << path;
  if (cpu_has_bf16()) {
    EXPECT_NE(masked.find("(precision=auto, on the first frame's map: fp32 "), std::string::npos) << path;
    EXPECT_NE(masked.find("bf16, frozen"), std::string::npos) << path;
  } else {
    EXPECT_NE(masked.find("(precision=auto, no other copy to try; no bf16: this CPU has no AVX512-BF16"),
              std::string::npos)
        << path;
  }
}

// Two candidates whose maps agree with fp32's by 0.5 and 0.9995 (as a stream reports them): auto
// keeps the faster agreeing one, never one whose map strays, and until then runs fp32; a copy
// asked for stays whatever its agreement. compare() gives every copy's logits during the trial and
// the kept copy's alone after.
TEST(Precision, TheChoiceKeepsTheFastestCopyWhoseMapAgrees) {
  torch::jit::Module identity("identity");
  identity.define("def forward(self, x):\n  return x\n");
  torch::jit::Module negated("negated");
  negated.define("def forward(self, x):\n  return -x\n");
  const auto copy = [](const torch::jit::Module& module, const char* how, double rate) {
    return detail::PrecisionChoice::Copy{detail::FastestModule({{module, how, true}}), rate};
  };
  const auto batch = torch::randn({8, 5}, at::make_generator<at::CPUGeneratorImpl>(3));
  std::vector<detail::PrecisionChoice::Copy> two;
  two.push_back(copy(negated, "strays", 300));
  two.push_back(copy(identity, "agrees", 200));
  detail::PrecisionChoice automatic(copy(identity, "fp32", 100), std::move(two), false);
  EXPECT_FALSE(automatic.settled());
  EXPECT_TRUE(automatic.classify(batch).equal(batch));
  const auto compared = automatic.compare(batch);
  ASSERT_EQ(compared.size(), 3u);
  EXPECT_TRUE(compared[1].equal(-batch));
  automatic.report({0.5});  // not one value per candidate: ignored
  EXPECT_FALSE(automatic.settled());
  automatic.report({0.5, 0.9995});
  ASSERT_TRUE(automatic.settled());
  const std::string how = automatic.how();
  EXPECT_EQ(how.rfind("agrees (precision=auto, on the first frame's map: fp32 100.0 images/s", 0), 0u) << how;
  EXPECT_NE(how.find("strays: 300.0 images/s, its map correlating 0.50000"), std::string::npos) << how;
  EXPECT_NE(how.find("agrees: 200.0 images/s, its map correlating 0.99950"), std::string::npos) << how;
  EXPECT_EQ(automatic.compare(batch).size(), 1u);
  automatic.report({1.0, 1.0});  // closed: ignored
  EXPECT_EQ(automatic.how(), how);

  std::vector<detail::PrecisionChoice::Copy> neither;
  neither.push_back(copy(negated, "strays", 300));
  detail::PrecisionChoice fallback(copy(identity, "fp32", 100), std::move(neither), false);
  fallback.report({0.998});
  EXPECT_EQ(fallback.how().rfind("fp32 (precision=auto", 0), 0u) << fallback.how();
  EXPECT_TRUE(fallback.classify(batch).equal(batch));

  std::vector<detail::PrecisionChoice::Copy> asked;
  asked.push_back(copy(negated, "strays", 50));
  detail::PrecisionChoice explicit_choice(copy(identity, "fp32", 100), std::move(asked), true);
  explicit_choice.report({0.5});
  EXPECT_EQ(explicit_choice.how().rfind("strays (asked for", 0), 0u) << explicit_choice.how();
  EXPECT_TRUE(explicit_choice.classify(batch).equal(-batch));
}

// A stream reports its first frame's map: a model that compares copies (the bundled model's int8
// copy at auto) settles after the first frame a FrameExplainer explains, whatever its reuse.
TEST(Precision, AStreamsFirstFrameDecides) {
  ModelOptions options;
  options.precision = "auto";
  const auto model = Model::load(bundled_model_path(), options);
  ASSERT_TRUE(model->comparing_precisions()) << model->inference_path();
  ReuseOptions rolling;
  rolling.refresh_interval = 8;
  rolling.rolling = true;
  FrameExplainer stream(*model, {}, rolling, kPredictedClass);
  std::vector<uint8_t> pixels(96 * 96 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7919) % 251);
  const auto result = stream.process({pixels.data(), 96, 96, 96 * 3, PixelLayout::RGB});
  EXPECT_TRUE(result.full_refresh);
  EXPECT_FALSE(model->comparing_precisions());
  EXPECT_NE(model->inference_path().find("(precision=auto, on the first frame's map: fp32 "), std::string::npos)
      << model->inference_path();
}

}  // namespace
}  // namespace scorecam
