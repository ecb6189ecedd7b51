// scorecam-bench: how close Score-CAM comes to the model's own batched inference throughput, and
// what each method costs per frame.
//
// Score-CAM cannot be cheaper than one forward pass per evaluated channel, so the figure that
// matters is masked forward passes per second divided by the model's plain batched throughput,
// both measured in the same run, with the same (frozen, optimized) module, on the same inputs:
// the masked batches of a real image. On a CPU the speed of a forward pass depends on the input's
// values (random noise runs far slower than real images), so the noise figure is printed only for
// reference.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <thread>

#include <ATen/Parallel.h>
#ifdef SCORECAM_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#endif

#include "model_args.h"
#include "scorecam/bundled_model.h"
#include "scorecam/error.h"
#include "scorecam/image.h"
#include "scorecam/maps.h"
#include "scorecam/npy.h"
#include "scorecam/cam_method.h"
#include "scorecam/score_cam.h"

namespace {

using namespace scorecam;
using Clock = std::chrono::steady_clock;

const char* kUsage = R"(usage: scorecam-bench [--model M.pt] [--config M.json] [--layer NAME] [--size HxW]
                      [--method scorecam|sscam|iscam|gradcam|gradcampp] [--samples N] [--noise-sigma S]
                      [--batch-size B] [--max-channels N] [--selection all|std|mean|random]
                      [--score-mode probability|logit-softmax|cic|centred] [--device D] [--precision P]
                      [--image IMG] [--frames F] [--seconds S] [--save-map OUT.npy] [--no-limit]
                      [--streams N] [--parallel-passes P] [--channels-last] [--cuda-graphs]

Explains IMG (default: the bundled photograph samples/astronaut.jpg) F times (default 3), after
warm-up frames (not counted) that last until the model has chosen the fastest of its exact copies
(at most 8), and prints:
  - the limit: plain batched inference (images/s) of the model's own frozen, inference-optimized
    module on the masked inputs of IMG that Score-CAM classifies, measured for S seconds (default 5)
    before and after the Score-CAM frames; the mean is the divisor of the ratio;
  - for reference, the same module on random-noise batches and the module as loaded (not frozen);
  - Score-CAM's masked forward passes per second, their ratio to the limit, and ms per frame
    (median, spread).
--method: the Score-CAM family (sscam and iscam make --samples masked passes per channel) is
measured against the limit as above; gradcam and gradcampp, one forward and one backward pass a
frame, print ms per frame only.
--save-map writes the last frame's map (the model's input size, float32) as .npy. --no-limit
measures only the Score-CAM frames (for comparisons, such as tools/compare_with_pytorch.py).
IMG is any image file, or an RGB image saved as .npy (height x width x 3, uint8); built without
OpenCV (SCORECAM_WITH_OPENCV=OFF), only the latter.
--streams N explains IMG F times on each of N threads at once, each with its own method on the
one model, as N video streams sharing it do, and prints their frames per second together and how
many requests the model's passes served (merged passes serve several); --parallel-passes P lets
at most P passes run at once (default 0: one on a GPU, no limit on a CPU).
--channels-last also times copies of the model in channels_last order (kept where faster);
--cuda-graphs records each shape of masked batch as a CUDA graph, replayed where faster (CUDA
only). The "forward passes" line says what was kept.
)";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const std::size_t index = std::min(values.size() - 1, static_cast<std::size_t>(p * (values.size() - 1) + 0.5));
  return values[index];
}

// Images per second of plain batched classification over `pool`, in batches of `batch`, cycling,
// for at least `min_seconds` and three batches.
double inference_throughput(Model& model, const torch::Tensor& pool, int64_t batch, double min_seconds) {
  const int64_t chunks = std::max<int64_t>(1, pool.size(0) / batch);
  auto chunk = [&](int64_t i) { return pool.narrow(0, (i % chunks) * batch, std::min(batch, pool.size(0))); };
  // The graph executor profiles and optimizes over its first runs: keep them out of the timing.
  for (int i = 0; i < 3; ++i) model.classify(chunk(i)).sum().item<float>();
  int64_t images = 0;
  torch::Tensor sink = torch::zeros({}, torch::TensorOptions().device(model.device()));
  const auto start = Clock::now();
  for (int64_t i = 0; seconds_since(start) < min_seconds || i < 3; ++i) {
    const auto input = chunk(i);
    sink = sink + model.classify(input).sum();
    images += input.size(0);
  }
  sink.item<float>();  // waits for the device
  return images / seconds_since(start);
}

