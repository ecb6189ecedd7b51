// Loading models and configs: every bad input gives an actionable message, never a crash.
#include <filesystem>
#include <fstream>
#include <functional>

#include <sys/resource.h>

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "scorecam/bundled_model.h"
#include "scorecam/error.h"
#include "scorecam/model.h"
#include "scorecam/model_config.h"
#include "scorecam/score_cam.h"
#include "support/error_message.h"
#include "support/test_data.h"
#include "support/test_models.h"

extern char** environ;

namespace scorecam {
namespace {

using scorecam_test::test_model;

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / ("scorecam_test_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

std::string error_of(const std::function<void()>& load) { return scorecam_test::message_of<Error>(load); }

TEST(Model, LoadsSidecarAndTargetLayer) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_EQ(model->target_layer(), "features.4");
  EXPECT_EQ(model->num_classes(), 5);
  EXPECT_EQ(model->input_channels(), 3);
  EXPECT_EQ(model->config().input_height, 32);
  EXPECT_EQ(model->config().input_width, 40);
  EXPECT_EQ(model->activation_shape(), (std::vector<int64_t>{16, 16, 20}));
  EXPECT_EQ(model->label(2), "gamma");
  EXPECT_EQ(model->label(7), "class 7");
}

TEST(Model, RunsOnTheFastestFrozenCopy) {
  const auto model = Model::load(test_model("tiny_rgb.pt"));
  EXPECT_TRUE(model->frozen());
  // Both passes chose their copy at load: masked batches of 32, and first passes of one image.
  const std::string path = model->inference_path();
  EXPECT_NE(path.find("(the fastest of 2 copies timed at load on batches of 32: "), std::string::npos) << path;
  EXPECT_NE(path.find("first pass frozen"), std::string::npos) << path;
  EXPECT_NE(path.find("(the fastest of 2 copies timed at load on batches of 1: "), std::string::npos) << path;
  ModelOptions as_loaded;
  as_loaded.optimize = false;
  const auto plain = Model::load(test_model("tiny_rgb.pt"), as_loaded);
  EXPECT_FALSE(plain->frozen());
  EXPECT_EQ(plain->inference_path(), "as loaded (optimization off)");
  // The copy kept gives the same logits and activations as the module as loaded (no BatchNorm
  // here: only oneDNN's order of summation differs).
  const auto input = scorecam_test::load_npy(test_model("tiny_rgb_input.npy"));
  const auto reference = plain->forward(input);
  const auto batch = input.repeat({4, 1, 1, 1});
  for (int call = 0; call < 8; ++call) {
    const auto result = model->forward(input);
    EXPECT_LE(scorecam_test::max_abs_difference(result.logits, reference.logits), 1e-5f) << call;
    EXPECT_LE(scorecam_test::max_abs_difference(result.activations, reference.activations), 1e-5f) << call;
    EXPECT_LE(scorecam_test::max_abs_difference(model->classify(batch)[3], reference.logits[0]), 1e-5f) << call;
  }
}

TEST(Model, ControlFlowAroundTheTargetFallsBackToTheModuleAsLoaded) {
  const auto model = Model::load(test_model("tiny_branchy.pt"));
  EXPECT_FALSE(model->frozen());
  const std::string path = model->inference_path();
  EXPECT_EQ(path.rfind("masked passes frozen", 0), 0u) << path;
  EXPECT_NE(path.find("first pass as loaded, not frozen"), std::string::npos) << path;
  EXPECT_NE(path.find("control flow"), std::string::npos) << path;
  // Every frame's activations, not only the first's: the attribute is overwritten on each pass.
  const auto input = scorecam_test::load_npy(test_model("tiny_branchy_input.npy"));
  const auto first = model->forward(input).activations.clone();
  const auto second = model->forward(input * 2).activations;
  EXPECT_GT(scorecam_test::max_abs_difference(first, second), 1e-3f);
  EXPECT_LE(scorecam_test::max_abs_difference(model->forward(input).activations, first), 1e-6f);
}

// The bundled model's masked batches allocate intermediates of about 19 MB. Handed back to the
// system after each batch, they cost about 10 000 page faults a frame (see core/src/cpu_runtime.h);
// kept for reuse, none once the stream has settled.
TEST(Model, StreamsOnTheCpuWithoutPageFaults) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "AddressSanitizer replaces malloc: there is no glibc malloc to tune";
#endif
  for (char** entry = environ; *entry; ++entry) {
    if (std::string(*entry).rfind("MALLOC_", 0) == 0 || std::string(*entry).rfind("GLIBC_TUNABLES=", 0) == 0) {
      GTEST_SKIP() << "the environment tunes malloc itself: " << *entry;
    }
  }
  const auto model = Model::load(bundled_model_path());
  ScoreCam cam(*model, {});
  const auto input = torch::randn({1, 3, 96, 96}, at::make_generator<at::CPUGeneratorImpl>(3));
  for (int frame = 0; frame < 6; ++frame) cam.explain(input);  // the model settles on its copies
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  for (int frame = 0; frame < 5; ++frame) cam.explain(input);
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_minflt - before.ru_minflt, 1000) << "minor page faults over 5 frames";
}

TEST(Model, DefaultTargetIsLastSpatialLayer) {
  // The sidecar's target is overridden by an empty one through a config without target_layer.
  const auto config = temp_file("no_target.json", R"({"input_size": [32, 40]})");
  ModelOptions options;
  options.config_path = config;
  const auto model = Model::load(test_model("tiny_rgb.pt"), options);
  // `features` (the Sequential) completes after features.4, with the same [16, 16, 20] output.
  EXPECT_EQ(model->target_layer(), "features");
}

