// scorecamoverlay under GstHarness: every caps format is blended and annotated, the composition for
// a downstream that draws overlays, and buffers keep what they came with.
#include <cstring>
#include <string>
#include <tuple>

#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "support/element_harness.h"

namespace scorecam_test {
namespace {

class Formats : public testing::TestWithParam<const char*> {};

TEST_P(Formats, BlendsTheHeatmapAndAttachesMetadata) {
  const std::string format = GetParam();
  Harness h(make_overlay(tiny()));
  h.set_caps(caps_for(format, 64, 48));
  for (int i = 0; i < 3; ++i) {
    GstBuffer* in = make_frame(format, 64, 48, i);
    GstBuffer* original = gst_buffer_copy_deep(in);
    GstBuffer* out = h.push_pull(in);
    ASSERT_NE(out, nullptr);
    EXPECT_GT(max_difference(out, original), 20) << "no heatmap blended into " << format;
    roi_classification(out, 64, 48);
    const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->map_width, 40u);  // tiny_rgb's input size
    EXPECT_EQ(meta->map_height, 32u);
    gst_buffer_unref(original);
    gst_buffer_unref(out);
  }
}

TEST_P(Formats, LeavesFramesAloneWithZeroAlphaAndNoLabel) {
  const std::string format = GetParam();
  Harness h(make_overlay(tiny({{"alpha", "0"}, {"show-label", "false"}})));
  h.set_caps(caps_for(format, 64, 48));
  GstBuffer* in = make_frame(format, 64, 48, 0);
  GstBuffer* original = gst_buffer_copy_deep(in);
  GstBuffer* out = h.push_pull(in);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(max_difference(out, original), 0);
  gst_buffer_unref(original);
  gst_buffer_unref(out);
}

// Only the caption is drawn (alpha 0): every row of every plane below it keeps its bytes.
TEST_P(Formats, PixelsOutsideTheOverlayKeepTheirValues) {
  const std::string format = GetParam();
  Harness h(make_overlay(tiny({{"alpha", "0"}, {"show-label", "true"}})));
  const int width = 64, height = 96;
  h.set_caps(caps_for(format, width, height));
  GstBuffer* in = make_frame(format, width, height, 0);
  GstBuffer* original = gst_buffer_copy_deep(in);
  GstBuffer* out = h.push_pull(in);
  ASSERT_NE(out, nullptr);
  GstVideoInfo info;
  gst_video_info_set_format(&info, gst_video_format_from_string(format.c_str()), width, height);
  GstVideoFrame before, after;
  ASSERT_TRUE(gst_video_frame_map(&before, &info, original, GST_MAP_READ));
  ASSERT_TRUE(gst_video_frame_map(&after, &info, out, GST_MAP_READ));
  bool caption_drawn = false;
  for (guint plane = 0; plane < GST_VIDEO_FRAME_N_PLANES(&before); ++plane) {
    const gsize stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, plane);
    const gsize end = plane + 1 < GST_VIDEO_INFO_N_PLANES(&info) ? GST_VIDEO_INFO_PLANE_OFFSET(&info, plane + 1)
                                                                  : GST_VIDEO_INFO_SIZE(&info);
    const gsize rows = (end - GST_VIDEO_INFO_PLANE_OFFSET(&info, plane)) / stride;
    const auto* a = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&before, plane));
    const auto* b = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&after, plane));
    caption_drawn = caption_drawn || std::memcmp(a, b, stride * (rows / 4)) != 0;
    for (gsize y = rows / 2; y < rows; ++y) {
      ASSERT_EQ(std::memcmp(a + y * stride, b + y * stride, stride), 0) << format << " plane " << plane << " row " << y;
    }
  }
  EXPECT_TRUE(caption_drawn) << format;
  gst_video_frame_unmap(&before);
  gst_video_frame_unmap(&after);
  gst_buffer_unref(original);
  gst_buffer_unref(out);
}

INSTANTIATE_TEST_SUITE_P(AllCapsFormats, Formats,
                         testing::Values("RGB", "BGR", "RGBA", "BGRA", "RGBx", "BGRx", "xRGB", "ABGR", "NV12", "NV21",
                                         "I420", "YV12", "Y444", "YUY2", "UYVY", "GRAY8", "I420_10LE", "P010_10LE"));

