// The exact copies of a module take turns on its first batches and the fastest stays.
#include <gtest/gtest.h>

#include "fastest_module.h"

namespace scorecam::detail {
namespace {

// Two copies with the same result; the slow one does a few hundred passes of extra work.
std::vector<Variant> fast_and_slow() {
  torch::jit::Module fast("fast");
  fast.define("def forward(self, x):\n  return x * 2.0\n");
  torch::jit::Module slow("slow");
  slow.define(
      "def forward(self, x):\n"
      "  y = x\n"
      "  for _ in range(300):\n"
      "    y = torch.tanh(y)\n"
      "  return x * 2.0 + y * 0.0\n");
  return {{slow, "slow", true}, {fast, "fast", true}};
}

int calls_until_decided(FastestModule& module, const torch::Tensor& input) {
  int calls = 0;
  while (!module.decided() && calls < 100) {
    EXPECT_TRUE(module.forward(input).toTensor().equal(input * 2.0));
    ++calls;
  }
  return calls;
}

TEST(FastestModule, KeepsTheFastestCopyAfterTwoWarmUpAndTwoTimedCallsEach) {
  FastestModule module(fast_and_slow());
  EXPECT_EQ(module.how(), "timing 2 exact copies on the first batches (slow; fast)");
  const auto input = torch::rand({4, 4000});
  EXPECT_EQ(calls_until_decided(module, input), 8);
  EXPECT_EQ(module.how().rfind("fast (the fastest of 2 exact copies timed on batches of 4: ", 0), 0u) << module.how();
  EXPECT_TRUE(module.frozen());
}

TEST(FastestModule, TimesOnlyTheLargestBatchSeen) {
  FastestModule module(fast_and_slow());
  const auto small = torch::rand({1, 4000}), large = torch::rand({4, 4000});
  module.forward(large);
  for (int i = 0; i < 20; ++i) module.forward(small);  // a partial last batch is not a fair timing
  EXPECT_FALSE(module.decided());
  // A larger batch than any before starts the timing afresh.
  FastestModule restarted(fast_and_slow());
  for (int i = 0; i < 6; ++i) restarted.forward(small);
  EXPECT_EQ(calls_until_decided(restarted, large), 8);
}

TEST(FastestModule, WarmUpLeavesOnlyTheTimedCalls) {
  FastestModule module(fast_and_slow());
  const auto input = torch::rand({4, 4000});
  module.warm_up(input);
  EXPECT_EQ(calls_until_decided(module, input), 4);
  EXPECT_EQ(module.how().rfind("fast (", 0), 0u) << module.how();
}

TEST(FastestModule, OneCopyNeedsNoTiming) {
  torch::jit::Module only("only");
  only.define("def forward(self, x):\n  return x + 1.0\n");
  FastestModule module({{only, "as loaded, not frozen (reason)", false}});
  EXPECT_TRUE(module.decided());
  EXPECT_FALSE(module.frozen());
  EXPECT_EQ(module.how(), "as loaded, not frozen (reason)");
}

}  // namespace
}  // namespace scorecam::detail
