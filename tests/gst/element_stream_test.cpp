// scorecamoverlay as the stream changes: renegotiation, latency, flushes and discontinuities, and the
// async mode, where frames leave before their heatmap is ready.
#include <chrono>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include "gstscorecammeta.h"
#include "support/element_harness.h"
#include "support/wait.h"

namespace scorecam_test {
namespace {

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

// frame-budget-ms: the latency query answers the budget, and every frame's meta and bus message
// say in how many frames all channels are rescored: 1 with room for all, every channel's frame of
// its own under a budget no channel fits in (one channel a frame, the least).
TEST(Stream, AFrameBudgetIsTheLatencyAndSetsTheRefreshPeriod) {
  auto periods = [](const std::string& budget_ms) {
    Harness h(make_overlay(tiny({{"frame-budget-ms", budget_ms}, {"post-messages", "true"}})));
    const GstClockTime latency = gst_harness_query_latency(h.get());
    EXPECT_NEAR(static_cast<double>(latency), std::stod(budget_ms) * GST_MSECOND, 1e3) << budget_ms << " ms";
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(h.element(), bus);
    h.set_caps(caps_for("RGB", 64, 48));
    std::vector<std::pair<int, int>> meta_and_message;
    for (int i = 0; i < 4; ++i) {
      GstBuffer* out = h.push_pull(make_frame("RGB", 64, 48, 0));
      const GstScoreCamMeta* meta = out ? gst_buffer_get_scorecam_meta(out) : nullptr;
      GstMessage* message = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
      gint posted = -1;
      if (message) gst_structure_get_int(gst_message_get_structure(message), "refresh-period", &posted);
      meta_and_message.emplace_back(meta ? meta->refresh_period : -1, posted);
      if (message) gst_message_unref(message);
      if (out) gst_buffer_unref(out);
    }
    gst_element_set_bus(h.element(), nullptr);
    gst_object_unref(bus);
    return meta_and_message;
  };
  const auto roomy = periods("100000");
  EXPECT_EQ(roomy.back(), std::make_pair(1, 1));  // the first frame, unmeasured, scores a few
  const auto tight = periods("0.01");
  EXPECT_GT(tight.back().first, 1);
  EXPECT_EQ(tight.back().second, tight.back().first);
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
  ASSERT_TRUE(wait_until([&] { return h.counter("explained-frames") > 0; }, std::chrono::seconds(10)))
      << "no frame was explained within 10 s";
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
  // Once a heatmap is back (frames keep coming until then), it must come from after the flush.
  int pushed = 0;
  GstClockTime source_pts = GST_CLOCK_TIME_NONE;
  const bool annotated = wait_until(
      [&] {
        in = make_frame("RGB", 64, 48, ++pushed);
        GST_BUFFER_PTS(in) = after + pushed * GST_MSECOND;
        out = h.push_pull(in);
        if (const GstScoreCamMeta* meta = gst_buffer_get_scorecam_meta(out)) source_pts = meta->source_pts;
        gst_buffer_unref(out);
        return source_pts != GST_CLOCK_TIME_NONE;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(10));
  ASSERT_TRUE(annotated) << "no heatmap within 10 s of the flush (" << pushed << " frames)";
  EXPECT_GE(source_pts, after);
}

// Stopped with a frame being explained and one waiting, the element goes to NULL without an error
// or a warning, its stream and its hold on the model gone, and starts again.
TEST(Async, StopsCleanlyWithWorkInFlight) {
  for (int run = 0; run < 3; ++run) {
    Harness h(make_overlay(tiny({{"async", "true"}, {"batch-size", "1"}})));
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(h.element(), bus);
    h.set_caps(caps_for("NV12", 64, 48));
    const guint64 pushed = 5;
    for (guint64 i = 0; i < pushed; ++i) gst_buffer_unref(h.push_pull(make_frame("NV12", 64, 48, i)));
    EXPECT_LT(h.counter("explained-frames") + h.counter("dropped-work"), pushed)
        << "nothing was in flight: the stop below tests nothing";

    EXPECT_EQ(gst_element_set_state(h.element(), GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
    guint model_users = 1;
    g_object_get(h.element(), "model-users", &model_users, nullptr);
    EXPECT_EQ(model_users, 0u) << "the stream, and its model, outlived the stop";
    if (GstMessage* message = gst_bus_pop_filtered(bus, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
      GError* error = nullptr;
      gchar* debug = nullptr;
      if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) gst_message_parse_error(message, &error, &debug);
      else gst_message_parse_warning(message, &error, &debug);
      ADD_FAILURE() << "stopping posted " << GST_MESSAGE_TYPE_NAME(message) << ": " << error->message;
      g_clear_error(&error);
      g_free(debug);
      gst_message_unref(message);
    }

    ASSERT_EQ(gst_element_set_state(h.element(), GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
    h.set_caps(caps_for("NV12", 64, 48));
    ASSERT_TRUE(wait_until(
        [&] {
          gst_buffer_unref(h.push_pull(make_frame("NV12", 64, 48, 0)));
          return h.counter("explained-frames") > 0;
        },
        std::chrono::seconds(10)))
        << "no frame was explained within 10 s of starting again";
    gst_element_set_bus(h.element(), nullptr);
    gst_object_unref(bus);
  }
}

}  // namespace
}  // namespace scorecam_test
