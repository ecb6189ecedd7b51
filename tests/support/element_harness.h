// Helpers of the scorecamoverlay tests: the element with chosen properties, frames of any format
// with the same content, the element under GstHarness, and the classification it attaches.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "support/test_models.h"

namespace scorecam_test {

using Properties = std::vector<std::pair<std::string, std::string>>;

inline GstElement* make_overlay(const Properties& properties) {
  GstElement* element = gst_element_factory_make("scorecamoverlay", nullptr);
  if (!element) return nullptr;
  gst_object_ref_sink(element);
  for (const auto& [name, value] : properties) gst_util_set_object_arg(G_OBJECT(element), name.c_str(), value.c_str());
  return element;
}

// fp32, not the element's default (auto): the tests compare maps with the core's fp32 ones and with
// each other, which a copy chosen by timing would not keep bit for bit. A test's own properties
// come after, so that it can ask for another precision.
inline Properties tiny(Properties more = {}) {
  more.insert(more.begin(), {{"model-location", test_model("tiny_rgb.pt")}, {"precision", "fp32"}});
  return more;
}

inline std::string caps_for(const std::string& format, int width, int height) {
  return "video/x-raw,format=" + format + ",width=" + std::to_string(width) + ",height=" + std::to_string(height) +
         ",framerate=30/1";
}

// A textured picture with a bright blob that moves with `seed`, converted from RGB to `format`, so
// that every format shows the same content and Score-CAM has something to find.
inline GstBuffer* make_frame(const std::string& format, int width, int height, int seed) {
  GstVideoInfo rgb_info, info;
  gst_video_info_set_format(&rgb_info, GST_VIDEO_FORMAT_RGB, width, height);
  gst_video_info_set_format(&info, gst_video_format_from_string(format.c_str()), width, height);
  GstBuffer* rgb = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&rgb_info), nullptr);
  GstVideoFrame rgb_frame;
  gst_video_frame_map(&rgb_frame, &rgb_info, rgb, GST_MAP_WRITE);
  const int cx = (width / 4 + seed * 3) % width, cy = height / 2;
  for (int y = 0; y < height; ++y) {
    auto* row = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&rgb_frame, 0)) +
                y * GST_VIDEO_FRAME_PLANE_STRIDE(&rgb_frame, 0);
    for (int x = 0; x < width; ++x) {
      const double blob = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (0.02 * width * height));
      row[3 * x + 0] = static_cast<uint8_t>(40 + 160 * blob + (x % 8) * 4);
      row[3 * x + 1] = static_cast<uint8_t>(60 + 100 * blob + (y % 6) * 5);
      row[3 * x + 2] = static_cast<uint8_t>(90 + 60 * (1 - blob));
    }
  }
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, GST_VIDEO_INFO_SIZE(&info), nullptr);
  GstVideoFrame frame;
  gst_video_frame_map(&frame, &info, buffer, GST_MAP_WRITE);
  GstVideoConverter* converter = gst_video_converter_new(&rgb_info, &info, nullptr);
  gst_video_converter_frame(converter, &rgb_frame, &frame);
  gst_video_converter_free(converter);
  gst_video_frame_unmap(&frame);
  gst_video_frame_unmap(&rgb_frame);
  gst_buffer_unref(rgb);
  return buffer;
}

inline int max_difference(GstBuffer* a, GstBuffer* b) {
  GstMapInfo ma, mb;
  gst_buffer_map(a, &ma, GST_MAP_READ);
  gst_buffer_map(b, &mb, GST_MAP_READ);
  int worst = ma.size == mb.size ? 0 : 256;
  for (gsize i = 0; i < std::min(ma.size, mb.size); ++i) worst = std::max(worst, std::abs(ma.data[i] - mb.data[i]));
  gst_buffer_unmap(a, &ma);
  gst_buffer_unmap(b, &mb);
  return worst;
}

class Harness {
 public:
  explicit Harness(GstElement* element) : h_(gst_harness_new_with_element(element, "sink", "src")) {
    gst_object_unref(element);
  }
  ~Harness() { gst_harness_teardown(h_); }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  GstHarness* get() { return h_; }
  GstElement* element() { return h_->element; }
  void set_caps(const std::string& caps) { gst_harness_set_src_caps_str(h_, caps.c_str()); }
  // Pushes and pulls one buffer (the element works in place: they are one buffer); null on failure.
  GstBuffer* push_pull(GstBuffer* buffer) {
    const GstFlowReturn flow = gst_harness_push(h_, buffer);
    EXPECT_EQ(flow, GST_FLOW_OK) << gst_flow_get_name(flow);
    return flow == GST_FLOW_OK ? gst_harness_try_pull(h_) : nullptr;
  }
  guint64 counter(const char* name) {
    guint64 value = 0;
    g_object_get(element(), name, &value, nullptr);
    return value;
  }

 private:
  GstHarness* h_;
};

struct Classification {
  std::string label;
  int class_id = -1;
  double confidence = -1;
};

// The classification in the region-of-interest meta; fails the test when it is missing or wrong.
inline Classification roi_classification(GstBuffer* buffer, int width, int height) {
  Classification c;
  GstVideoRegionOfInterestMeta* roi = gst_buffer_get_video_region_of_interest_meta(buffer);
  EXPECT_NE(roi, nullptr);
  if (!roi) return c;
  EXPECT_EQ(roi->roi_type, g_quark_from_string("scorecam"));
  EXPECT_EQ(roi->x, 0u);
  EXPECT_EQ(roi->y, 0u);
  EXPECT_EQ(roi->w, static_cast<guint>(width));
  EXPECT_EQ(roi->h, static_cast<guint>(height));
  const GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, "classification");
  EXPECT_NE(s, nullptr);
  if (!s) return c;
  EXPECT_TRUE(gst_structure_get_int(s, "class-id", &c.class_id));
  EXPECT_TRUE(gst_structure_get_double(s, "confidence", &c.confidence));
  const char* label = gst_structure_get_string(s, "label");
  EXPECT_NE(label, nullptr);
  c.label = label ? label : "";
  return c;
}

}  // namespace scorecam_test
