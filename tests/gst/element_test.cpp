// scorecamoverlay under GstHarness: caps, buffers, metadata against the core, bad models,
// properties, renegotiation and the async mode.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "gst_test_util.h"
#include "gstscorecammeta.h"
#include "scorecam/bundled_model.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/model.h"
#include "scorecam/overlay.h"
#include "scorecam/score_cam.h"

using scorecam_test::test_model;

namespace {

using Properties = std::vector<std::pair<std::string, std::string>>;

GstElement* make_overlay(const Properties& properties) {
  GstElement* element = gst_element_factory_make("scorecamoverlay", nullptr);
  if (!element) return nullptr;
  gst_object_ref_sink(element);
  for (const auto& [name, value] : properties) gst_util_set_object_arg(G_OBJECT(element), name.c_str(), value.c_str());
  return element;
}

Properties tiny(Properties more = {}) {
  more.insert(more.begin(), {"model-location", test_model("tiny_rgb.pt")});
  return more;
}

std::string caps_for(const std::string& format, int width, int height) {
  return "video/x-raw,format=" + format + ",width=" + std::to_string(width) + ",height=" + std::to_string(height) +
         ",framerate=30/1";
}

// A textured picture with a bright blob that moves with `seed`, converted from RGB to `format`, so
// that every format shows the same content and Score-CAM has something to find.
GstBuffer* make_frame(const std::string& format, int width, int height, int seed) {
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

int max_difference(GstBuffer* a, GstBuffer* b) {
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
Classification roi_classification(GstBuffer* buffer, int width, int height) {
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

torch::Tensor meta_map(const GstScoreCamMeta* meta) {
  return torch::from_blob(meta->values, {meta->map_height, meta->map_width}, torch::kFloat).clone();
}

// ---------------------------------------------------------------------------------------------

TEST(Element, IsRegisteredWithAnExampleInItsDescription) {
  GstElementFactory* factory = gst_element_factory_find("scorecamoverlay");
  ASSERT_NE(factory, nullptr) << "plugin not found in " SCORECAM_PLUGIN_DIR;
  const char* description = gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_DESCRIPTION);
  EXPECT_NE(std::string(description).find("gst-launch-1.0"), std::string::npos);
  gst_object_unref(factory);
}

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
  EXPECT_EQ(gst_video_overlay_composition_n_rectangles(meta->overlay), 1u);
  gint x, y;
  guint w, hgt;
  gst_video_overlay_rectangle_get_render_rectangle(gst_video_overlay_composition_get_rectangle(meta->overlay, 0), &x,
                                                   &y, &w, &hgt);
  EXPECT_EQ(std::make_tuple(x, y, w, hgt), std::make_tuple(0, 0, 64u, 48u));
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
    GstBuffer* out = h.push_pull(in);
    ASSERT_NE(out, nullptr);
    const Classification c = roi_classification(out, 64, 48);
    GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
    ASSERT_NE(message, nullptr);
    const GstStructure* s = gst_message_get_structure(message);
    EXPECT_TRUE(gst_structure_has_name(s, "scorecam"));
    guint64 timestamp = 0, source = 0;
    gint class_id = -1, passes = -1;
    gboolean refreshed = FALSE;
    gdouble confidence = -1;
    EXPECT_TRUE(gst_structure_get(s, "timestamp", G_TYPE_UINT64, &timestamp, "source-timestamp", G_TYPE_UINT64, &source,
                                  "class-id", G_TYPE_INT, &class_id, "confidence", G_TYPE_DOUBLE, &confidence,
                                  "refreshed", G_TYPE_BOOLEAN, &refreshed, "forward-passes", G_TYPE_INT, &passes,
                                  nullptr));
    EXPECT_EQ(timestamp, i * GST_SECOND);
    EXPECT_EQ(source, timestamp);
    EXPECT_EQ(class_id, c.class_id);
    EXPECT_EQ(gst_structure_get_string(s, "label"), c.label);
    EXPECT_DOUBLE_EQ(confidence, c.confidence);
    EXPECT_TRUE(refreshed);  // refresh-interval 1: full Score-CAM on every frame
    EXPECT_GT(passes, 1);
    gst_message_unref(message);
    gst_buffer_unref(out);
  }
  EXPECT_EQ(gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT), nullptr);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);
}

// ---------------------------------------------------------------------------------------------
// Bad models and settings: the state change fails, with a message that says what to fix.

