// One model shared by several threads: the inference queue that merges their passes, the pool
// that hands out one model per file and options, and streams whose results must not change when
// their passes are batched with other streams'.
#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "inference_queue.h"
#include "scorecam/error.h"
#include "scorecam/frame_explainer.h"
#include "scorecam/model_pool.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using detail::InferenceQueue;
using scorecam_test::max_abs_difference;
using scorecam_test::random_frame;
using scorecam_test::test_model;

constexpr std::chrono::seconds kPatience{30};

// A pass that doubles its input and records the batch sizes it ran on.
struct DoublingPass {
  std::vector<int64_t> batches;
  InferenceQueue::Pass pass() {
    return [this](const torch::Tensor& batch) {
      batches.push_back(batch.size(0));
      return std::vector<torch::Tensor>{batch * 2, batch.sum(1)};
    };
  }
  // What a caller of run() with `input` must get, whatever batch its rows ran in.
  static bool gave(const std::vector<torch::Tensor>& outputs, const torch::Tensor& input) {
    return outputs.size() == 2 && torch::equal(outputs[0], input * 2) && torch::equal(outputs[1], input.sum(1));
  }
};

// The pass ran on batches of these sizes, one pass each, for `requests` calls of run().
testing::AssertionResult ran(const InferenceQueue& queue, const DoublingPass& doubling,
                             const std::vector<int64_t>& batches, uint64_t requests) {
  const auto counts = queue.counts();
  if (doubling.batches == batches && counts.passes == batches.size() && counts.requests == requests)
    return testing::AssertionSuccess();
  return testing::AssertionFailure() << "batches " << testing::PrintToString(doubling.batches) << ", "
                                     << counts.passes << " passes for " << counts.requests << " requests";
}

torch::Tensor rows(int64_t count, int64_t width, float first) {
  return torch::arange(first, first + static_cast<float>(count * width)).view({count, width});
}

TEST(InferenceQueue, ACallerAloneRunsItsPassInline) {
  InferenceQueue queue(8);
  DoublingPass doubling;
  const auto input = rows(3, 4, 0);
  EXPECT_TRUE(DoublingPass::gave(queue.run(0, input, doubling.pass()), input));
  EXPECT_TRUE(ran(queue, doubling, {3}, 1));
}

TEST(InferenceQueue, RequestsThatWaitTogetherRunAsOneBatchAndEachGetsItsOwnRows) {
  InferenceQueue queue(8);
  DoublingPass doubling;
  const auto pass = doubling.pass();
  std::vector<std::future<std::vector<torch::Tensor>>> results;
  const std::vector<torch::Tensor> inputs{rows(1, 4, 0), rows(2, 4, 100), rows(3, 4, 200)};
  {
    InferenceQueue::Hold hold(queue);
    for (const auto& input : inputs) {
      results.push_back(std::async(std::launch::async, [&, input] { return queue.run(0, input, pass); }));
    }
    ASSERT_TRUE(queue.wait_for_waiting(inputs.size(), kPatience));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) EXPECT_TRUE(DoublingPass::gave(results[i].get(), inputs[i])) << i;
  EXPECT_TRUE(ran(queue, doubling, {6}, 3));
}

TEST(InferenceQueue, OnlyPassesOfOneKindAndShapeMergeAndNoneGrowsPastTheBound) {
  InferenceQueue queue(4);
  DoublingPass doubling;
  const auto pass = doubling.pass();
  struct Call {
    int kind;
    torch::Tensor input;
  };
  const std::vector<Call> calls{{0, rows(2, 4, 0)}, {1, rows(1, 4, 0)}, {0, rows(1, 5, 0)},
                                {0, rows(2, 4, 0)}, {0, rows(1, 4, 0)}, {0, rows(6, 4, 0)}};
  std::vector<std::future<std::vector<torch::Tensor>>> results;
  {
    InferenceQueue::Hold hold(queue);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      const Call call = calls[i];
      results.push_back(std::async(std::launch::async, [&, call] { return queue.run(call.kind, call.input, pass); }));
      ASSERT_TRUE(queue.wait_for_waiting(i + 1, kPatience));  // in this order
    }
  }
  for (std::size_t i = 0; i < calls.size(); ++i) EXPECT_TRUE(DoublingPass::gave(results[i].get(), calls[i].input)) << i;
  // [2 + 2 rows of kind 0, width 4] (the third would pass the bound), kind 1, width 5, the last
  // row of width 4 alone, and 6 rows alone since they exceed the bound themselves.
  EXPECT_TRUE(ran(queue, doubling, {4, 1, 1, 1, 6}, 6));
}

TEST(InferenceQueue, AFailedPassReachesEveryCallerItRanForAndTheQueueGoesOn) {
  InferenceQueue queue(8);
  const InferenceQueue::Pass failing = [](const torch::Tensor&) -> std::vector<torch::Tensor> {
    throw std::runtime_error("out of memory");
  };
  std::vector<std::future<std::vector<torch::Tensor>>> results;
  {
    InferenceQueue::Hold hold(queue);
    for (int i = 0; i < 2; ++i) {
      results.push_back(std::async(std::launch::async, [&] { return queue.run(0, rows(1, 4, 0), failing); }));
    }
    ASSERT_TRUE(queue.wait_for_waiting(2, kPatience));
  }
  for (auto& result : results) EXPECT_THROW(result.get(), std::runtime_error);
  DoublingPass doubling;
  EXPECT_TRUE(DoublingPass::gave(queue.run(0, rows(1, 4, 0), doubling.pass()), rows(1, 4, 0)));
}

