// The one-slot mailbox and its worker thread. Every race is played out in a fixed order with a Gate.
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "scorecam/newest_frame_worker.h"
#include "support/gate.h"

namespace scorecam {
namespace {

using scorecam_test::Gate;

// Records what the worker was given; holds it at the gate first.
struct Recorder {
  Gate gate;
  std::mutex lock;
  std::vector<int64_t> timestamps;
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<std::string> failures;

  NewestFrameWorker::Process process(int64_t fail_on = -1) {
    return [this, fail_on](const PostedFrame& frame) {
      gate.pass();
      if (frame.timestamp == fail_on) throw std::runtime_error("cannot explain frame " + std::to_string(fail_on));
      std::lock_guard<std::mutex> hold(lock);
      timestamps.push_back(frame.timestamp);
      EXPECT_EQ(frame.view.stride, static_cast<std::size_t>(frame.view.width * 3)) << "copies are tightly packed";
      pixels.emplace_back(frame.view.data, frame.view.data + frame.view.stride * frame.view.height);
    };
  }
  NewestFrameWorker::Failure failure() {
    return [this](const std::string& what) {
      std::lock_guard<std::mutex> hold(lock);
      failures.push_back(what);
    };
  }
};

// A 4x2 RGB frame whose rows are padded to 16 bytes, every byte `value` (the padding 0xEE).
std::vector<uint8_t> padded_frame(uint8_t value) {
  std::vector<uint8_t> bytes(16 * 2, 0xEE);
  for (int y = 0; y < 2; ++y) std::fill_n(bytes.begin() + y * 16, 12, value);
  return bytes;
}

ImageView view_of(std::vector<uint8_t>& bytes) { return {bytes.data(), 4, 2, 16, PixelLayout::RGB}; }

TEST(NewestFrameWorker, AWaitingFrameIsReplacedByANewerOne) {
  Recorder recorder;
  NewestFrameWorker worker(recorder.process(), recorder.failure());
  auto frame = padded_frame(1);
  worker.post(view_of(frame), 1, 0);
  ASSERT_TRUE(recorder.gate.wait_for_arrivals(1)) << "frame 1 was not taken up within 30 s";  // and is held there
  worker.post(view_of(frame), 2, 0);
  worker.post(view_of(frame), 3, 0);  // replaces frame 2
  EXPECT_EQ(worker.dropped(), 1u);
  recorder.gate.open();
  worker.wait_until_idle();
  EXPECT_EQ(recorder.timestamps, (std::vector<int64_t>{1, 3}));
  EXPECT_FALSE(worker.failed());
}

TEST(NewestFrameWorker, CopiesTheFrameSoTheCallerMayReuseItsBuffer) {
  Recorder recorder;
  NewestFrameWorker worker(recorder.process(), recorder.failure());
  auto frame = padded_frame(7);
  worker.post(view_of(frame), 1, 0);
  std::fill(frame.begin(), frame.end(), 9);  // the caller's buffer goes back to its pool
  recorder.gate.open();
  worker.wait_until_idle();
  ASSERT_EQ(recorder.pixels.size(), 1u);
  EXPECT_EQ(recorder.pixels[0], std::vector<uint8_t>(4 * 2 * 3, 7));  // without the row padding
}

TEST(NewestFrameWorker, KeepsTheGenerationOfEachFrame) {
  std::vector<uint64_t> generations;
  NewestFrameWorker worker([&](const PostedFrame& frame) { generations.push_back(frame.generation); },
                           [](const std::string&) {});
  auto frame = padded_frame(1);
  worker.post(view_of(frame), 1, 5);
  worker.wait_until_idle();
  worker.post(view_of(frame), 2, 6);
  worker.wait_until_idle();
  EXPECT_EQ(generations, (std::vector<uint64_t>{5, 6}));
}

TEST(NewestFrameWorker, DiscardingTheWaitingFrameIsNotCountedAsDropped) {
  Recorder recorder;
  NewestFrameWorker worker(recorder.process(), recorder.failure());
  auto frame = padded_frame(1);
  worker.post(view_of(frame), 1, 0);
  ASSERT_TRUE(recorder.gate.wait_for_arrivals(1)) << "frame 1 was not taken up within 30 s";
  worker.post(view_of(frame), 2, 0);
  worker.discard_waiting();
  recorder.gate.open();
  worker.wait_until_idle();
  EXPECT_EQ(recorder.timestamps, (std::vector<int64_t>{1}));
  EXPECT_EQ(worker.dropped(), 0u);
}

TEST(NewestFrameWorker, AFailureIsReportedOnceAndStopsTheWorker) {
  Recorder recorder;
  NewestFrameWorker worker(recorder.process(/*fail_on=*/1), recorder.failure());
  auto frame = padded_frame(1);
  worker.post(view_of(frame), 1, 0);
  ASSERT_TRUE(recorder.gate.wait_for_arrivals(1)) << "frame 1 was not taken up within 30 s";
  worker.post(view_of(frame), 2, 0);  // waiting when frame 1 fails: never processed
  recorder.gate.open();
  worker.wait_until_idle();
  EXPECT_TRUE(worker.failed());
  worker.post(view_of(frame), 3, 0);  // ignored
  worker.wait_until_idle();
  EXPECT_TRUE(recorder.timestamps.empty());
  EXPECT_EQ(recorder.failures, (std::vector<std::string>{"cannot explain frame 1"}));
}

TEST(NewestFrameWorker, WaitingForIdleWithNothingPostedReturnsAtOnce) {
  Recorder recorder;
  NewestFrameWorker worker(recorder.process(), recorder.failure());
  const auto started = std::chrono::steady_clock::now();
  worker.wait_until_idle();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "it waited for something";
  EXPECT_TRUE(recorder.timestamps.empty());
}

TEST(NewestFrameWorker, StopsAfterTheFrameInFlight) {
  Recorder recorder;
  auto worker = std::make_unique<NewestFrameWorker>(recorder.process(), recorder.failure());
  auto frame = padded_frame(1);
  worker->post(view_of(frame), 1, 0);
  ASSERT_TRUE(recorder.gate.wait_for_arrivals(1)) << "frame 1 was not taken up within 30 s";
  worker->post(view_of(frame), 2, 0);
  std::thread stopper([&] { worker.reset(); });  // blocks until frame 1 is done
  recorder.gate.open();
  stopper.join();
  ASSERT_FALSE(recorder.timestamps.empty());
  EXPECT_EQ(recorder.timestamps.front(), 1);
  EXPECT_LE(recorder.timestamps.size(), 2u);  // frame 2 only if it was taken before the stop
}

}  // namespace
}  // namespace scorecam
