#include "result_codec.h"

#include <gst/video/video.h>

namespace scorecam_gst {
namespace {

// The field names: what applications read (docs/element.md), so they change only with the docs.
constexpr char kClassification[] = "classification";
// The classification's, in the meta's parameter and in the message.
constexpr char kValid[] = "valid", kLabel[] = "label", kClassId[] = "class-id", kConfidence[] = "confidence";
// The message's own.
constexpr char kTimestamp[] = "timestamp", kRunningTime[] = "running-time", kSourceTimestamp[] = "source-timestamp";
constexpr char kTargetClass[] = "target-class", kRefreshed[] = "refreshed", kForwardPasses[] = "forward-passes",
               kRefreshPeriod[] = "refresh-period", kLatency[] = "latency";

// Without a valid output there is no class to name: never a label or a NaN confidence.
GstStructure* classification_structure(const char* name, const Classification& c) {
  if (!c.valid) return gst_structure_new(name, kValid, G_TYPE_BOOLEAN, FALSE, kClassId, G_TYPE_INT, -1, nullptr);
  return gst_structure_new(name, kValid, G_TYPE_BOOLEAN, TRUE, kLabel, G_TYPE_STRING, c.label.c_str(), kClassId,
                           G_TYPE_INT, c.class_id, kConfidence, G_TYPE_DOUBLE, c.confidence, nullptr);
}

// Each field on its own, so that one missing leaves the others read.
Classification read_classification(const GstStructure* s) {
  Classification c;
  gboolean valid = TRUE;
  gst_structure_get_boolean(s, kValid, &valid);
  c.valid = valid;
  gst_structure_get_int(s, kClassId, &c.class_id);
  gst_structure_get_double(s, kConfidence, &c.confidence);
  if (const char* label = gst_structure_get_string(s, kLabel)) c.label = label;
  return c;
}

}  // namespace

void attach_classification(GstBuffer* buffer, guint width, guint height, const Classification& classification) {
  GstVideoRegionOfInterestMeta* roi =
      gst_buffer_add_video_region_of_interest_meta(buffer, kResultName, 0, 0, width, height);
  gst_video_region_of_interest_meta_add_param(roi, classification_structure(kClassification, classification));
}

std::optional<Classification> classification_of(GstBuffer* buffer) {
  const GQuark type = g_quark_from_static_string(kResultName);
  gpointer state = nullptr;
  while (GstMeta* meta = gst_buffer_iterate_meta_filtered(buffer, &state, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(meta);
    if (roi->roi_type != type) continue;
    const GstStructure* c = gst_video_region_of_interest_meta_get_param(roi, kClassification);
    return c ? read_classification(c) : Classification{};
  }
  return std::nullopt;
}

GstStructure* result_message_structure(const ResultMessage& r) {
  GstStructure* s = classification_structure(kResultName, r.classification);
  gst_structure_set(s, kTimestamp, G_TYPE_UINT64, r.timestamp, kRunningTime, G_TYPE_UINT64, r.running_time,
                    kSourceTimestamp, G_TYPE_UINT64, r.source_timestamp, kTargetClass, G_TYPE_INT, r.target_class,
                    kRefreshed, G_TYPE_BOOLEAN, r.refreshed, kForwardPasses, G_TYPE_INT, r.forward_passes, kRefreshPeriod, G_TYPE_INT,
                    r.refresh_period, kLatency, G_TYPE_UINT64, r.latency, nullptr);
  return s;
}

std::optional<ResultMessage> read_result_message(const GstStructure* s) {
  if (!gst_structure_has_name(s, kResultName)) return std::nullopt;
  ResultMessage r;
  r.classification = read_classification(s);
  gst_structure_get_uint64(s, kTimestamp, &r.timestamp);
  gst_structure_get_uint64(s, kRunningTime, &r.running_time);
  gst_structure_get_uint64(s, kSourceTimestamp, &r.source_timestamp);
  gst_structure_get_int(s, kTargetClass, &r.target_class);
  gboolean refreshed = FALSE;
  if (gst_structure_get_boolean(s, kRefreshed, &refreshed)) r.refreshed = refreshed;
  gst_structure_get_int(s, kForwardPasses, &r.forward_passes);
  gst_structure_get_int(s, kRefreshPeriod, &r.refresh_period);
  gst_structure_get_uint64(s, kLatency, &r.latency);
  return r;
}

}  // namespace scorecam_gst
