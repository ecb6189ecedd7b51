// A stream of frames through StreamExplainer: sync and async, flushes, reconfiguration, failures.
// Races are played out in a fixed order: the `explaining` event holds the worker at a Gate.
#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/stream_explainer.h"
#include "support/gate.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::Gate;
using scorecam_test::max_abs_difference;
using scorecam_test::random_frame;
using scorecam_test::test_model;

std::unique_ptr<Model> tiny() { return Model::load(test_model("tiny_rgb.pt")); }

ExplainerSettings with_reuse(int interval) {
  ExplainerSettings settings;
  settings.reuse.refresh_interval = interval;
  return settings;
}

StreamEvents held_at(Gate& gate) {
  StreamEvents events;
  events.explaining = [&gate] { gate.pass(); };
  return events;
}

TEST(StreamExplainer, SyncGivesEachFrameTheFrameExplainersResult) {
  StreamExplainer stream(tiny(), {}, /*async=*/false);
  const auto reference_model = tiny();
  FrameExplainer reference(*reference_model, {}, {});
  for (int i = 0; i < 3; ++i) {
    auto frame = random_frame(64, 48, i);
    const auto heat = stream.submit(frame.view, 100 + i);
    ASSERT_NE(heat, nullptr);
    const auto expected = reference.process(frame.view);
    EXPECT_EQ(heat->result.target_class, expected.target_class);
    EXPECT_LT(max_abs_difference(heat->result.map, expected.map), 1e-5f);
    EXPECT_TRUE(heat->result.map.is_contiguous());
    EXPECT_EQ(heat->source_timestamp, 100 + i);
    EXPECT_EQ(heat->target_label, reference_model->label(expected.target_class));
    EXPECT_EQ(heat->caption, caption_text(expected, heat->target_label));
  }
  EXPECT_EQ(stream.explained_frames(), 3u);
  EXPECT_EQ(stream.dropped_frames(), 0u);
}

TEST(StreamExplainer, LatencyIsAnEstimateInSyncModeAndZeroInAsyncMode) {
  EXPECT_GT(StreamExplainer(tiny(), {}, false).latency().count(), 0);
  EXPECT_EQ(StreamExplainer(tiny(), {}, true).latency().count(), 0);
}

TEST(StreamExplainer, AsyncReturnsTheNewestFinishedHeatmapAndDropsFramesThatWaited) {
  Gate gate;
  StreamExplainer stream(tiny(), {}, /*async=*/true, held_at(gate));
  auto frame = random_frame(64, 48, 1);
  EXPECT_EQ(stream.submit(frame.view, 0), nullptr);  // nothing finished yet
  ASSERT_TRUE(gate.wait_for_arrivals(1)) << "frame 0 was not taken up within 30 s";  // and is held there
  EXPECT_EQ(stream.submit(frame.view, 1), nullptr);
  EXPECT_EQ(stream.submit(frame.view, 2), nullptr);  // replaces frame 1
  gate.allow(2);                                      // frames 0 and 2
  stream.wait_until_idle();
  const auto heat = stream.submit(frame.view, 3);  // frame 3 waits at the gate meanwhile
  ASSERT_NE(heat, nullptr);
  EXPECT_EQ(heat->source_timestamp, 2);
  EXPECT_EQ(stream.explained_frames(), 2u);
  EXPECT_EQ(stream.dropped_frames(), 1u);
  gate.open();
  stream.wait_until_idle();
  EXPECT_GE(stream.submit(frame.view, 4)->source_timestamp, 3);
}

