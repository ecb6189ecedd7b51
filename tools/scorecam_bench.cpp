// scorecam-bench: how close Score-CAM comes to the model's own batched inference throughput.
//
// Score-CAM cannot be cheaper than one forward pass per evaluated channel, so the figure that
// matters is masked forward passes per second divided by plain batched images per second, both
// measured in the same run on the same device.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <ATen/Parallel.h>

#include "cli_args.h"
#include "scorecam/error.h"
#include "scorecam/score_cam.h"

namespace {

using namespace scorecam;
using Clock = std::chrono::steady_clock;

const char* kUsage = R"(usage: scorecam-bench [--model M.pt] [--config M.json] [--layer NAME] [--size HxW]
                      [--batch-size B] [--max-channels N] [--selection all|std|mean|random]
                      [--score-mode probability|logit-softmax|cic] [--device D] [--precision P]
                      [--frames F] [--seconds S (plain inference, default 10)]

Prints plain batched inference throughput (images/s), Score-CAM masked forward passes per second,
their ratio, and milliseconds per frame (median and p95) over F frames (default 3).
)";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const std::size_t index = std::min(values.size() - 1, static_cast<std::size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

// Images per second of plain batched classification, run for at least `min_seconds`.
double inference_throughput(Model& model, int batch, double min_seconds) {
  const auto& config = model.config();
  const auto input = torch::randn({batch, model.input_channels(), config.input_height, config.input_width},
                                  torch::TensorOptions().device(model.device()).dtype(model.dtype()));
  // The profiling graph executor optimizes the graph over its first runs: keep them out of the timing.
  for (int i = 0; i < 3; ++i) model.classify(input).sum().item<float>();
  int64_t images = 0;
  const auto start = Clock::now();
  torch::Tensor sink = torch::zeros({}, torch::TensorOptions().device(model.device()));
  do {
    sink = sink + model.classify(input).sum();
    images += batch;
  } while (seconds_since(start) < min_seconds || images < 3 * batch);
  sink.item<float>();  // waits for the device
  return images / seconds_since(start);
}

int run(int argc, char** argv) {
  auto options = cli::kModelOptions;
  options.insert({"frames", "seconds"});
  const cli::Args args(argc, argv, options, {"help"});
  if (args.has("help")) {
    std::cout << kUsage;
    return 0;
  }
  const int frames = args.integer("frames", 3);
  if (frames < 1) throw Error("--frames must be at least 1");
  const auto model = Model::load(cli::model_path(args), cli::model_options(args));
  ScoreCam cam(*model, cli::score_cam_options(args));
  const auto& config = model->config();
  const auto& shape = model->activation_shape();
  std::printf("model %s, layer %s [%lld x %lld x %lld], input %dx%d, device %s, %s, batch %d, threads %d\n",
              cli::model_path(args).c_str(), model->target_layer().c_str(), static_cast<long long>(shape[0]),
              static_cast<long long>(shape[1]), static_cast<long long>(shape[2]), config.input_height,
              config.input_width, model->device().str().c_str(), c10::toString(model->dtype()),
              cam.options().batch_size, at::get_num_threads());

  // Plain throughput before and after the Score-CAM frames: their mean cancels slow drifts of a shared machine.
  const double seconds = args.number("seconds", 10.0);
  const double plain_before = inference_throughput(*model, cam.options().batch_size, seconds);

  std::vector<double> milliseconds;
  int64_t masked = 0;
  double total = 0;
  for (int i = 0; i < frames; ++i) {
    const auto input = torch::randn({1, model->input_channels(), config.input_height, config.input_width},
                                    torch::TensorOptions().device(model->device()).dtype(model->dtype()));
    const auto start = Clock::now();
    const auto result = cam.explain(input);  // returns the map on the CPU: the device has finished
    const double elapsed = seconds_since(start);
    if (i == 0 && frames > 1) continue;  // the first frame allocates buffers
    milliseconds.push_back(elapsed * 1000.0);
    masked += result.channels_evaluated;
    total += elapsed;
  }
  const double plain_after = inference_throughput(*model, cam.options().batch_size, seconds);
  const double plain = (plain_before + plain_after) / 2.0;
  std::printf("plain batched inference: %.2f images/s (%.2f before, %.2f after)\n", plain, plain_before, plain_after);
  const double rate = masked / total;
  std::printf("score-cam: %.2f masked forward passes/s (%lld channels per frame)\n", rate,
              static_cast<long long>(masked / static_cast<int64_t>(milliseconds.size())));
  std::printf("ratio to plain inference: %.3f\n", rate / plain);
  std::printf("ms per frame: median %.1f, p95 %.1f over %zu frames\n", percentile(milliseconds, 0.5),
              percentile(milliseconds, 0.95), milliseconds.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return scorecam::cli::main_with_errors("scorecam-bench", argc, argv, run); }
