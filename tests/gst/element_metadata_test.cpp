// scorecamoverlay under GstHarness: the metadata and messages it attaches agree with the core.
#include <chrono>
#include <cstdint>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/model.h"
#include "scorecam/score_cam.h"
#include "support/element_harness.h"
#include "support/test_models.h"

namespace scorecam_test {
namespace {

torch::Tensor meta_map(const GstScoreCamMeta* meta) {
  return torch::from_blob(meta->values, {meta->map_height, meta->map_width}, torch::kFloat).clone();
}

// The element must report exactly what the core computes on the same frames, reuse included.
TEST(Metadata, MatchesTheFrameExplainerOnTheSameFrames) {
  auto model = scorecam::Model::load(test_model("tiny_rgb.pt"));
  scorecam::ReuseOptions reuse;
  reuse.refresh_interval = 3;
  scorecam::FrameExplainer explainer(*model, scorecam::ScoreCamOptions{}, reuse, -1);

  Harness h(make_overlay(tiny({{"refresh-interval", "3"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  for (int i = 0; i < 5; ++i) {
    GstBuffer* in = make_frame("RGB", 64, 48, i);
    GST_BUFFER_PTS(in) = i * GST_SECOND / 30;
    GstMapInfo map;
    gst_buffer_map(in, &map, GST_MAP_READ);
    std::vector<uint8_t> pixels(map.data, map.data + map.size);
    gst_buffer_unmap(in, &map);
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_RGB, 64, 48);
    scorecam::ImageView view{pixels.data(), 64, 48, static_cast<size_t>(GST_VIDEO_INFO_PLANE_STRIDE(&info, 0)),
                             scorecam::PixelLayout::RGB};
    torch::NoGradGuard no_grad;
    const scorecam::FrameResult expected = explainer.process(view);

    GstBuffer* out = h.push_pull(in);
    ASSERT_NE(out, nullptr);
    const Classification c = roi_classification(out, 64, 48);
    EXPECT_EQ(c.class_id, expected.top.front().class_id) << "frame " << i;
    EXPECT_EQ(c.label, expected.top.front().label);
    EXPECT_NEAR(c.confidence, expected.top.front().probability, 1e-5);
    const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->class_id, expected.target_class);
    EXPECT_EQ(meta->source_pts, GST_BUFFER_PTS(out));
    ASSERT_EQ(meta->map_width, static_cast<guint>(expected.map.size(1)));
    ASSERT_EQ(meta->map_height, static_cast<guint>(expected.map.size(0)));
    EXPECT_LT((meta_map(meta) - expected.map).abs().max().item<float>(), 1e-6) << "frame " << i;
    gst_buffer_unref(out);
  }
}

TEST(Metadata, SurvivesABufferCopy) {
  Harness h(make_overlay(tiny()));
  h.set_caps(caps_for("RGB", 64, 48));
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  ASSERT_NE(out, nullptr);
  GstBuffer* copy = gst_buffer_copy(out);
  const GstScoreCamMeta* a = gst_buffer_get_scorecam_meta(out);
  const GstScoreCamMeta* b = gst_buffer_get_scorecam_meta(copy);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->values, b->values);  // a copy of its own
  EXPECT_TRUE(torch::equal(meta_map(a), meta_map(b)));
  EXPECT_EQ(a->class_id, b->class_id);
  EXPECT_EQ(a->source_pts, b->source_pts);
  gst_buffer_unref(copy);
  gst_buffer_unref(out);
}

TEST(Messages, OnePerFrameWithTheClassification) {
  Harness h(make_overlay(tiny({{"post-messages", "true"}})));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  h.set_caps(caps_for("BGRx", 64, 48));
  for (int i = 0; i < 3; ++i) {
    GstBuffer* in = make_frame("BGRx", 64, 48, i);
    GST_BUFFER_PTS(in) = i * GST_SECOND;
    const auto pushed = std::chrono::steady_clock::now();
    GstBuffer* out = h.push_pull(in);
    const auto took = std::chrono::steady_clock::now() - pushed;
    ASSERT_NE(out, nullptr);
    const Classification c = roi_classification(out, 64, 48);
    GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
    ASSERT_NE(message, nullptr);
    const GstStructure* s = gst_message_get_structure(message);
    EXPECT_TRUE(gst_structure_has_name(s, "scorecam"));
    guint64 timestamp = 0, source = 0, latency = 0;
    gint class_id = -1, passes = -1;
    gboolean refreshed = FALSE;
    gdouble confidence = -1;
    EXPECT_TRUE(gst_structure_get(s, "timestamp", G_TYPE_UINT64, &timestamp, "source-timestamp", G_TYPE_UINT64, &source,
                                  "class-id", G_TYPE_INT, &class_id, "confidence", G_TYPE_DOUBLE, &confidence,
                                  "refreshed", G_TYPE_BOOLEAN, &refreshed, "forward-passes", G_TYPE_INT, &passes,
                                  "latency", G_TYPE_UINT64, &latency, nullptr));
    EXPECT_EQ(timestamp, i * GST_SECOND);
    EXPECT_EQ(source, timestamp);
    EXPECT_EQ(class_id, c.class_id);
    EXPECT_EQ(gst_structure_get_string(s, "label"), c.label);
    EXPECT_DOUBLE_EQ(confidence, c.confidence);
    EXPECT_TRUE(refreshed);  // refresh-interval 1: full Score-CAM on every frame
    EXPECT_GT(passes, 1);
    // Sync mode: the frame waited for its map, so the map took part of that wait.
    EXPECT_GT(latency, 0u);
    EXPECT_LE(latency, static_cast<guint64>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
    gst_message_unref(message);
    gst_buffer_unref(out);
  }
  EXPECT_EQ(gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT), nullptr);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);
}


// A broken model (NaN class scores): each frame's classification says invalid instead of
// carrying a NaN confidence, no map is attached, and one warning reaches the bus.
TEST(Metadata, NonFiniteModelOutputsAreMarkedInvalidWithOneWarning) {
  Harness h(make_overlay({{"model-location", test_model("nan_output.pt")}, {"post-messages", "true"}}));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  h.set_caps(caps_for("RGB", 64, 48));
  for (int i = 0; i < 3; ++i) {
    GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, i));
    ASSERT_NE(out, nullptr);
    GstVideoRegionOfInterestMeta* roi = gst_buffer_get_video_region_of_interest_meta(out);
    ASSERT_NE(roi, nullptr);
    const GstStructure* c = gst_video_region_of_interest_meta_get_param(roi, "classification");
    ASSERT_NE(c, nullptr);
    gboolean valid = TRUE;
    EXPECT_TRUE(gst_structure_get_boolean(c, "valid", &valid));
    EXPECT_FALSE(valid);
    EXPECT_FALSE(gst_structure_has_field(c, "confidence"));
    EXPECT_EQ(gst_buffer_get_scorecam_meta(out), nullptr);
    gst_buffer_unref(out);
  }
  int warnings = 0, invalid_messages = 0;
  while (GstMessage* message = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_WARNING) ++warnings;
    gboolean valid = TRUE;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT &&
        gst_structure_get_boolean(gst_message_get_structure(message), "valid", &valid) && !valid) {
      ++invalid_messages;
    }
    gst_message_unref(message);
  }
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(invalid_messages, 3);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);
}

}  // namespace
}  // namespace scorecam_test