TEST(StreamExplainer, AFlushDiscardsTheWorkInFlightAndTheNewestHeatmap) {
  Gate gate;
  // Reused scores, so that only a restart makes the frame after the flush a full refresh.
  StreamExplainer stream(tiny(), with_reuse(8), /*async=*/true, held_at(gate));
  auto frame = random_frame(64, 48, 1);
  stream.submit(frame.view, 0);
  gate.allow(1);
  stream.wait_until_idle();
  ASSERT_NE(stream.submit(frame.view, 1), nullptr);  // frame 0's heatmap; frame 1 is held
  ASSERT_TRUE(gate.wait_for_arrivals(2)) << "frame 1 was not taken up within 30 s";
  stream.flush();                                    // while frame 1 is being explained
  gate.allow(1);
  stream.wait_until_idle();
  EXPECT_EQ(stream.explained_frames(), 1u);          // frame 1's result was thrown away
  EXPECT_EQ(stream.submit(frame.view, 2), nullptr);  // and frame 0's went with the flush
  gate.allow(1);                                     // frame 2
  stream.wait_until_idle();
  const auto heat = stream.submit(frame.view, 3);    // frame 3 waits at the gate meanwhile
  ASSERT_NE(heat, nullptr);
  EXPECT_EQ(heat->source_timestamp, 2);
  EXPECT_TRUE(heat->result.full_refresh);  // the flush also restarted reuse
  gate.open();
}

TEST(StreamExplainer, DiscardingTheWaitingFrameExplainsOnlyTheOneInFlight) {
  Gate gate;
  StreamExplainer stream(tiny(), {}, /*async=*/true, held_at(gate));
  auto frame = random_frame(64, 48, 1);
  stream.submit(frame.view, 0);
  ASSERT_TRUE(gate.wait_for_arrivals(1)) << "frame 0 was not taken up within 30 s";
  stream.submit(frame.view, 1);
  stream.discard_waiting();
  gate.open();
  stream.wait_until_idle();
  EXPECT_EQ(stream.explained_frames(), 1u);
  EXPECT_EQ(stream.dropped_frames(), 0u);
}

TEST(StreamExplainer, AFailureOnTheWorkerIsReportedAndEndsTheHeatmaps) {
  std::vector<std::string> failures;
  StreamEvents events;
  events.explaining = [] { throw Error("the model broke"); };
  events.failed = [&failures](const std::string& what) { failures.push_back(what); };
  StreamExplainer stream(tiny(), {}, /*async=*/true, events);
  auto frame = random_frame(64, 48, 1);
  stream.submit(frame.view, 0);
  stream.wait_until_idle();
  EXPECT_TRUE(stream.failed());
  EXPECT_EQ(failures, (std::vector<std::string>{"the model broke"}));
  EXPECT_EQ(stream.submit(frame.view, 1), nullptr);
  stream.wait_until_idle();
  EXPECT_EQ(failures.size(), 1u);
}

TEST(StreamExplainer, SyncErrorsReachTheCaller) {
  StreamEvents events;
  events.explaining = [] { throw Error("the model broke"); };
  StreamExplainer stream(tiny(), {}, /*async=*/false, events);
  auto frame = random_frame(64, 48, 1);
  try {
    stream.submit(frame.view, 0);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the model broke");
  }
}

TEST(StreamExplainer, NewSettingsApplyFromTheNextFrame) {
  std::vector<std::string> warnings;
  StreamEvents events;
  events.warning = [&warnings](const std::string& what) { warnings.push_back(what); };
  StreamExplainer stream(tiny(), {}, /*async=*/false, events);
  auto frame = random_frame(64, 48, 3);
  const int predicted = stream.submit(frame.view, 0)->result.target_class;
  const int other = (predicted + 1) % stream.model().num_classes();

  ExplainerSettings settings;
  settings.target_class = other;
  stream.reconfigure(settings);
  const auto targeted = stream.submit(frame.view, 1);
  EXPECT_EQ(targeted->result.target_class, other);
  EXPECT_NE(targeted->caption.find(" | map: " + stream.model().label(other)), std::string::npos);

  settings.target_class = 99;  // the model has 5 classes
  stream.reconfigure(settings);
  EXPECT_EQ(stream.submit(frame.view, 2)->result.target_class, predicted);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("out of range"), std::string::npos);
}