struct StartFailure {
  GstStateChangeReturn result = GST_STATE_CHANGE_SUCCESS;
  std::string message;
  bool resource_settings = false;
};

StartFailure try_start(const Properties& properties) {
  StartFailure failure;
  GstElement* element = make_overlay(properties);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  failure.result = gst_element_set_state(element, GST_STATE_PAUSED);
  if (GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    failure.message = error->message;
    failure.resource_settings = g_error_matches(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
    g_clear_error(&error);
    gst_message_unref(message);
  }
  gst_element_set_state(element, GST_STATE_NULL);
  gst_element_set_bus(element, nullptr);
  gst_object_unref(bus);
  gst_object_unref(element);
  return failure;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void expect_failure(const Properties& properties, const std::string& mentions) {
  const StartFailure failure = try_start(properties);
  EXPECT_EQ(failure.result, GST_STATE_CHANGE_FAILURE);
  EXPECT_TRUE(failure.resource_settings) << failure.message;
  EXPECT_NE(lower(failure.message).find(lower(mentions)), std::string::npos)
      << "message \"" << failure.message << "\" does not mention \"" << mentions << "\"";
}

TEST(BadModel, MissingFile) {
  expect_failure({{"model-location", "/nonexistent/dir/model.pt"}}, "/nonexistent/dir/model.pt");
}

TEST(BadModel, EmptyLocation) { expect_failure({{"model-location", ""}}, "model-location"); }

TEST(BadModel, NotTorchScript) {
  scorecam_test::TempDir dir;
  std::ofstream(dir.file("notes.pt")) << "this is a text file, not a TorchScript archive\n";
  expect_failure({{"model-location", dir.file("notes.pt")}}, dir.file("notes.pt"));
}

TEST(BadModel, TruncatedFile) {
  scorecam_test::TempDir dir;
  std::ifstream in(test_model("tiny_rgb.pt"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  std::ofstream(dir.file("truncated.pt"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_failure({{"model-location", dir.file("truncated.pt")}}, dir.file("truncated.pt"));
}

TEST(BadModel, UnknownLayerListsTheValidOnes) {
  expect_failure(tiny({{"target-layer", "no.such.layer"}}), "features.4");
}

TEST(BadModel, CudaOnACpuBuild) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  expect_failure(tiny({{"device", "cuda"}}), "cuda");
}

TEST(BadModel, HalfPrecisionOnTheCpu) { expect_failure(tiny({{"precision", "fp16"}}), "fp16"); }

TEST(BadModel, OutputIsNotClassScores) {
  expect_failure({{"model-location", test_model("flat_output.pt")}}, "flat_output.pt");
}

TEST(BadModel, LayerWithoutSpatialExtent) {
  expect_failure({{"model-location", test_model("tiny_1x1.pt")}, {"target-layer", "features.1"}}, "[1, 4, 1, 1]");
}

TEST(BadModel, TargetClassOutOfRange) { expect_failure(tiny({{"target-class", "5"}}), "target-class"); }

TEST(BadModel, TheElementWorksAfterAFailure) {
  GstElement* element = make_overlay({{"model-location", "/nonexistent.pt"}});
  EXPECT_EQ(gst_element_set_state(element, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  gst_element_set_state(element, GST_STATE_NULL);
  g_object_set(element, "model-location", test_model("tiny_rgb.pt").c_str(), nullptr);
  Harness h(element);
  h.set_caps(caps_for("RGB", 64, 48));
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  ASSERT_NE(out, nullptr);
  EXPECT_NE(gst_buffer_get_scorecam_meta(out), nullptr);
  gst_buffer_unref(out);
}

// ---------------------------------------------------------------------------------------------
// Properties

// Captures the warnings GLib and the element print, e.g. for a rejected property change.
class WarningCapture {
 public:
  WarningCapture() {
    for (const char* domain : {static_cast<const char*>(nullptr), "GLib-GObject"})
      handlers_.emplace_back(domain, g_log_set_handler(domain, G_LOG_LEVEL_WARNING, &WarningCapture::on_log, this));
  }
  ~WarningCapture() {
    for (const auto& [domain, id] : handlers_) g_log_remove_handler(domain, id);
  }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  static void on_log(const gchar*, GLogLevelFlags, const gchar* message, gpointer self) {
    static_cast<WarningCapture*>(self)->warnings_.push_back(message);
  }
  std::vector<std::pair<const char*, guint>> handlers_;
  std::vector<std::string> warnings_;
};

const std::vector<std::string> kReadyOnly = {"model-location", "config-location", "labels-location", "target-layer",
                                             "device",         "precision",       "async"};
const std::vector<std::string> kPlaying = {"target-class",    "score-mode",      "batch-size",    "max-channels",
                                           "channel-selection", "refresh-interval", "rolling",     "drift-threshold",
                                           "smoothing",       "alpha",           "colormap",      "threshold",
                                           "show-label",      "post-messages"};

TEST(Properties, AreDocumentedWithTheRightMutability) {
  GstElement* element = make_overlay({});
  GObjectClass* klass = G_OBJECT_GET_CLASS(element);
  for (const bool ready : {true, false}) {
    for (const std::string& name : ready ? kReadyOnly : kPlaying) {
      GParamSpec* pspec = g_object_class_find_property(klass, name.c_str());
      ASSERT_NE(pspec, nullptr) << name;
      EXPECT_FALSE(std::string(g_param_spec_get_blurb(pspec)).empty()) << name;
      EXPECT_EQ((pspec->flags & GST_PARAM_MUTABLE_READY) != 0, ready) << name;
      EXPECT_EQ((pspec->flags & GST_PARAM_MUTABLE_PLAYING) != 0, !ready) << name;
    }
  }
  for (const char* name : {"dropped-work", "explained-frames"}) {
    GParamSpec* pspec = g_object_class_find_property(klass, name);
    ASSERT_NE(pspec, nullptr) << name;
    EXPECT_FALSE(pspec->flags & G_PARAM_WRITABLE) << name;
  }
  gst_object_unref(element);
}

TEST(Properties, StartAtTheirDefaults) {
  GstElement* element = make_overlay({});
  guint count = 0;
  GParamSpec** pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &count);
  for (guint i = 0; i < count; ++i) {
    if (pspecs[i]->owner_type != G_OBJECT_TYPE(element)) continue;
    GValue value = G_VALUE_INIT;
    g_value_init(&value, pspecs[i]->value_type);
    g_object_get_property(G_OBJECT(element), pspecs[i]->name, &value);
    EXPECT_TRUE(g_param_value_defaults(pspecs[i], &value)) << pspecs[i]->name;
    g_value_unset(&value);
  }
  g_free(pspecs);
  gchar* model = nullptr;
  g_object_get(element, "model-location", &model, nullptr);
  EXPECT_EQ(std::string(model), scorecam::bundled_model_path());
  g_free(model);
  gboolean qos = TRUE;
  g_object_get(element, "qos", &qos, nullptr);
  EXPECT_FALSE(qos);  // the element drops no frame unless asked to
  gst_object_unref(element);
}

TEST(Properties, RoundTrip) {
  const Properties values = {
      {"model-location", "/models/a.pt"}, {"config-location", "/models/a.json"}, {"labels-location", "/models/a.txt"},
      {"target-layer", "layer4"},         {"device", "cuda:1"},                  {"precision", "bf16"},
      {"async", "true"},                  {"target-class", "3"},                 {"score-mode", "logit-softmax"},
      {"batch-size", "7"},                {"max-channels", "12"},                {"channel-selection", "random"},
      {"refresh-interval", "5"},          {"rolling", "true"},                   {"drift-threshold", "0.25"},
      {"smoothing", "0.5"},               {"alpha", "0.75"},                     {"colormap", "magma"},
      {"threshold", "0.2"},               {"show-label", "false"},               {"post-messages", "true"}};
  GstElement* element = make_overlay(values);
  for (const auto& [name, expected] : values) {
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name.c_str());
    GValue value = G_VALUE_INIT;
    g_value_init(&value, pspec->value_type);
    g_object_get_property(G_OBJECT(element), name.c_str(), &value);
    std::string actual;
    if (G_VALUE_HOLDS_STRING(&value)) actual = g_value_get_string(&value);
    else if (G_VALUE_HOLDS_ENUM(&value))
      actual = g_enum_get_value(G_PARAM_SPEC_ENUM(pspec)->enum_class, g_value_get_enum(&value))->value_nick;
    else if (G_VALUE_HOLDS_BOOLEAN(&value)) actual = g_value_get_boolean(&value) ? "true" : "false";
    else if (G_VALUE_HOLDS_INT(&value)) actual = std::to_string(g_value_get_int(&value));
    else if (G_VALUE_HOLDS_DOUBLE(&value)) actual = std::to_string(g_value_get_double(&value));
    if (G_VALUE_HOLDS_DOUBLE(&value)) EXPECT_DOUBLE_EQ(std::stod(actual), std::stod(expected)) << name;
    else EXPECT_EQ(actual, expected) << name;
    g_value_unset(&value);
  }
  gst_object_unref(element);
}

// The enum nicks are the names the core parses, value for value.
TEST(Properties, EnumNicksAreTheCoreNames) {
  auto nicks = [](const char* type_name) {
    std::vector<std::pair<int, std::string>> result;
    auto* klass = static_cast<GEnumClass*>(g_type_class_ref(g_type_from_name(type_name)));
    for (guint i = 0; i < klass->n_values; ++i)
      result.emplace_back(klass->values[i].value, klass->values[i].value_nick);
    g_type_class_unref(klass);
    return result;
  };
  GstElement* element = make_overlay({});  // registers the enum types
  for (const auto& [value, nick] : nicks("GstScoreCamScoreMode"))
    EXPECT_EQ(scorecam::parse_score_mode(nick), static_cast<scorecam::ScoreMode>(value)) << nick;
  for (const auto& [value, nick] : nicks("GstScoreCamChannelSelection"))
    EXPECT_EQ(scorecam::parse_channel_selection(nick), static_cast<scorecam::ChannelSelection>(value)) << nick;
  for (const auto& [value, nick] : nicks("GstScoreCamColormap"))
    EXPECT_EQ(scorecam::parse_colormap(nick), static_cast<scorecam::Colormap>(value)) << nick;
  for (const auto& [value, nick] : nicks("GstScoreCamPrecision"))
    EXPECT_EQ(scorecam::precision_name(static_cast<scorecam::Precision>(value)), nick);
  gst_object_unref(element);
}

TEST(Properties, RejectValuesOutOfRange) {
  struct Range {
    const char* name;
    double min, max;
  };
  const std::vector<Range> ranges = {{"target-class", -1, G_MAXINT}, {"batch-size", 1, 4096},
                                     {"max-channels", 0, G_MAXINT},  {"refresh-interval", 1, 100000},
                                     {"drift-threshold", 0, 100},    {"smoothing", 0, 0.99},
                                     {"alpha", 0, 1},                {"threshold", 0, 1}};
  GstElement* element = make_overlay({});
  for (const Range& range : ranges) {
    GParamSpec* pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), range.name);
    ASSERT_NE(pspec, nullptr) << range.name;
    if (G_IS_PARAM_SPEC_INT(pspec)) {
      EXPECT_EQ(G_PARAM_SPEC_INT(pspec)->minimum, range.min) << range.name;
      EXPECT_EQ(G_PARAM_SPEC_INT(pspec)->maximum, range.max) << range.name;
    } else {
      EXPECT_DOUBLE_EQ(G_PARAM_SPEC_DOUBLE(pspec)->minimum, range.min) << range.name;
      EXPECT_DOUBLE_EQ(G_PARAM_SPEC_DOUBLE(pspec)->maximum, range.max) << range.name;
    }
  }
  WarningCapture capture;
  g_object_set(element, "alpha", 1.5, "batch-size", 0, nullptr);
  EXPECT_EQ(capture.warnings().size(), 2u);
  gdouble alpha = 0;
  gint batch_size = 0;
  g_object_get(element, "alpha", &alpha, "batch-size", &batch_size, nullptr);
  EXPECT_DOUBLE_EQ(alpha, 0.5);
  EXPECT_EQ(batch_size, 32);
  gst_object_unref(element);
}

TEST(Properties, ModelSettingsAreFrozenWhileRunning) {
  Harness h(make_overlay(tiny()));
  {
    WarningCapture capture;
    g_object_set(h.element(), "model-location", "/elsewhere.pt", "device", "cuda", nullptr);
    EXPECT_EQ(capture.warnings().size(), 2u);
  }
  gchar* model = nullptr;
  g_object_get(h.element(), "model-location", &model, nullptr);
  EXPECT_EQ(std::string(model), test_model("tiny_rgb.pt"));
  g_free(model);
}

TEST(Properties, ExplainerSettingsApplyFromTheNextFrame) {
  Harness h(make_overlay(tiny({{"show-label", "false"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  const int predicted = roi_classification(out, 64, 48).class_id;
  gst_buffer_unref(out);
  const int other = (predicted + 1) % 5;

  g_object_set(h.element(), "target-class", other, "max-channels", 4, "score-mode", 1, nullptr);
  out = h.push_pull(make_frame("RGB", 64, 48, 0));
  EXPECT_EQ(gst_buffer_get_scorecam_meta(out)->class_id, other);
  EXPECT_EQ(roi_classification(out, 64, 48).class_id, predicted);  // the classification is still the prediction
  gst_buffer_unref(out);

  // Out of range for this model: a warning, and the predicted class is explained.
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  g_object_set(h.element(), "target-class", 9, nullptr);
  out = h.push_pull(make_frame("RGB", 64, 48, 0));
  EXPECT_EQ(gst_buffer_get_scorecam_meta(out)->class_id, predicted);
  GstMessage* warning = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  EXPECT_NE(warning, nullptr);
  if (warning) gst_message_unref(warning);
  gst_buffer_unref(out);
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);

  // Blending settings too: alpha 0 and no label leave the frame alone.
  g_object_set(h.element(), "alpha", 0.0, nullptr);
  GstBuffer* in = make_frame("RGB", 64, 48, 1);
  GstBuffer* original = gst_buffer_copy_deep(in);
  out = h.push_pull(in);
  EXPECT_EQ(max_difference(out, original), 0);
  gst_buffer_unref(original);
  gst_buffer_unref(out);
}

// ---------------------------------------------------------------------------------------------
// Stream changes

TEST(Stream, RenegotiatesToAnotherSizeAndFormat) {
  Harness h(make_overlay(tiny()));
  const std::vector<std::tuple<std::string, int, int>> steps = {{"RGB", 64, 48}, {"RGB", 96, 72}, {"NV12", 80, 60},
                                                                {"BGRA", 33, 17}};
  for (const auto& [format, width, height] : steps) {
    h.set_caps(caps_for(format, width, height));
    for (int i = 0; i < 2; ++i) {
      GstBuffer* out = h.push_pull(make_frame(format, width, height, i));
      ASSERT_NE(out, nullptr) << format << " " << width << "x" << height;
      GstVideoInfo info;
      gst_video_info_set_format(&info, gst_video_format_from_string(format.c_str()), width, height);
      EXPECT_EQ(gst_buffer_get_size(out), GST_VIDEO_INFO_SIZE(&info));
      roi_classification(out, width, height);
      gst_buffer_unref(out);
    }
  }
}

TEST(Stream, LatencyIsTheMeasuredProcessingTimeInSyncModeAndZeroInAsync) {
  {
    Harness h(make_overlay(tiny()));
    const GstClockTime latency = gst_harness_query_latency(h.get());
    EXPECT_GT(latency, 0u);
    EXPECT_LT(latency, 10 * GST_SECOND);
  }
  Harness h(make_overlay(tiny({{"async", "true"}})));
  EXPECT_EQ(gst_harness_query_latency(h.get()), 0u);
}

// After a flush or a discontinuity the reused scores are forgotten: the next frame is a full refresh.
TEST(Stream, FlushesAndDiscontinuitiesRestartReuse) {
  Harness h(make_overlay(tiny({{"refresh-interval", "10"}, {"post-messages", "true"}})));
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h.element(), bus);
  h.set_caps(caps_for("RGB", 64, 48));
  auto refreshed = [&](GstBuffer* in) {
    gst_buffer_unref(h.push_pull(in));
    GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
    gboolean result = FALSE;
    if (message) gst_structure_get_boolean(gst_message_get_structure(message), "refreshed", &result);
    if (message) gst_message_unref(message);
    return result;
  };
  EXPECT_TRUE(refreshed(make_frame("RGB", 64, 48, 0)));
  EXPECT_FALSE(refreshed(make_frame("RGB", 64, 48, 0)));  // reused

  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_flush_start()));
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_segment(&segment)));
  EXPECT_TRUE(refreshed(make_frame("RGB", 64, 48, 0)));
  EXPECT_FALSE(refreshed(make_frame("RGB", 64, 48, 0)));

  GstBuffer* discont = make_frame("RGB", 64, 48, 0);
  GST_BUFFER_FLAG_SET(discont, GST_BUFFER_FLAG_DISCONT);
  EXPECT_TRUE(refreshed(discont));
  gst_element_set_bus(h.element(), nullptr);
  gst_object_unref(bus);
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_eos()));
  bool eos = false;
  while (GstEvent* event = gst_harness_try_pull_event(h.get())) {
    eos = eos || GST_EVENT_TYPE(event) == GST_EVENT_EOS;
    gst_event_unref(event);
  }
  EXPECT_TRUE(eos);
}

