// The copies a load chose, remembered for the next load of the same file with the same options on
// this machine (ModelOptions::choice_cache_dir): that load makes those copies alone and times
// nothing, and precision=auto skips its trial; anything else chooses again.
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "reduced_precision.h"
#include "scorecam/bundled_model.h"
#include "scorecam/model.h"
#include "support/scratch_directory.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

namespace fs = std::filesystem;
using scorecam_test::test_model;

// The remembered entries in `directory`.
std::vector<fs::path> entries(const std::string& directory) {
  std::vector<fs::path> found;
  if (!fs::is_directory(directory)) return found;
  for (const auto& entry : fs::directory_iterator(directory)) found.push_back(entry.path());
  return found;
}

// The masked passes' part of the path, and the first pass's.
std::string masked_path(const Model& model) {
  const std::string path = model.inference_path();
  return path.substr(0, path.find("; first pass"));
}
std::string first_pass_path(const Model& model) {
  const std::string path = model.inference_path();
  const auto first = path.find("; first pass");
  return first == std::string::npos ? path : path.substr(first);
}

// A copy of the tiny model and its sidecar in a scratch folder, whose files a test may change.
struct OwnModel {
  scorecam_test::ScratchDirectory folder;
  std::string path = folder.file("tiny.pt");
  OwnModel() {
    fs::copy_file(test_model("tiny_rgb.pt"), path);
    fs::copy_file(test_model("tiny_rgb.json"), folder.file("tiny.json"));
  }
};

ModelOptions cached_in(const scorecam_test::ScratchDirectory& cache) {
  ModelOptions options;
  options.choice_cache_dir = cache.file("choices");
  return options;
}

TEST(CopyChoiceCache, TheNextLoadMakesTheRememberedCopiesAndTimesNothing) {
  scorecam_test::ScratchDirectory cache;
  const ModelOptions options = cached_in(cache);
  const auto chooser = Model::load(test_model("tiny_rgb.pt"), options);
  const std::string chosen = chooser->inference_path();
  EXPECT_NE(chosen.find("the fastest of 2 copies timed at load on batches of 32"), std::string::npos) << chosen;
  EXPECT_NE(chosen.find(" (remembered in " + options.choice_cache_dir + "/copies-"), std::string::npos) << chosen;
  ASSERT_EQ(entries(options.choice_cache_dir).size(), 1u);

  const auto remembering = Model::load(test_model("tiny_rgb.pt"), options);
  const std::string masked = masked_path(*remembering), first = first_pass_path(*remembering);
  const std::string by_earlier = "(remembered in " + entries(options.choice_cache_dir)[0].string() +
                                 " by an earlier load, which chose: ";
  EXPECT_NE(masked.find(by_earlier), std::string::npos) << masked;
  EXPECT_NE(first.find(by_earlier), std::string::npos) << first;
  // What it says it runs is what the earlier load kept; the "timed at load" is the earlier load's.
  EXPECT_EQ(masked.substr(0, masked.find(" (")), masked_path(*chooser).substr(0, masked_path(*chooser).find(" (")));
  EXPECT_LT(masked.find(by_earlier), masked.find("timed at load")) << masked;
  EXPECT_TRUE(remembering->frozen());
  // Same copies, same results.
  const auto input = scorecam_test::load_npy(test_model("tiny_rgb_input.npy"));
  const auto batch = input.repeat({4, 1, 1, 1});
  EXPECT_LE(scorecam_test::max_abs_difference(remembering->classify(batch), chooser->classify(batch)), 1e-6f);
  EXPECT_LE(scorecam_test::max_abs_difference(remembering->forward(input).activations, chooser->forward(input).activations),
            1e-6f);
  EXPECT_EQ(entries(options.choice_cache_dir).size(), 1u);
}