TEST(Model, InfersGrayscaleInputFromFirstConvolution) {
  const auto model = Model::load(test_model("tiny_gray.pt"));
  EXPECT_EQ(model->input_channels(), 1);
}

TEST(Model, ListsLayersInCompletionOrder) {
  const auto layers = Model::list_layers(test_model("tiny_rgb.pt"));
  std::vector<std::string> names;
  for (const auto& layer : layers) names.push_back(layer.name);
  EXPECT_EQ(names, (std::vector<std::string>{"features.0", "features.1", "features.2", "features.3", "features.4",
                                             "features", "pool"}));
  EXPECT_EQ(layers.back().shape, (std::vector<int64_t>{1, 16, 1, 1}));
}

TEST(Model, MissingFile) {
  EXPECT_NE(error_of([] { Model::load("/nonexistent/model.pt"); }).find("does not exist"), std::string::npos);
}

TEST(Model, NotTorchScript) {
  const auto path = temp_file("text.pt", "this is not a model\n");
  const auto message = error_of([&] { Model::load(path); });
  EXPECT_NE(message.find("not a readable TorchScript model"), std::string::npos) << message;
  EXPECT_NE(message.find("torch.jit.trace"), std::string::npos) << message;
}

TEST(Model, TruncatedFile) {
  std::ifstream in(test_model("tiny_rgb.pt"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto path = temp_file("truncated.pt", bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(error_of([&] { Model::load(path); }).find("not a readable TorchScript model"), std::string::npos);
}

TEST(Model, OutputNotClassScores) {
  const auto message = error_of([] { Model::load(test_model("flat_output.pt")); });
  EXPECT_NE(message.find("[N, classes]"), std::string::npos) << message;
}

TEST(Model, UnknownLayerListsValidOnes) {
  ModelOptions options;
  options.target_layer = "layer9";
  const auto message = error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); });
  EXPECT_NE(message.find("unknown layer 'layer9'"), std::string::npos) << message;
  EXPECT_NE(message.find("features.0, features.1, features.2, features.3, features.4, features"), std::string::npos)
      << message;
}

TEST(Model, OneByOneLayerRejected) {
  ModelOptions options;
  options.target_layer = "features.1";
  const auto message = error_of([&] { Model::load(test_model("tiny_1x1.pt"), options); });
  EXPECT_NE(message.find("[1, 4, 1, 1]"), std::string::npos) << message;
  EXPECT_NE(message.find("use one of: features.0"), std::string::npos) << message;
}

TEST(Model, MalformedSidecar) {
  ModelOptions options;
  options.config_path = temp_file("broken.json", R"({"input_size": [32, )");
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("malformed model config"),
            std::string::npos);
  options.config_path = temp_file("bad_order.json", R"({"color_order": "RBG"})");
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("\"color_order\""),
            std::string::npos);
}

TEST(Model, MeanStdMustMatchChannels) {
  ModelOptions options;
  options.config_path = temp_file("rgb_stats.json", R"({"input_size": [24, 24]})");  // ImageNet's 3 values
  const auto message = error_of([&] { Model::load(test_model("tiny_gray.pt"), options); });
  EXPECT_NE(message.find("1 input channel(s)"), std::string::npos) << message;
}

TEST(Model, LabelCountMustMatchClasses) {
  ModelOptions options;
  options.labels_path = temp_file("labels.txt", "one\ntwo\n");
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("5 classes but 2 labels"),
            std::string::npos);
}

// Labels and sidecars are UTF-8: a Latin-1 "Caf\xE9" is refused naming the file, the line and the
// byte, through Model::load as the element and the programs load; UTF-8 "Café" is kept as it is.
TEST(Model, LabelsAndSidecarsMustBeUtf8) {
  ModelOptions options;
  options.labels_path = temp_file("latin1_labels.txt", "shirt\nCaf\xE9\nshoe\nbag\nhat\n");
  auto message = error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); });
  EXPECT_NE(message.find("labels file '" + options.labels_path + "' is not UTF-8: line 2, byte 4 (0xE9)"),
            std::string::npos) << message;

  options.labels_path.clear();
  options.config_path = temp_file("latin1_sidecar.json", "{\"input_size\": [32, 32],\n \"labels\": [\"Caf\xE9\"]}");
  message = error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); });
  EXPECT_NE(message.find("model config '" + options.config_path + "' is not UTF-8: line 2, byte 17"),
            std::string::npos) << message;

  // Forms UTF-8 forbids: overlong, a surrogate, beyond U+10FFFF, a sequence cut short at the end.
  for (const std::string bad : {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    const std::string path = temp_file("bad_utf8.txt", "a\nb\nc" + bad);
    EXPECT_NE(error_of([&] { load_labels(path); }).find("line 3, byte 2"), std::string::npos) << path;
  }

  const auto labels = load_labels(temp_file("utf8_labels.txt", "shirt\r\nCaf\xC3\xA9\n\xE2\x82\xAC\n\xF0\x9F\x91\x9F\n"));
  EXPECT_EQ(labels, (std::vector<std::string>{"shirt", "Caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x91\x9F"}));
}

TEST(Model, CudaOrHalfPrecisionWithoutCudaIsAnError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  ModelOptions options;
  options.device = "cuda";
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("no CUDA device"),
            std::string::npos);
  options.device = "cpu";
  options.precision = "fp16";
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("needs a CUDA device"),
            std::string::npos);
  options.device = "gpu";
  EXPECT_NE(error_of([&] { Model::load(test_model("tiny_rgb.pt"), options); }).find("use cpu, cuda or cuda:N"),
            std::string::npos);
}

}  // namespace
}  // namespace scorecam