torch::Tensor load_image(const std::string& path, const Model& model) {
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    torch::Tensor pixels = load_npy(path);
    if (pixels.scalar_type() != torch::kUInt8 || pixels.dim() != 3 || pixels.size(2) != 3) {
      throw Error("'" + path + "' is not an RGB image: an image in .npy is height x width x 3, uint8");
    }
    return to_model_input({pixels.data_ptr<uint8_t>(), static_cast<int>(pixels.size(1)),
                           static_cast<int>(pixels.size(0)), static_cast<std::size_t>(pixels.stride(0)),
                           PixelLayout::RGB},
                          model);
  }
#ifdef SCORECAM_WITH_OPENCV
  cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
  if (image.empty()) throw Error("cannot read image '" + path + "' (missing, unreadable or not an image)");
  return to_model_input({image.data, image.cols, image.rows, image.step[0], PixelLayout::BGR}, model);
#else
  throw Error("this scorecam-bench was built without OpenCV: it reads --image as .npy (height x width x 3, "
              "uint8, RGB) only, not '" + path + "'");
#endif
}

struct TimedFrames {
  std::vector<double> milliseconds;  // of every frame of every stream
  double seconds = 0;                // the frames' time, or with several streams the wall time of all
  PassCounts passes;                 // the model's passes over the frames, and the requests they served
};