TEST(CopyChoiceCache, AChoiceHoldsForOneFileAsItIsOnDiskAndOneSetOfOptions) {
  scorecam_test::ScratchDirectory cache;
  OwnModel own;
  const ModelOptions options = cached_in(cache);
  Model::load(own.path, options);
  ASSERT_EQ(entries(options.choice_cache_dir).size(), 1u);
  // Other options: another entry, chosen afresh.
  ModelOptions other_layer = options;
  other_layer.target_layer = "features.2";
  const auto layered = Model::load(own.path, other_layer);
  EXPECT_EQ(masked_path(*layered).find("by an earlier load"), std::string::npos) << layered->inference_path();
  EXPECT_EQ(entries(options.choice_cache_dir).size(), 2u);
  // The file written again since: a new model, chosen afresh.
  fs::last_write_time(own.path, fs::last_write_time(own.path) + std::chrono::hours(1));
  const auto rewritten = Model::load(own.path, options);
  EXPECT_EQ(rewritten->inference_path().find("by an earlier load"), std::string::npos) << rewritten->inference_path();
  EXPECT_EQ(entries(options.choice_cache_dir).size(), 3u);
  // Without a directory, nothing is remembered or read.
  const auto uncached = Model::load(own.path);
  EXPECT_EQ(uncached->inference_path().find("remembered"), std::string::npos) << uncached->inference_path();
}

TEST(CopyChoiceCache, AnEntryThatCannotBeReadIsChosenAgainAndRewritten) {
  scorecam_test::ScratchDirectory cache;
  const ModelOptions options = cached_in(cache);
  Model::load(test_model("tiny_rgb.pt"), options);
  const auto entry = entries(options.choice_cache_dir).at(0);
  for (const std::string broken : {"{\"key\": ", "not json at all", "{\"key\": \"another model\"}"}) {
    std::ofstream(entry) << broken;
    const auto model = Model::load(test_model("tiny_rgb.pt"), options);
    EXPECT_EQ(model->inference_path().find("by an earlier load"), std::string::npos) << broken;
    EXPECT_NE(model->inference_path().find("timed at load"), std::string::npos) << broken;
    EXPECT_NE(Model::load(test_model("tiny_rgb.pt"), options)->inference_path().find("by an earlier load"),
              std::string::npos)
        << "not rewritten after " << broken;
  }
}

TEST(CopyChoiceCache, ADirectoryThatCannotBeWrittenCostsTheNextLoadItsTimingOnly) {
  scorecam_test::ScratchDirectory cache;
  std::ofstream(cache.file("a-file")) << "in the way";
  ModelOptions options;
  options.choice_cache_dir = cache.file("a-file");  // a file where the directory should be
  const auto model = Model::load(test_model("tiny_rgb.pt"), options);
  EXPECT_NE(model->inference_path().find("(not remembered for later loads: cannot write"), std::string::npos)
      << model->inference_path();
}

// precision=auto remembers what its trial on the first masked inputs decided, once decided; the
// next load runs that copy from the first batch on.
TEST(CopyChoiceCache, AutoRemembersItsTrial) {
  scorecam_test::ScratchDirectory cache;
  ModelOptions options = cached_in(cache);
  options.precision = "auto";
  const std::string bundled = bundled_model_path();
  ASSERT_FALSE(bundled.empty());
  const auto trying = Model::load(bundled, options);
  ASSERT_NE(trying->inference_path().find("masked inputs it is compared with"), std::string::npos)
      << trying->inference_path();
  EXPECT_TRUE(entries(options.choice_cache_dir).empty());  // nothing decided yet
  const auto input = trying->smooth_test_input().repeat({32, 1, 1, 1});
  for (int64_t rows = 0; rows < detail::PrecisionChoice::kTrialRows; rows += 32) trying->classify(input);
  const std::string decided = masked_path(*trying);
  EXPECT_NE(decided.find("(precision=auto, on the first 64 masked inputs: fp32 "), std::string::npos) << decided;
  ASSERT_EQ(entries(options.choice_cache_dir).size(), 1u) << decided;

  const auto remembering = Model::load(bundled, options);
  const std::string masked = masked_path(*remembering);
  EXPECT_EQ(masked.find("compared with"), std::string::npos) << masked;  // no trial
  EXPECT_NE(masked.find("by an earlier load, which chose: "), std::string::npos) << masked;
  EXPECT_NE(masked.find("(precision=auto, on the first 64 masked inputs: fp32 "), std::string::npos) << masked;
  EXPECT_EQ(masked.substr(0, masked.find(" (")), decided.substr(0, decided.find(" (")));
  EXPECT_EQ(remembering->classify(input).sizes(), trying->classify(input).sizes());
}

}  // namespace
}  // namespace scorecam
