// The result codec (gst-plugin/result_codec): what scorecamoverlay writes into the region-of-interest
// meta and the "scorecam" message reads back field for field, under the names docs/element.md
// documents (spelt out here on purpose: they are what applications read); invalid results carry no
// label nor confidence; missing fields keep their defaults; other structures are not results.
#include <optional>
#include <string>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "result_codec.h"

using scorecam_gst::attach_classification;
using scorecam_gst::Classification;
using scorecam_gst::classification_of;
using scorecam_gst::read_result_message;
using scorecam_gst::result_message_structure;
using scorecam_gst::ResultMessage;

namespace {

void expect_same(const Classification& a, const Classification& b) {
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.class_id, b.class_id);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.confidence, b.confidence);
}

ResultMessage every_field_set() {
  ResultMessage r;
  r.classification = {true, 3, "Dress", 0.8125};
  r.timestamp = 2 * GST_SECOND;
  r.running_time = 5 * GST_SECOND;
  r.source_timestamp = GST_SECOND;
  r.target_class = 7;
  r.refreshed = true;
  r.forward_passes = 129;
  r.refresh_period = 16;
  r.latency = 40 * GST_MSECOND;
  return r;
}

TEST(ResultCodec, AClassificationRoundTripsThroughTheRegionOfInterest) {
  GstBuffer* buffer = gst_buffer_new();
  const Classification written{true, 3, "Dress", 0.8125};
  attach_classification(buffer, 64, 48, written);

  GstVideoRegionOfInterestMeta* roi = gst_buffer_get_video_region_of_interest_meta(buffer);
  ASSERT_NE(roi, nullptr);
  EXPECT_EQ(roi->roi_type, g_quark_from_string("scorecam"));
  EXPECT_EQ(roi->w, 64u);
  EXPECT_EQ(roi->h, 48u);
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, "classification");
  ASSERT_NE(s, nullptr);
  gboolean valid = FALSE;
  gint class_id = -1;
  gdouble confidence = 0;
  EXPECT_TRUE(gst_structure_get_boolean(s, "valid", &valid) && valid);
  EXPECT_TRUE(gst_structure_get_int(s, "class-id", &class_id));
  EXPECT_EQ(class_id, 3);
  EXPECT_STREQ(gst_structure_get_string(s, "label"), "Dress");
  EXPECT_TRUE(gst_structure_get_double(s, "confidence", &confidence));
  EXPECT_EQ(confidence, 0.8125);

  const auto read = classification_of(buffer);
  ASSERT_TRUE(read.has_value());
  expect_same(*read, written);
  gst_buffer_unref(buffer);
}

TEST(ResultCodec, AResultMessageRoundTripsEveryField) {
  const ResultMessage written = every_field_set();
  GstStructure* s = result_message_structure(written);
  EXPECT_TRUE(gst_structure_has_name(s, "scorecam"));
  const std::pair<const char*, GType> fields[] = {
      {"valid", G_TYPE_BOOLEAN},       {"label", G_TYPE_STRING},        {"class-id", G_TYPE_INT},
      {"confidence", G_TYPE_DOUBLE},   {"timestamp", G_TYPE_UINT64},    {"running-time", G_TYPE_UINT64},
      {"source-timestamp", G_TYPE_UINT64}, {"target-class", G_TYPE_INT}, {"refreshed", G_TYPE_BOOLEAN},
      {"forward-passes", G_TYPE_INT},  {"refresh-period", G_TYPE_INT}, {"latency", G_TYPE_UINT64}};
  for (const auto& [name, type] : fields) EXPECT_TRUE(gst_structure_has_field_typed(s, name, type)) << name;
  EXPECT_EQ(gst_structure_n_fields(s), static_cast<gint>(std::size(fields)));

  const auto read = read_result_message(s);
  gst_structure_free(s);
  ASSERT_TRUE(read.has_value());
  expect_same(read->classification, written.classification);
  EXPECT_EQ(read->timestamp, written.timestamp);
  EXPECT_EQ(read->running_time, written.running_time);
  EXPECT_EQ(read->source_timestamp, written.source_timestamp);
  EXPECT_EQ(read->target_class, written.target_class);
  EXPECT_EQ(read->refreshed, written.refreshed);
  EXPECT_EQ(read->forward_passes, written.forward_passes);
  EXPECT_EQ(read->refresh_period, written.refresh_period);
  EXPECT_EQ(read->latency, written.latency);
}