TEST(StreamExplainer, RestartingReuseRefreshesTheNextFrame) {
  StreamExplainer stream(tiny(), with_reuse(8), /*async=*/false);
  auto frame = random_frame(64, 48, 4);
  EXPECT_TRUE(stream.submit(frame.view, 0)->result.refreshed);
  EXPECT_FALSE(stream.submit(frame.view, 1)->result.refreshed);
  stream.restart_reuse();
  EXPECT_TRUE(stream.submit(frame.view, 2)->result.refreshed);
  EXPECT_FALSE(stream.submit(frame.view, 3)->result.refreshed);
  stream.flush();
  EXPECT_TRUE(stream.submit(frame.view, 4)->result.refreshed);
}

// With rolling refresh a frame scores 1/N of the channels: that is the latency, not a full
// explanation. Timed estimates: the smallest of three rolling ones against one full one, on a
// model where the two differ by 16 masked batches to 1.
TEST(StreamExplainer, RollingRefreshReportsTheLatencyOfARollingStep) {
  ExplainerSettings full;
  full.score_cam.batch_size = 1;
  ExplainerSettings rolling = full;
  rolling.reuse.refresh_interval = 16;
  rolling.reuse.rolling = true;
  // An estimate times one pass of each kind, which a loaded machine can slow down many times over
  // but never speed up: the least of several estimates of each is compared. On one thread, since a
  // pass split across threads waits for whichever of them is not running then.
  const std::shared_ptr<Model> model = tiny();  // the first load sets the thread count
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto full_latency = std::chrono::nanoseconds::max(), rolling_latency = full_latency;
  for (int i = 0; i < 8; ++i) {
    full_latency = std::min(full_latency, StreamExplainer(model, full, false).latency());
    rolling_latency = std::min(rolling_latency, StreamExplainer(model, rolling, false).latency());
  }
  at::set_num_threads(threads);
  EXPECT_LT(rolling_latency * 2, full_latency);

  // The first frame is a forced full refresh: it does not raise the rolling latency.
  std::vector<std::chrono::nanoseconds> raised;
  StreamEvents events;
  events.latency_grew = [&raised](std::chrono::nanoseconds latency) { raised.push_back(latency); };
  StreamExplainer stream(tiny(), rolling, false, events);
  auto frame = random_frame(64, 48, 5);
  const auto first = stream.submit(frame.view, 0);
  EXPECT_TRUE(first->result.full_refresh);
  EXPECT_TRUE(raised.empty());
}

TEST(StreamExplainer, NonFiniteModelOutputsAreMarkedInvalidAndReportedOnce) {
  std::vector<std::string> warnings;
  StreamEvents events;
  events.warning = [&warnings](const std::string& what) { warnings.push_back(what); };
  StreamExplainer stream(Model::load(test_model("nan_output.pt")), {}, /*async=*/false, events);
  auto frame = random_frame(64, 48, 6);
  for (int i = 0; i < 3; ++i) {
    const auto heat = stream.submit(frame.view, i);
    ASSERT_NE(heat, nullptr);
    EXPECT_FALSE(heat->result.valid);
    EXPECT_TRUE(heat->result.top.empty());
    EXPECT_TRUE(heat->result.empty);
    EXPECT_EQ(heat->result.map.abs().sum().item<float>(), 0.f);
    EXPECT_EQ(heat->caption, "no valid model output");
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("not finite"), std::string::npos);
}

TEST(StreamExplainer, RejectsSettingsTheModelCannotTake) {
  ExplainerSettings settings;
  settings.target_class = 5;
  EXPECT_THROW(StreamExplainer(tiny(), settings, false), Error);
  settings = with_reuse(0);
  EXPECT_THROW(StreamExplainer(tiny(), settings, false), Error);
}

}  // namespace
}  // namespace scorecam