// A downstream that draws overlays itself (glimagesink, for example) gets the heatmap as a
// GstVideoOverlayCompositionMeta and the frame's pixels untouched.
TEST(Drawing, DownstreamThatDrawsOverlaysGetsTheComposition) {
  Harness h(make_overlay(tiny()));
  gst_harness_add_propose_allocation_meta(h.get(), GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, nullptr);
  h.set_caps(caps_for("NV12", 64, 48));
  gst_buffer_unref(gst_harness_create_buffer(h.get(), 1));  // sends the allocation query, as upstream does
  GstBuffer* in = make_frame("NV12", 64, 48, 0);
  GstBuffer* original = gst_buffer_copy_deep(in);
  GstBuffer* out = h.push_pull(in);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(max_difference(out, original), 0);
  GstVideoOverlayCompositionMeta* meta = gst_buffer_get_video_overlay_composition_meta(out);
  ASSERT_NE(meta, nullptr);
  // The heatmap over the whole frame, then the caption in the top-left corner.
  ASSERT_EQ(gst_video_overlay_composition_n_rectangles(meta->overlay), 2u);
  gint x, y;
  guint w, hgt;
  gst_video_overlay_rectangle_get_render_rectangle(gst_video_overlay_composition_get_rectangle(meta->overlay, 0), &x,
                                                   &y, &w, &hgt);
  EXPECT_EQ(std::make_tuple(x, y, w, hgt), std::make_tuple(0, 0, 64u, 48u));
  gst_video_overlay_rectangle_get_render_rectangle(gst_video_overlay_composition_get_rectangle(meta->overlay, 1), &x,
                                                   &y, &w, &hgt);
  EXPECT_EQ(std::make_tuple(x, y), std::make_tuple(0, 0));
  EXPECT_LT(w, 64u);
  EXPECT_LT(hgt, 48u);
  roi_classification(out, 64, 48);

  // Drawn downstream, the composition gives the pixels the element draws when it blends itself.
  Harness blending(make_overlay(tiny()));
  blending.set_caps(caps_for("NV12", 64, 48));
  gst_buffer_unref(gst_harness_create_buffer(blending.get(), 1));
  GstBuffer* blended = blending.push_pull(make_frame("NV12", 64, 48, 0));
  ASSERT_NE(blended, nullptr);
  EXPECT_EQ(gst_buffer_get_video_overlay_composition_meta(blended), nullptr);
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_NV12, 64, 48);
  GstVideoFrame frame;
  ASSERT_TRUE(gst_video_frame_map(&frame, &info, original, GST_MAP_READWRITE));
  EXPECT_TRUE(gst_video_overlay_composition_blend(meta->overlay, &frame));
  gst_video_frame_unmap(&frame);
  EXPECT_EQ(max_difference(original, blended), 0);
  EXPECT_GT(max_difference(original, out), 20);
  gst_buffer_unref(blended);
  gst_buffer_unref(original);
  gst_buffer_unref(out);
}

TEST(Buffers, KeepTimestampsDurationsOffsetsAndFlags) {
  Harness h(make_overlay(tiny()));
  h.set_caps(caps_for("RGBx", 64, 48));
  for (int i = 0; i < 4; ++i) {
    GstBuffer* in = make_frame("RGBx", 64, 48, i);
    const GstClockTime pts = 5 * GST_SECOND + i * GST_SECOND / 30;
    GST_BUFFER_PTS(in) = pts;
    GST_BUFFER_DTS(in) = pts - GST_MSECOND;
    GST_BUFFER_DURATION(in) = GST_SECOND / 30;
    GST_BUFFER_OFFSET(in) = 100 + i;
    GST_BUFFER_OFFSET_END(in) = 101 + i;
    const auto flags = static_cast<GstBufferFlags>(i == 0 ? GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_MARKER
                                                          : GST_BUFFER_FLAG_DELTA_UNIT);
    GST_BUFFER_FLAG_SET(in, flags);
    GstBuffer* out = h.push_pull(in);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(out, in);  // in place: no copy of the frame
    EXPECT_EQ(GST_BUFFER_PTS(out), pts);
    EXPECT_EQ(GST_BUFFER_DTS(out), pts - GST_MSECOND);
    EXPECT_EQ(GST_BUFFER_DURATION(out), GST_SECOND / 30);
    EXPECT_EQ(GST_BUFFER_OFFSET(out), 100u + i);
    EXPECT_EQ(GST_BUFFER_OFFSET_END(out), 101u + i);
    EXPECT_EQ(GST_BUFFER_FLAGS(out) & (GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_MARKER | GST_BUFFER_FLAG_DELTA_UNIT),
              static_cast<guint>(flags));
    const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->source_pts, pts);
    gst_buffer_unref(out);
  }
}

}  // namespace
}  // namespace scorecam_test
