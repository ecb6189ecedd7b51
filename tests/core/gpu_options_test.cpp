// The options made for GPUs, on the CPU: channels_last copies join the exact copies timed against
// each other and classify as the model does; CUDA graphs refuse a CPU device.
#include <gtest/gtest.h>

#include "scorecam/error.h"
#include "scorecam/model.h"
#include "support/test_data.h"
#include "support/test_models.h"

namespace scorecam {
namespace {

using scorecam_test::test_model;

TEST(ChannelsLast, CopiesAreTimedWithTheOthersAndClassifyAsTheModel) {
  ModelOptions options;
  options.channels_last = true;
  const auto model = Model::load(test_model("tiny_rgb.pt"), options);
  const auto plain = Model::load(test_model("tiny_rgb.pt"));
  const auto batch = scorecam_test::load_npy(test_model("tiny_rgb_input.npy")).repeat({4, 1, 1, 1});
  const auto reference = plain->classify(batch);
  // Enough batches for every copy's warm-up and timed calls, whichever copy runs which.
  for (int call = 0; call < 16; ++call) {
    EXPECT_LE(scorecam_test::max_abs_difference(model->classify(batch), reference), 1e-4f) << call;
  }
  const std::string path = model->inference_path();
  EXPECT_NE(path.find("the fastest of 4 "), std::string::npos) << path;
}

TEST(CudaGraphs, NeedACudaDevice) {
  ModelOptions options;
  options.cuda_graphs = true;
  try {
    Model::load(test_model("tiny_rgb.pt"), options);
    ADD_FAILURE() << "expected scorecam::Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cuda-graphs needs a CUDA device (device=cuda), not cpu");
  }
}

}  // namespace
}  // namespace scorecam