// `frames` explanations of `input` on each of `streams` threads at once (each stream its own method
// on `model`, warmed up first), as streams sharing one model run; `first` is the first stream's.
TimedFrames time_frames(Model& model, CamMethod& first, const cli::CommandLine& args, const torch::Tensor& input,
                        int frames, int streams, Explanation& result) {
  std::vector<std::unique_ptr<CamMethod>> others;
  std::vector<CamMethod*> methods = {&first};
  for (int i = 1; i < streams; ++i) {
    others.push_back(make_method(model, cli::method_options(args), cli::score_cam_options(args)));
    others.back()->explain(input);  // its buffers
    methods.push_back(others.back().get());
  }
  std::vector<std::vector<double>> milliseconds(streams);
  std::vector<Explanation> last(streams);
  std::vector<std::exception_ptr> errors(streams);
  const PassCounts before = model.pass_counts();
  const auto start = Clock::now();
  const auto stream = [&](int i) {
    try {
      for (int frame = 0; frame < frames; ++frame) {
        const auto frame_start = Clock::now();
        last[i] = methods[i]->explain(input);  // returns the map on the CPU: the device has finished
        milliseconds[i].push_back(seconds_since(frame_start) * 1000.0);
      }
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < streams; ++i) threads.emplace_back(stream, i);
  stream(0);
  for (auto& thread : threads) thread.join();
  TimedFrames timed;
  timed.seconds = seconds_since(start);
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  const PassCounts after = model.pass_counts();
  timed.passes = {after.passes - before.passes, after.requests - before.requests};
  for (const auto& times : milliseconds) {
    timed.milliseconds.insert(timed.milliseconds.end(), times.begin(), times.end());
  }
  if (streams == 1) timed.seconds = std::accumulate(milliseconds[0].begin(), milliseconds[0].end(), 0.0) / 1000.0;
  result = last[0];
  return timed;
}

int run(const cli::CommandLine& args) {
  const int frames = args.integer("frames", 3, cli::Range::at_least(1));
  const int streams = args.integer("streams", 1, cli::Range::from_to(1, 64));
  const double seconds = args.number("seconds", 5.0);
  const std::string image_path = args.has("image") ? args.text("image") : bundled_photo_path();
  if (image_path.empty()) throw Error("no --image given and the bundled photograph is not installed");

  const auto model = cli::load_model(args, "scorecam-bench");
  const auto method = cli::method_options(args);
  const auto cam = make_method(*model, method, cli::score_cam_options(args));
  // Makes the masked inputs the limit is measured on, as Score-CAM makes them.
  ScoreCam masking(*model, cli::score_cam_options(args));
  const int64_t batch = masking.options().batch_size;
  const auto& config = model->config();
  const auto& shape = model->activation_shape();
  std::printf("model %s, layer %s [%lld x %lld x %lld], input %dx%d, device %s, %s, batch %lld, threads %d\n",
              cli::model_path(args).c_str(), model->target_layer().c_str(), static_cast<long long>(shape[0]),
              static_cast<long long>(shape[1]), static_cast<long long>(shape[2]), config.input_height,
              config.input_width, model->device().str().c_str(), c10::toString(model->dtype()),
              static_cast<long long>(batch), at::get_num_threads());
  std::printf("image: %s; method %s\n", image_path.c_str(), method_name(method.method).c_str());

  const torch::Tensor input = load_image(image_path, *model);
  // The masked inputs of the first (up to) four batches of this image's channels, as Score-CAM makes them.
  const auto activations = model->forward(input).activations;
  auto channels = masking.select_channels(activations);
  channels = channels.narrow(0, 0, std::min<int64_t>(channels.numel(), 4 * batch));
  if (channels.numel() == 0) throw Error("every channel of the target layer is constant on this image: nothing to mask");
  const torch::Tensor masked = masked_inputs(input, activations, channels);

  const bool limit = !args.has("no-limit") && cam->keeps_channel_scores();
  // Warm-up: buffers are allocated, the graph executor specializes, a reduced precision is tried
  // (its first map decides): the limit is then the copy's that runs the frames.
  Explanation result = cam->explain(input);
  const double limit_before = limit ? inference_throughput(*model, masked, batch, seconds) : 0;
  const TimedFrames timed = time_frames(*model, *cam, args, input, frames, streams, result);
  const std::vector<double>& milliseconds = timed.milliseconds;
  std::printf("forward passes: %s\n", model->inference_path().c_str());
  if (streams > 1) {
    const int parallel = cli::model_options(args).parallel_passes;
    std::printf("streams: %d on one model (parallel passes: %s): %.2f frames/s together; %llu passes served %llu "
                "requests\n",
                streams, parallel > 0 ? std::to_string(parallel).c_str() : "the device's default",
                streams * frames / timed.seconds, static_cast<unsigned long long>(timed.passes.passes),
                static_cast<unsigned long long>(timed.passes.requests));
  }
  if (limit) {
    const double limit_after = inference_throughput(*model, masked, batch, seconds);
    const double mean_limit = (limit_before + limit_after) / 2.0;
    const double noise = inference_throughput(*model, torch::randn_like(masked), batch, seconds);
    auto plain_options = cli::model_options(args);
    plain_options.optimize = false;
    plain_options.channels_last = plain_options.cuda_graphs = false;
    const double as_loaded =
        inference_throughput(*Model::load(cli::model_path(args), plain_options), masked, batch, seconds);
    std::printf("limit: %.2f images/s (%.2f before, %.2f after): this module on the masked inputs of the image, "
                "batch %lld; the ratio divides by it\n",
                mean_limit, limit_before, limit_after, static_cast<long long>(batch));
    std::printf("  for reference: %.2f images/s on random-noise batches; %.2f images/s with the module as loaded "
                "(not frozen) on the masked inputs\n",
                noise, as_loaded);
    const double rate = static_cast<double>(result.channels_evaluated) * frames * streams / timed.seconds;
    std::printf("%s: %.2f masked forward passes/s (%d per frame)\n", method_name(method.method).c_str(), rate,
                result.channels_evaluated);
    std::printf("ratio to the limit: %.3f\n", rate / mean_limit);
  } else if (cam->keeps_channel_scores()) {
    std::printf("%s: %d masked forward passes per frame\n", method_name(method.method).c_str(),
                result.channels_evaluated);
  } else {
    std::printf("%s: one forward and one backward pass per frame\n", method_name(method.method).c_str());
  }
  std::printf("ms per frame: median %.1f (min %.1f, max %.1f) over %zu frames\n", percentile(milliseconds, 0.5),
              *std::min_element(milliseconds.begin(), milliseconds.end()),
              *std::max_element(milliseconds.begin(), milliseconds.end()), milliseconds.size());
  if (args.has("save-map")) save_npy(args.text("save-map"), result.map);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = scorecam::cli;
  const cli::Syntax syntax{
      cli::with_model_options({"frames", "seconds", "image", "save-map", "streams", "parallel-passes"}),
      {"no-limit", "channels-last", "cuda-graphs"}};
  return cli::main_with_errors({"scorecam-bench", kUsage, syntax}, argc, argv, run);
}
