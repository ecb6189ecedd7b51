// The copies of a module are timed on one batch and the fastest stays.
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

TEST(FastestModule, KeepsTheFastestCopyTimedOnTheBatchItIsGiven) {
  FastestModule module(fast_and_slow());
  EXPECT_FALSE(module.decided());
  EXPECT_EQ(module.how(), "2 copies not yet timed (slow; fast)");
  const auto input = torch::rand({4, 4000});
  EXPECT_TRUE(module.forward(input).toTensor().equal(input * 2.0));  // the first copy, until timed
  module.keep_fastest(input);
  EXPECT_TRUE(module.decided());
  EXPECT_EQ(module.how().rfind("fast (the fastest of 2 copies timed at load on batches of 4: ", 0), 0u) << module.how();
  // The kept copy's rate comes first; the other copy is named beside its own.
  EXPECT_NE(module.how().find(" images/s, against "), std::string::npos) << module.how();
  EXPECT_EQ(module.how().substr(module.how().size() - 6), " slow)") << module.how();
  EXPECT_TRUE(module.forward(input).toTensor().equal(input * 2.0));
  EXPECT_TRUE(module.frozen());
}

// A reduced-precision copy takes its input in its own type.
TEST(FastestModule, ConvertsTheInputToTheCopysType) {
  torch::jit::Module typed("typed");
  // 0.1 is not a bf16 number: x * 10 shows which type x arrived in.
  typed.define("def forward(self, x):\n  return x.float() * 10.0\n");
  FastestModule module({{typed, "bf16", true, torch::kBFloat16}});
  const auto input = torch::full({2, 3}, 0.1f);
  const auto output = module.forward(input).toTensor();
  EXPECT_TRUE(output.equal(input.to(torch::kBFloat16).to(torch::kFloat) * 10.0));
  EXPECT_FALSE(output.equal(input * 10.0));
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