TEST(InferenceQueue, WorkThatNeedsTheModelAloneIsNeverRunBesideAPass) {
  InferenceQueue queue(8);
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  const auto enter = [&] {
    if (inside.fetch_add(1) > 0) overlapped = true;
    std::this_thread::yield();
    inside.fetch_sub(1);
  };
  const InferenceQueue::Pass pass = [&](const torch::Tensor& batch) {
    enter();
    return std::vector<torch::Tensor>{batch};
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if ((i + t) % 3 == 0) {
          queue.run_alone(enter);
        } else {
          queue.run(0, rows(1, 4, 0), pass);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(overlapped);
}

TEST(ModelPool, OneFileLoadedTheSameWayIsOneModelWhileAnyoneHoldsIt) {
  ModelPool pool;
  const auto path = test_model("tiny_rgb.pt");
  auto first = pool.acquire(path, {});
  auto second = pool.acquire(path, {});
  EXPECT_EQ(first, second);
  ModelOptions other;
  other.optimize = false;
  auto third = pool.acquire(path, other);
  EXPECT_NE(first, third);
  EXPECT_NE(pool.acquire(test_model("tiny_gray.pt"), {}), first);
  EXPECT_EQ(pool.loaded(), 2u);
  first.reset();
  second.reset();
  third.reset();
  EXPECT_EQ(pool.loaded(), 0u);
}

TEST(ModelPool, ThreadsAskingAtOnceLoadTheModelOnce) {
  ModelPool pool;
  std::vector<std::future<std::shared_ptr<Model>>> models;
  for (int i = 0; i < 4; ++i) {
    models.push_back(std::async(std::launch::async, [&] { return pool.acquire(test_model("tiny_rgb.pt"), {}); }));
  }
  const auto first = models[0].get();
  for (std::size_t i = 1; i < models.size(); ++i) EXPECT_EQ(models[i].get(), first);
}

TEST(ModelPool, AFailedLoadIsReportedToEveryCallerAndNotKept) {
  ModelPool pool;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      pool.acquire("/no/such/model.pt", {});
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("/no/such/model.pt"), std::string::npos);
    }
  }
  EXPECT_EQ(pool.loaded(), 0u);
}

// Streams explaining at the same time on one model have their passes merged; each must get the
// maps it gets alone. Up to rounding: a convolution may sum in another order for another batch
// size (here up to 6e-7 apart, or none at all when oneDNN's copy was chosen).
TEST(SharedModel, StreamsBatchedTogetherGetTheResultsTheyGetAlone) {
  const auto model = ModelPool::process().acquire(test_model("tiny_rgb.pt"), {});
  constexpr int kStreams = 3, kFrames = 4;
  ScoreCamOptions options;
  options.batch_size = 4;  // several masked batches per frame, for them to merge
  // Made here: random_frame() seeds the global generator, which threads would share.
  std::vector<std::vector<scorecam_test::Frame>> frames(kStreams);
  for (int s = 0; s < kStreams; ++s) {
    for (int f = 0; f < kFrames; ++f) frames[s].push_back(random_frame(64, 48, 10 * s + f));
  }
  const auto explain_stream = [&](int s) {
    FrameExplainer explainer(*model, options, {});
    std::vector<FrameResult> results;
    for (const auto& frame : frames[s]) results.push_back(explainer.process(frame.view));
    return results;
  };
  std::vector<std::vector<FrameResult>> alone;
  for (int s = 0; s < kStreams; ++s) alone.push_back(explain_stream(s));
  const auto before = model->pass_counts();

  std::vector<std::future<std::vector<FrameResult>>> together;
  {
    // Every stream's first pass waits at once, so at least those merge.
    InferenceQueue::Hold hold(model->inference_queue());
    for (int s = 0; s < kStreams; ++s) together.push_back(std::async(std::launch::async, explain_stream, s));
    ASSERT_TRUE(model->inference_queue().wait_for_waiting(kStreams, kPatience));
  }
  float worst = 0;
  for (int s = 0; s < kStreams; ++s) {
    const auto results = together[s].get();
    for (int f = 0; f < kFrames; ++f) {
      EXPECT_EQ(results[f].target_class, alone[s][f].target_class) << s << ' ' << f;
      EXPECT_EQ(results[f].forward_passes, alone[s][f].forward_passes) << s << ' ' << f;
      worst = std::max(worst, max_abs_difference(results[f].map, alone[s][f].map));
    }
  }
  EXPECT_LT(worst, 1e-5f);
  const auto after = model->pass_counts();
  EXPECT_GT(after.requests - before.requests, after.passes - before.passes);
}

}  // namespace
}  // namespace scorecam