TEST(ResultCodec, AnInvalidResultHasNoLabelNorConfidenceAndNoClass) {
  ResultMessage written = every_field_set();
  written.classification = {false, 3, "Dress", 0.5};  // what a non-finite output must not claim
  GstStructure* s = result_message_structure(written);
  gboolean valid = TRUE;
  gint class_id = 0;
  EXPECT_TRUE(gst_structure_get_boolean(s, "valid", &valid));
  EXPECT_FALSE(valid);
  EXPECT_TRUE(gst_structure_get_int(s, "class-id", &class_id));
  EXPECT_EQ(class_id, -1);
  EXPECT_FALSE(gst_structure_has_field(s, "label"));
  EXPECT_FALSE(gst_structure_has_field(s, "confidence"));
  const auto read = read_result_message(s);
  gst_structure_free(s);
  ASSERT_TRUE(read.has_value());
  expect_same(read->classification, Classification{false, -1, "", 0});
  EXPECT_EQ(read->forward_passes, written.forward_passes);  // the rest of the message is still there

  GstBuffer* buffer = gst_buffer_new();
  attach_classification(buffer, 8, 8, written.classification);
  const auto in_meta = classification_of(buffer);
  ASSERT_TRUE(in_meta.has_value());
  expect_same(*in_meta, Classification{false, -1, "", 0});
  gst_buffer_unref(buffer);
}

TEST(ResultCodec, MissingFieldsKeepTheirDefaults) {
  GstStructure* empty = gst_structure_new_empty("scorecam");
  const auto none = read_result_message(empty);
  gst_structure_free(empty);
  ASSERT_TRUE(none.has_value());
  expect_same(none->classification, Classification{});
  EXPECT_TRUE(none->classification.valid);  // a structure without "valid" reads as valid
  EXPECT_EQ(none->timestamp, GST_CLOCK_TIME_NONE);
  EXPECT_EQ(none->running_time, GST_CLOCK_TIME_NONE);
  EXPECT_EQ(none->source_timestamp, GST_CLOCK_TIME_NONE);
  EXPECT_EQ(none->target_class, -1);
  EXPECT_FALSE(none->refreshed);
  EXPECT_EQ(none->forward_passes, 0);

  // One field missing leaves those after it read.
  GstStructure* some = gst_structure_new("scorecam", "class-id", G_TYPE_INT, 4, "forward-passes", G_TYPE_INT, 9,
                                         "running-time", G_TYPE_UINT64, GST_SECOND, nullptr);
  const auto partial = read_result_message(some);
  gst_structure_free(some);
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->classification.class_id, 4);
  EXPECT_EQ(partial->forward_passes, 9);
  EXPECT_EQ(partial->running_time, GST_SECOND);
  EXPECT_EQ(partial->timestamp, GST_CLOCK_TIME_NONE);

  // A region of interest of the element's type without the parameter: a result, with defaults.
  GstBuffer* buffer = gst_buffer_new();
  gst_buffer_add_video_region_of_interest_meta(buffer, "scorecam", 0, 0, 8, 8);
  const auto bare = classification_of(buffer);
  ASSERT_TRUE(bare.has_value());
  expect_same(*bare, Classification{});
  gst_buffer_unref(buffer);
}

TEST(ResultCodec, OtherStructuresAndRegionsAreNoResults) {
  GstStructure* other = gst_structure_new("other", "class-id", G_TYPE_INT, 4, nullptr);
  EXPECT_FALSE(read_result_message(other).has_value());
  gst_structure_free(other);

  GstBuffer* buffer = gst_buffer_new();
  EXPECT_FALSE(classification_of(buffer).has_value());
  GstVideoRegionOfInterestMeta* face = gst_buffer_add_video_region_of_interest_meta(buffer, "face", 1, 2, 3, 4);
  gst_video_region_of_interest_meta_add_param(face, gst_structure_new("classification", "class-id", G_TYPE_INT, 1,
                                                                      nullptr));
  EXPECT_FALSE(classification_of(buffer).has_value());
  // Found among the regions other elements attached.
  attach_classification(buffer, 8, 8, {true, 2, "Coat", 0.5});
  const auto found = classification_of(buffer);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->class_id, 2);
  gst_buffer_unref(buffer);
}

TEST(ResultCodec, TimesAreSecondsAndNoneIsNone) {
  EXPECT_FALSE(scorecam_gst::seconds_of(GST_CLOCK_TIME_NONE).has_value());
  EXPECT_EQ(scorecam_gst::seconds_of(1500 * GST_MSECOND), 1.5);
  EXPECT_EQ(scorecam_gst::seconds_of(0), 0.0);
}

}  // namespace
