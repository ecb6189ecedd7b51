#include "scorecam/score_cam.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "scorecam/error.h"
#include "scorecam/maps.h"

namespace scorecam {
namespace {

const EnumNames<ScoreMode> kScoreModes = {
    {"probability", ScoreMode::Probability,
     "Softmax probability of the target class on each masked input (official Score-CAM)"},
    {"logit-softmax", ScoreMode::LogitSoftmax,
     "Target logit on each masked input, softmax across channels (pytorch-grad-cam, torch-cam)"},
    {"cic", ScoreMode::BaselineSubtracted, "Probability minus that of the mean image (the paper's CIC)"},
    {"centred", ScoreMode::Centred,
     "Probability minus its mean over the scored channels (less of the map on objects of other classes)"}};

const EnumNames<ChannelSelection> kSelections = {
    {"all", ChannelSelection::All, "Every non-constant channel"},
    {"std", ChannelSelection::StdDev, "Channels of largest spatial standard deviation (Faster Score-CAM)"},
    {"mean", ChannelSelection::Mean, "Channels of largest mean activation"},
    {"random", ChannelSelection::Random, "Channels drawn at random"}};

}  // namespace

ScoreMode parse_score_mode(const std::string& name) { return parse_enum(name, kScoreModes, "score mode"); }
std::string score_mode_name(ScoreMode mode) { return enum_name(mode, kScoreModes); }
ChannelSelection parse_channel_selection(const std::string& name) {
  return parse_enum(name, kSelections, "channel selection");
}
std::string channel_selection_name(ChannelSelection selection) { return enum_name(selection, kSelections); }
const EnumNames<ScoreMode>& score_mode_names() { return kScoreModes; }
const EnumNames<ChannelSelection>& channel_selection_names() { return kSelections; }

ScoreCam::ScoreCam(Model& model, ScoreCamOptions options, MethodOptions method)
    : CamMethod(model),
      options_(options),
      method_(method),
      noise_(at::make_generator<at::CPUGeneratorImpl>(options.seed)) {
  if (options_.batch_size < 1) throw Error("batch-size must be at least 1");
  if (options_.max_channels < 0) throw Error("max-channels must be 0 (all) or positive");
  if (method_.method != Method::ScoreCam && method_.method != Method::SsCam && method_.method != Method::IsCam) {
    throw Error(method_name(method_.method) + " is not of the Score-CAM family");
  }
  if (method_.samples < 0) throw Error("samples must be 0 (the method's default) or positive");
  if (!(method_.noise_sigma >= 0)) throw Error("noise sigma must be 0 or positive");
  if (method_.method == Method::ScoreCam) method_.samples = 1;
  if (method_.samples == 0) {
    method_.samples = method_.method == Method::SsCam ? kSsCamDefaultSamples : kIsCamDefaultSamples;
  }
}

torch::Tensor ScoreCam::select_channels(const torch::Tensor& activations) const {
  c10::InferenceMode guard;
  const auto flat = activations[0].flatten(1).to(torch::kFloat);  // [K, h*w]
  // A constant channel carries no spatial information: the official code skips it (exact).
  const auto candidates = (flat.amax(1) > flat.amin(1)).nonzero().squeeze(1);
  const int64_t wanted = options_.max_channels;
  if (options_.selection == ChannelSelection::All || wanted == 0 || wanted >= candidates.numel()) {
    return candidates;
  }
  torch::Tensor chosen;
  if (options_.selection == ChannelSelection::Random) {
    std::vector<int64_t> order(candidates.numel());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(options_.seed));
    order.resize(wanted);
    chosen = candidates.index_select(0, torch::tensor(order).to(candidates.device()));
  } else {
    const auto rows = flat.index_select(0, candidates);
    const auto rank = options_.selection == ChannelSelection::StdDev ? rows.std(1, /*unbiased=*/false) : rows.mean(1);
    chosen = candidates.index_select(0, std::get<1>(rank.topk(wanted)));
  }
  return std::get<0>(chosen.sort());
}

void ScoreCam::masked_sample(const torch::Tensor& input, const torch::Tensor& masks, int sample, torch::Tensor& out) {
  switch (method_.method) {
    case Method::SsCam: {
      // One draw per sample and chunk, [k, H, W], on the CPU: the same numbers on every device.
      const auto noise = torch::randn({masks.size(0), 1, masks.size(2), masks.size(3)}, noise_) * method_.noise_sigma;
      at::mul_out(out, input, masks + noise.to(masks.device(), masks.scalar_type()));
      break;
    }
    case Method::IsCam:
      at::mul_out(out, input, masks * (static_cast<double>(sample + 1) / method_.samples));
      break;
    default:
      at::mul_out(out, input, masks);
  }
}

