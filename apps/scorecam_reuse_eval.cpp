// scorecam-reuse-eval: what reusing channel scores across frames costs in fidelity and saves in work.
//
// Runs full Score-CAM on every frame as the reference, then each reuse setting over the same frames,
// and prints per setting: mean and worst per-frame Pearson correlation with the reference map, and
// the forward passes spent relative to the reference.
#include <algorithm>
#include <climits>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>

#include "model_args.h"
#include "scorecam/error.h"
#include "scorecam/faithfulness.h"
#include "scorecam/frame_explainer.h"

namespace {

using namespace scorecam;

const char* kUsage = R"(usage: scorecam-reuse-eval [--model M.pt] [--intervals 2,4,8] [--drift T] [other model options]
                           FRAME.png...   (consecutive frames, in order)
)";

std::vector<int> parse_intervals(const std::string& text) {
  std::vector<int> intervals;
  for (std::size_t start = 0; start < text.size();) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto n = cli::to_integer(text.substr(start, comma - start));
    if (!n || *n < 2 || *n > INT_MAX)
      throw cli::UsageError("--intervals needs numbers of at least 2, e.g. 2,4,8, not '" + text + "'");
    intervals.push_back(static_cast<int>(*n));
    start = comma + 1;
  }
  return intervals;
}

struct Run {
  std::vector<torch::Tensor> maps;
  int64_t forward_passes = 0;
};

Run run_over(Model& model, const ScoreCamOptions& options, const MethodOptions& method, const ReuseOptions& reuse,
             std::vector<cv::Mat>& frames) {
  FrameExplainer explainer(model, options, reuse, -1, method);
  Run run;
  for (auto& frame : frames) {
    const ImageView view{frame.data, frame.cols, frame.rows, frame.step[0], PixelLayout::BGR};
    const auto result = explainer.process(view);
    run.maps.push_back(result.map);
    run.forward_passes += result.forward_passes;
  }
  return run;
}

int evaluate(const cli::CommandLine& args) {
  if (args.positional().size() < 2) throw cli::UsageError("give at least two FRAMEs");
  std::vector<cv::Mat> frames;
  for (const auto& path : args.positional()) {
    frames.push_back(cv::imread(path, cv::IMREAD_COLOR));
    if (frames.back().empty()) throw Error("cannot read frame '" + path + "'");
  }
  const auto model = cli::load_model(args, "scorecam-reuse-eval");
  const auto options = cli::score_cam_options(args);
  const auto method = cli::method_options(args);
  if (!make_method(*model, method, options)->keeps_channel_scores()) {
    throw Error(method_name(method.method) + " keeps nothing between frames: there is no reuse to evaluate");
  }
  const Run full = run_over(*model, options, method, ReuseOptions{}, frames);
  std::printf("%zu frames, full Score-CAM: %lld forward passes\n", frames.size(), static_cast<long long>(full.forward_passes));
  std::printf("%-10s %4s %10s %10s %16s\n", "mode", "N", "mean corr", "min corr", "passes vs full");
  for (const int interval : parse_intervals(args.text("intervals", "2,4,8,16"))) {
    for (const bool rolling : {false, true}) {
      ReuseOptions reuse;
      reuse.refresh_interval = interval;
      reuse.rolling = rolling;
      reuse.drift_threshold = args.number("drift", 0.0);
      const Run run = run_over(*model, options, method, reuse, frames);
      double sum = 0, worst = 1;
      for (std::size_t i = 0; i < frames.size(); ++i) {
        const double r = map_correlation(run.maps[i], full.maps[i]);
        sum += r;
        worst = std::min(worst, r);
      }
      std::printf("%-10s %4d %10.4f %10.4f %15.1f%%\n", rolling ? "rolling" : "periodic", interval,
                  sum / frames.size(), worst, 100.0 * run.forward_passes / full.forward_passes);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = scorecam::cli;
  const cli::Syntax syntax{cli::with_model_options({"intervals", "drift"})};
  return cli::main_with_errors({"scorecam-reuse-eval", kUsage, syntax}, argc, argv, evaluate);
}
