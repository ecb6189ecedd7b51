// Several scorecamoverlay elements in one process: they share one loaded model (share-model) and
// each stream gets the maps it gets when it runs alone.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "support/gst_util.h"
#include "support/test_models.h"

namespace scorecam_test {
namespace {

// What one element put on its buffers, how many elements used its model while it ran, and the
// passes that model had run by then and the requests they served.
struct StreamRecord {
  std::vector<std::vector<float>> maps;
  std::vector<int> classes;
  guint model_users = 0;
  guint64 model_passes = 0, model_requests = 0;
};

GstPadProbeReturn record_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* record = static_cast<StreamRecord*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(buffer)) {
    record->maps.emplace_back(meta->values, meta->values + meta->map_width * meta->map_height);
    record->classes.push_back(meta->class_id);
  }
  // Read while every element is running: a stopped element holds no model.
  GstElement* overlay = gst_pad_get_parent_element(pad);
  guint users = 0;
  guint64 passes = 0, requests = 0;
  g_object_get(overlay, "model-users", &users, "model-passes", &passes, "model-requests", &requests, nullptr);
  record->model_users = std::max(record->model_users, users);
  record->model_passes = std::max(record->model_passes, passes);
  record->model_requests = std::max(record->model_requests, requests);
  gst_object_unref(overlay);
  return GST_PAD_PROBE_OK;
}

std::string branch(const std::string& pattern, int index, const std::string& properties) {
  return "videotestsrc pattern=" + pattern + " num-buffers=5 ! video/x-raw,format=RGB,width=64,height=48 ! "
         "scorecamoverlay name=overlay" + std::to_string(index) + " model-location=" + test_model("tiny_rgb.pt") +
         " batch-size=4 precision=fp32 " + properties + " ! fakesink ";  // fp32: maps compared bit for bit
}

// Runs the branches in one pipeline and returns what each overlay put on its buffers.
std::vector<StreamRecord> run_branches(const std::vector<std::string>& branches) {
  std::string description;
  for (const auto& b : branches) description += b;
  GstElement* pipeline = parse(description);
  std::vector<StreamRecord> records(branches.size());
  for (std::size_t i = 0; i < branches.size(); ++i) {
    GstElement* overlay = gst_bin_get_by_name(GST_BIN(pipeline), ("overlay" + std::to_string(i)).c_str());
    GstPad* src = gst_element_get_static_pad(overlay, "src");
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, record_buffer, &records[i], nullptr);
    gst_object_unref(src);
    gst_object_unref(overlay);
  }
  const RunResult result = run_to_eos(pipeline);
  EXPECT_TRUE(result.ok) << result.error;
  gst_object_unref(pipeline);
  return records;
}

float max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = a.size() == b.size() ? 0.f : INFINITY;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

const std::vector<std::string> kPatterns{"ball", "smpte", "circular"};

TEST(SharedModel, ElementsInOnePipelineShareOneModelAndGetTheirResultsAlone) {
  std::vector<std::string> shared;
  for (std::size_t i = 0; i < kPatterns.size(); ++i) shared.push_back(branch(kPatterns[i], i, ""));
  const auto together = run_branches(shared);
  for (std::size_t i = 0; i < kPatterns.size(); ++i) {
    EXPECT_EQ(together[i].model_users, kPatterns.size()) << kPatterns[i];
    const auto alone = run_branches({branch(kPatterns[i], 0, "share-model=false")});
    EXPECT_EQ(alone[0].model_users, 1u);
    // Alone, every request is a pass of its own; shared, the model also counts the other streams'.
    EXPECT_GT(alone[0].model_passes, 0u);
    EXPECT_EQ(alone[0].model_requests, alone[0].model_passes);
    EXPECT_GT(together[i].model_requests, alone[0].model_requests) << kPatterns[i];
    EXPECT_LE(together[i].model_passes, together[i].model_requests) << kPatterns[i];
    ASSERT_EQ(together[i].maps.size(), 5u) << kPatterns[i];
    ASSERT_EQ(alone[0].maps.size(), 5u) << kPatterns[i];
    EXPECT_EQ(together[i].classes, alone[0].classes) << kPatterns[i];
    for (std::size_t f = 0; f < alone[0].maps.size(); ++f) {
      EXPECT_LT(max_difference(together[i].maps[f], alone[0].maps[f]), 1e-5f) << kPatterns[i] << " frame " << f;
    }
  }
}

TEST(SharedModel, ElementsThatAskForTheirOwnModelOrLoadItDifferentlyDoNotShare) {
  const auto records = run_branches({branch("ball", 0, "share-model=false"), branch("ball", 1, ""),
                                     branch("ball", 2, "parallel-passes=1"), branch("ball", 3, "")});
  EXPECT_EQ(records[0].model_users, 1u);
  EXPECT_EQ(records[1].model_users, 2u);  // with overlay3
  EXPECT_EQ(records[2].model_users, 1u);
  EXPECT_EQ(records[3].model_users, 2u);
}

}  // namespace
}  // namespace scorecam_test