int ScoreCam::score_channels(const torch::Tensor& input, const FirstPass& pass, const torch::Tensor& channels,
                             ChannelScores& into, bool compare_precisions) {
  c10::InferenceMode guard;
  const int64_t count = channels.numel();
  if (count == 0) return 0;
  const int target_class = pass.target_class;
  const int64_t batch = std::min<int64_t>(options_.batch_size, count);
  if (!masked_batch_.defined() || masked_batch_.size(0) < batch || masked_batch_.sizes().slice(1) != input.sizes().slice(1) ||
      masked_batch_.scalar_type() != input.scalar_type() || masked_batch_.device() != input.device()) {
    masked_batch_ = torch::empty({batch, input.size(1), input.size(2), input.size(3)}, input.options());
  }
  const torch::Tensor baseline =
      options_.score_mode == ScoreMode::BaselineSubtracted ? baseline_probability(target_class) : torch::Tensor();
  const auto selected = pass.activations.index_select(1, channels);  // [1, k, h, w]
  const auto score_of = [&](const torch::Tensor& logits) {
    torch::Tensor score = options_.score_mode == ScoreMode::LogitSoftmax
                              ? logits.select(1, target_class)
                              : torch::softmax(logits, 1).select(1, target_class);
    return baseline.defined() ? score - baseline : score;
  };
  // Compared scores describe the channels of this call, scored by every copy, or nothing.
  into.compared.clear();
  bool comparing = compare_precisions && model_.comparing_precisions();
  for (int64_t start = 0; start < count; start += batch) {
    const int64_t size = std::min(batch, count - start);
    auto masked = masked_batch_.narrow(0, 0, size);
    const auto masks = channel_masks(selected.narrow(1, start, size), input);
    // totals[0]: the copy that runs (fp32 while the model compares), then each compared copy's.
    std::vector<torch::Tensor> totals;
    for (int sample = 0; sample < method_.samples; ++sample) {
      masked_sample(input, masks, sample, masked);
      const std::vector<torch::Tensor> logits =
          comparing ? model_.classify_compared(masked) : std::vector<torch::Tensor>{model_.classify(masked)};
      if (logits.size() == 1) comparing = false;  // the model settled meanwhile
      totals.resize(logits.size());
      for (std::size_t copy = 0; copy < logits.size(); ++copy) {
        const auto score = score_of(logits[copy]);
        totals[copy] = totals[copy].defined() ? totals[copy] + score : score;
      }
    }
    const auto rows = channels.narrow(0, start, size);
    into.scores.index_copy_(0, rows, totals[0] / method_.samples);
    into.evaluated.index_fill_(0, rows, true);
    if (!comparing) {
      into.compared.clear();
      continue;
    }
    for (std::size_t copy = 1; copy < totals.size(); ++copy) {
      if (into.compared.size() < copy) into.compared.push_back(torch::zeros_like(into.scores));
      into.compared[copy - 1].index_copy_(0, rows, totals[copy] / method_.samples);
    }
  }
  return static_cast<int>(count) * method_.samples;
}

torch::Tensor ScoreCam::baseline_probability(int target_class) {
  // X_b is the mean image: zero after normalization, the same value masked-out pixels take.
  if (!baseline_probabilities_.defined()) {
    auto shape = masked_batch_.sizes().vec();
    shape[0] = 1;
    baseline_probabilities_ = torch::softmax(model_.classify(torch::zeros(shape, masked_batch_.options())), 1)[0];
  }
  return baseline_probabilities_[target_class];
}

torch::Tensor ScoreCam::weigh(const FirstPass&, const ChannelScores& scores) const {
  c10::InferenceMode guard;
  const auto none = torch::zeros_like(scores.scores);
  const auto scored = torch::where(scores.evaluated, scores.scores, none);
  switch (options_.score_mode) {
    case ScoreMode::LogitSoftmax: {
      const auto logits = scores.scores.masked_fill(scores.evaluated.logical_not(), -INFINITY);
      // softmax over no evaluated channel is NaN: where() turns every unevaluated weight into 0.
      return torch::where(scores.evaluated, torch::softmax(logits, 0), none);
    }
    case ScoreMode::Centred: {
      // Every probability is positive, so the default map holds a share of sum_k A_k, which covers
      // every object whatever the class; minus the mean weight, that share cancels and a channel
      // counts by how much more than the average channel it keeps the class (docs/evaluation.md).
      const auto mean = scored.sum() / scores.evaluated.sum().clamp_min(1);
      return torch::where(scores.evaluated, scores.scores - mean, none);
    }
    default:
      return scored;
  }
}

double ScoreCam::estimate_seconds_per_frame(int share) {
  c10::InferenceMode guard;
  const int64_t channels = model_.activation_shape()[0];
  const int64_t evaluated = options_.max_channels > 0 && options_.selection != ChannelSelection::All
                                ? std::min<int64_t>(options_.max_channels, channels)
                                : channels;
  const int64_t parts = std::max(share, 1);
  const int64_t scored = (evaluated + parts - 1) / parts;
  const int64_t batch = std::min<int64_t>(options_.batch_size, evaluated);
  model_.warm_up(static_cast<int>(batch));
  const auto input = model_.smooth_test_input();
  const auto options = torch::TensorOptions().device(model_.device());

  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  auto start = Clock::now();
  const auto activations = model_.forward(input).activations;
  activations.sum().item<float>();  // waits for the device
  const double first_pass = seconds_since(start);
  const auto all = torch::arange(channels, options.dtype(torch::kLong));
  const auto masked = masked_inputs(input, activations, all.narrow(0, 0, batch));
  start = Clock::now();
  model_.classify(masked).sum().item<float>();
  const double one_batch = seconds_since(start);
  return first_pass + static_cast<double>((scored + batch - 1) / batch) * method_.samples * one_batch;
}

}  // namespace scorecam