// ---------------------------------------------------------------------------------------------
// Async mode

guint64 wait_for_explained(Harness& h, guint64 more_than) {
  for (int i = 0; i < 1000 && h.counter("explained-frames") <= more_than; ++i) g_usleep(10000);
  return h.counter("explained-frames");
}

TEST(Async, EveryFrameLeavesWhileTheModelLagsBehind) {
  Harness h(make_overlay(tiny({{"async", "true"}, {"batch-size", "1"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  const int frames = 150;
  int annotated = 0;
  for (int i = 0; i < frames; ++i) {
    GstBuffer* in = make_frame("RGB", 64, 48, i);
    GST_BUFFER_PTS(in) = i * GST_MSECOND;
    GstBuffer* out = h.push_pull(in);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(out), i * GST_MSECOND);
    if (const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out)) {
      ++annotated;
      EXPECT_LE(meta->source_pts, GST_BUFFER_PTS(out));  // an earlier frame's heatmap
      roi_classification(out, 64, 48);
    }
    gst_buffer_unref(out);
  }
  EXPECT_EQ(gst_harness_buffers_received(h.get()), static_cast<guint>(frames));
  const guint64 explained = wait_for_explained(h, 0);
  EXPECT_GE(explained, 1u);
  // Once something has finished, every frame carries the newest heatmap.
  GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
  EXPECT_NE(gst_buffer_get_scorecam_meta(out), nullptr);
  gst_buffer_unref(out);

  // One frame waits at most and one is explained at a time: the rest was dropped, not queued.
  const guint64 dropped = h.counter("dropped-work");
  const guint64 settled = h.counter("explained-frames") + dropped;
  EXPECT_GT(dropped, 0u);
  EXPECT_LE(settled, frames + 1u);
  EXPECT_GE(settled + 2, frames + 1u);
  EXPECT_LT(annotated, frames);
}

TEST(Async, AFlushDiscardsWorkFromBeforeIt) {
  Harness h(make_overlay(tiny({{"async", "true"}})));
  h.set_caps(caps_for("RGB", 64, 48));
  for (int i = 0; i < 10; ++i) {
    GstBuffer* in = make_frame("RGB", 64, 48, i);
    GST_BUFFER_PTS(in) = i * GST_MSECOND;
    gst_buffer_unref(h.push_pull(in));
  }
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_flush_start()));
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  EXPECT_TRUE(gst_harness_push_event(h.get(), gst_event_new_segment(&segment)));

  const GstClockTime after = 100 * GST_SECOND;
  GstBuffer* in = make_frame("RGB", 64, 48, 0);
  GST_BUFFER_PTS(in) = after;
  GstBuffer* out = h.push_pull(in);
  EXPECT_EQ(gst_buffer_get_scorecam_meta(out), nullptr);  // the old heatmap went with the flush
  gst_buffer_unref(out);
  // Once a heatmap is back, it must come from after the flush.
  bool annotated = false;
  for (int i = 1; i < 1000 && !annotated; ++i) {
    in = make_frame("RGB", 64, 48, i);
    GST_BUFFER_PTS(in) = after + i * GST_MSECOND;
    out = h.push_pull(in);
    if (const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out)) {
      annotated = true;
      EXPECT_GE(meta->source_pts, after);
    }
    gst_buffer_unref(out);
    g_usleep(10000);
  }
  EXPECT_TRUE(annotated);
}

TEST(Async, StopsCleanlyWithWorkInFlight) {
  for (int run = 0; run < 3; ++run) {
    Harness h(make_overlay(tiny({{"async", "true"}, {"batch-size", "1"}})));
    h.set_caps(caps_for("NV12", 64, 48));
    for (int i = 0; i < 5; ++i) gst_buffer_unref(h.push_pull(make_frame("NV12", 64, 48, i)));
  }  // teardown with a frame queued and one being explained
}

}  // namespace
