#include "scorecam/model.h"

#include <cstdlib>
#include <limits>
#include <optional>

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "channels_last.h"
#include "copy_choice_cache.h"
#include "cpu_runtime.h"
#include "cuda_graphs.h"
#include "fastest_module.h"
#include "inference_queue.h"
#include "layer_capture.h"
#include "model_file.h"
#include "reduced_precision.h"
#include "torchscript_error.h"
#include "scorecam/error.h"
#include "scorecam/maps.h"
#include "scorecam/target_class.h"

namespace scorecam {
namespace {

// Merged passes stop growing here: four streams' batches of 32, or 128 streams' first passes.
constexpr int64_t kMaxMergedRows = 128;
// The copies are timed on masked batches of Score-CAM's default size.
constexpr int64_t kTimingBatch = 32;
enum PassKind { kForwardPass, kClassifyPass, kComparePass };
// Ends a copy's key (Variant::key) when its weights are in channels_last order.
const std::string kChannelsLastKey = " channels_last";

// How a copy chosen at an earlier load came to run: where it was remembered, and how it was chosen then.
std::string remembered_because(const std::string& file, const std::string& chosen_then) {
  return " (remembered in " + file + " by an earlier load, which chose: " + chosen_then + ")";
}

}  // namespace

Model::Model(ModelConfig config, torch::Device device, torch::ScalarType dtype)
    : config_(std::move(config)),
      device_(device),
      dtype_(dtype),
      queue_(std::make_unique<detail::InferenceQueue>(/*max_rows=*/0)) {}

Model::~Model() = default;

bool Model::frozen() const { return classifier_->frozen() && capture_->copies().frozen(); }

std::string Model::inference_path() const {
  const std::string masked = classifier_->how(), first = capture_->copies().how();
  std::string path = masked == first ? masked : "masked passes " + masked + "; first pass " + first;
  return graphs_ ? path + "; " + graphs_->how() : path;
}

std::unique_ptr<Model> Model::load(const std::string& model_path, const ModelOptions& options) {
  ModelConfig config = detail::resolve_config(model_path, options);
  const torch::Device device = parse_device(options.device);
  if (device.is_cpu()) detail::tune_cpu_runtime();
  // The masked batches all have one shape: cuDNN's autotuning pays for itself within a frame.
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  const Precision precision = parse_precision(options.precision, device);
  // The first pass, where the target layer's activations come from, is fp32 at every precision.
  const torch::ScalarType dtype = torch::kFloat;
  const detail::ClassifierSurvey found = detail::survey_classifier(model_path, config, device, dtype);
  std::unique_ptr<Model> model(new Model(config, device, dtype));
  if (options.cuda_graphs) model->graphs_ = detail::CudaGraphs::make(device);
  model->target_layer_ = found.target_layer;
  model->num_classes_ = found.num_classes;
  model->activation_shape_ = found.activation_shape;
  // Frozen copies are checked against the model on a fixed pseudo-random input.
  model->probe_ = torch::randn({1, *config.input_channels, config.input_height, config.input_width},
                               at::make_generator<at::CPUGeneratorImpl>(/*seed=*/1))
                      .to(device, dtype);
  const torch::Tensor* probe = options.optimize ? &model->probe_ : nullptr;
  model->path_ = model_path;
  auto cache = std::make_shared<detail::CopyChoiceCache>(model_path, config, found.target_layer, options, device);
  const std::optional<detail::CopyChoice> remembered = cache->find();
  model->capture_ = detail::CapturingModule::fastest(detail::load_torchscript(model_path, device, dtype),
                                                     model->target_layer_, probe,
                                                     remembered ? remembered->first_pass.key : "");
  detail::FastestModule& first_pass = model->capture_->copies();
  const bool first_remembered = remembered && first_pass.decided() && first_pass.copy_key() == remembered->first_pass.key;
  if (first_remembered) {
    first_pass.remember(remembered->first_pass.images_per_second,
                        remembered_because(cache->file(), remembered->first_pass.chosen_because));
  } else {
    first_pass.keep_fastest(model->smooth_test_input());
  }
  const torch::jit::Module classifier = detail::load_torchscript(model_path, device, dtype);
  if (!first_remembered || !model->remember_classifier(classifier, remembered->masked, cache->file(), probe)) {
    model->choose_classifier(classifier, precision, options.channels_last, probe, std::move(cache));
  }
  // A GPU runs one pass at a time anyway, better on one larger batch; a CPU's cores were used best
  // with every stream's pass running at once (docs/benchmarks.md), as if each had its own model.
  // Only copies that keep no state between calls may run side by side.
  const int parallel_passes = options.parallel_passes > 0 ? options.parallel_passes
                              : device.is_cuda()          ? 1
                                                          : std::numeric_limits<int>::max();
  model->queue_->configure(model->capture_->returns_output() ? parallel_passes : 1, kMaxMergedRows);
  return model;
}

std::vector<detail::Variant> Model::masked_copies(const torch::jit::Module& module, Precision precision,
                                                 bool channels_last, const torch::Tensor* probe,
                                                 const std::string& only) const {
  const auto make = [&](const torch::jit::Module& m, const std::string& inner) {
    switch (precision) {
      case Precision::Float16:
      case Precision::BFloat16: return detail::float_copies(m, scalar_type(precision), probe_, inner);
      case Precision::Int8: return detail::int8_copies(config_, num_classes_, probe_);
      default: return detail::exact_copies(m, probe, inner);
    }
  };
  // The int8 copy is a file of its own, in the order it was saved in.
  channels_last = channels_last && precision != Precision::Int8;
  const std::size_t suffix = only.rfind(kChannelsLastKey);
  const bool only_channels_last = suffix != std::string::npos && suffix + kChannelsLastKey.size() == only.size();
  const std::string inner = only_channels_last ? only.substr(0, suffix) : only;
  std::vector<detail::Variant> variants;
  if (only.empty() || !only_channels_last) variants = make(module, inner);
  if (channels_last && (only.empty() || only_channels_last)) {
    for (detail::Variant& variant : make(detail::in_channels_last(module, probe), inner)) {
      variant.how = "channels_last, " + variant.how;
      variant.key += kChannelsLastKey;
      variants.push_back(std::move(variant));
    }
  }
  return variants;
}

void Model::choose_classifier(const torch::jit::Module& module, Precision precision, bool channels_last,
                              const torch::Tensor* probe, std::shared_ptr<detail::CopyChoiceCache> cache) {
  c10::InferenceMode guard;
  const auto batch = masked_test_batch();
  const auto timed = [&](Precision of) {
    detail::PrecisionChoice::Copy copy{detail::FastestModule(masked_copies(module, of, channels_last, probe))};
    copy.module.keep_fastest(batch);
    copy.images_per_second = copy.module.images_per_second();
    return copy;
  };
  std::vector<detail::PrecisionChoice::Copy> reduced;
  std::string not_tried;  // by auto, and why
  switch (precision) {
    case Precision::Float32: break;
    case Precision::Float16:
    case Precision::BFloat16:
    case Precision::Int8: reduced.push_back(timed(precision)); break;
    case Precision::Auto:
      if (device_.is_cuda()) reduced.push_back(timed(Precision::Float16));
      if (device_.is_cuda() || cpu_has_bf16()) {
        reduced.push_back(timed(Precision::BFloat16));
      } else {
        not_tried += "; no bf16: this CPU has no AVX512-BF16 or AMX-BF16 instructions";
      }
      if (device_.is_cpu() && !config_.int8_model.empty()) {
        // A copy that cannot be used leaves auto with the others: it is no error of the user's.
        try {
          reduced.push_back(timed(Precision::Int8));
        } catch (const std::exception& e) {
          not_tried += "; no int8: " + detail::reason(e);
        }
      } else if (device_.is_cpu()) {
        not_tried += "; no int8: the sidecar names no int8 copy (tools/export_torchvision.py --int8)";
      }
      break;
  }
  // Once one copy runs every masked batch, the choice is remembered with the first pass's.
  const auto remember = [this, cache = std::move(cache)](const detail::PrecisionChoice::Copy& kept,
                                                           const std::string& chosen_because) {
    const detail::FastestModule& first_pass = capture_->copies();
    return cache->keep({{first_pass.copy_key(), first_pass.images_per_second(), first_pass.how()},
                        {kept.module.copy_key(), kept.images_per_second, kept.module.how() + chosen_because}});
  };
  classifier_ = std::make_unique<detail::PrecisionChoice>(timed(Precision::Float32), std::move(reduced),
                                                          /*any_agreement=*/precision != Precision::Auto, remember,
                                                          not_tried);
}

bool Model::remember_classifier(const torch::jit::Module& module, const detail::RememberedCopy& remembered,
                                const std::string& file, const torch::Tensor* probe) {
  std::vector<detail::Variant> variants;
  try {
    variants = masked_copies(module, detail::precision_of_copy(remembered.key), /*channels_last=*/true, probe,
                             remembered.key);
  } catch (const std::exception&) {
    return false;  // it cannot be made now: chosen again
  }
  if (variants.size() != 1) return false;
  detail::PrecisionChoice::Copy copy{detail::FastestModule(std::move(variants)), remembered.images_per_second};
  copy.module.remember(remembered.images_per_second, "");
  {
    // Timing also warmed the copies up, and the first pass and the masks with them (TorchScript
    // optimizes a graph on its first runs): without it the first frame pays for that.
    c10::InferenceMode guard;
    capture_->copies().warm_up(smooth_test_input());
    copy.module.warm_up(masked_test_batch());
  }
  classifier_ = std::make_unique<detail::PrecisionChoice>(std::move(copy),
                                                          remembered_because(file, remembered.chosen_because));
  return true;
}

std::string default_choice_cache_dir() {
  if (const char* asked = std::getenv("SCORECAM_CACHE_DIR")) return asked;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return std::string(cache) + "/scorecam";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/scorecam";
  return "";
}

std::vector<LayerInfo> Model::list_layers(const std::string& model_path, const ModelOptions& options) {
  return detail::list_layers(model_path, options);
}

PassCounts Model::pass_counts() const {
  const auto counts = queue_->counts();
  return {counts.passes, counts.requests};
}

ForwardResult Model::forward(const torch::Tensor& input) {
  const auto outputs = queue_->run(kForwardPass, input, [this](const torch::Tensor& batch) {
    auto result = forward_now(batch);
    return std::vector<torch::Tensor>{result.logits, result.activations};
  });
  return {outputs[0], outputs[1]};
}

torch::Tensor Model::classify(const torch::Tensor& input) {
  return queue_->run(kClassifyPass, input, [this](const torch::Tensor& batch) {
    c10::InferenceMode guard;
    const auto pass = [this](const torch::Tensor& rows) { return classifier_->classify(rows); };
    // Graphs once the copy is chosen: they record the copy that runs.
    auto logits = (graphs_ && classifier_->settled() ? graphs_->run(batch, pass) : pass(batch)).to(torch::kFloat);
    return std::vector<torch::Tensor>{logits};
  })[0];
}

std::vector<torch::Tensor> Model::classify_compared(const torch::Tensor& input) {
  return queue_->run(kComparePass, input, [this](const torch::Tensor& batch) {
    c10::InferenceMode guard;
    std::vector<torch::Tensor> logits = classifier_->compare(batch);
    for (torch::Tensor& copy : logits) copy = copy.to(torch::kFloat);
    return logits;
  });
}

bool Model::comparing_precisions() const { return !classifier_->settled(); }

void Model::report_map_agreement(const std::vector<double>& correlations) { classifier_->report(correlations); }

ForwardResult Model::forward_now(const torch::Tensor& input) {
  c10::InferenceMode guard;
  const auto [logits, activations] = capture_->forward(input);
  return {logits.to(torch::kFloat), activations};
}

GradientResult Model::gradients(const torch::Tensor& input, int target_class) {
  GradientResult result;
  queue_->run_alone([&] { result = gradients_now(input, target_class); });
  return result;
}

GradientResult Model::gradients_now(const torch::Tensor& input, int target_class) {
  // Gradients need a graph: no inference mode here (also while loading, or the weights would be
  // inference tensors), and an input that requires a gradient, so that there is a graph even if
  // the weights do not require one.
  c10::InferenceMode no_inference(false);
  if (!differentiable_) {
    differentiable_ =
        detail::CapturingModule::differentiable(detail::load_torchscript(path_, device_, dtype_), target_layer_);
  }
  torch::AutoGradMode with_gradients(true);
  // The optimizing executor fuses ops into differentiable subgraphs whose intermediate values (the
  // stored activations among them) are not on the autograd path; unoptimized, every op is
  // recorded. The switch is thread-local, and this copy of the module runs only here.
  torch::jit::GraphOptimizerEnabledGuard op_by_op(false);
  const auto x = input.clone().requires_grad_(true);
  const auto [output, activations] = differentiable_->forward(x);
  GradientResult result;
  result.activations = activations;
  result.target_class = resolve_target_class(output, target_class);
  result.gradients = torch::autograd::grad({output[0][result.target_class]}, {result.activations})[0].detach();
  result.activations = result.activations.detach();
  result.logits = output.detach().to(torch::kFloat);
  return result;
}

torch::Tensor Model::masked_test_batch() {
  const auto input = smooth_test_input();
  const auto first = capture_->forward(input);
  const auto flat = first.activations[0].flatten(1);
  auto channels = (flat.amax(1) > flat.amin(1)).nonzero().squeeze(1);
  if (channels.numel() == 0) channels = torch::zeros({1}, channels.options());
  return masked_inputs(input, first.activations,
                       channels.repeat({kTimingBatch / channels.numel() + 1}).narrow(0, 0, kTimingBatch));
}

torch::Tensor Model::smooth_test_input() const {
  c10::InferenceMode guard;
  const auto options = torch::TensorOptions().device(device_);
  const auto y = torch::linspace(0, 3.0 * M_PI, config_.input_height, options).view({1, 1, -1, 1});
  const auto x = torch::linspace(0, 4.0 * M_PI, config_.input_width, options).view({1, 1, 1, -1});
  const auto phase = torch::arange(input_channels(), options).view({1, -1, 1, 1});
  return (torch::sin(x + phase) * torch::cos(y - phase)).to(dtype_).contiguous();
}

void Model::warm_up(int batch_size) {
  queue_->run_alone([&] {
    c10::InferenceMode guard;
    capture_->copies().warm_up(probe_);
    classifier_->warm_up(probe_.expand({batch_size, -1, -1, -1}).contiguous());
  });
}

std::string Model::label(int class_id) const {
  if (class_id >= 0 && class_id < static_cast<int>(config_.labels.size())) return config_.labels[class_id];
  return "class " + std::to_string(class_id);
}

}  // namespace scorecam
