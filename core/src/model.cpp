#include "scorecam/model.h"

#include <limits>

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "channels_last.h"
#include "cpu_runtime.h"
#include "cuda_graphs.h"
#include "fastest_module.h"
#include "inference_queue.h"
#include "layer_capture.h"
#include "model_file.h"
#include "scorecam/target_class.h"

namespace scorecam {
namespace {

// Merged passes stop growing here: four streams' batches of 32, or 128 streams' first passes.
constexpr int64_t kMaxMergedRows = 128;
enum PassKind { kForwardPass, kClassifyPass };

}  // namespace

Model::Model(ModelConfig config, torch::Device device, torch::ScalarType dtype)
    : config_(std::move(config)),
      device_(device),
      dtype_(dtype),
      queue_(std::make_unique<detail::InferenceQueue>(/*max_rows=*/0)) {}

Model::~Model() = default;

// The copies change while they are timed, on whichever thread runs a pass: read them in turn too.
bool Model::frozen() const {
  bool frozen = false;
  queue_->run_alone([&] { frozen = classifier_->frozen() && capture_->copies().frozen(); });
  return frozen;
}

bool Model::choosing_copies() const {
  bool choosing = false;
  queue_->run_alone([&] { choosing = !classifier_->decided() || !capture_->copies().decided(); });
  return choosing;
}

std::string Model::inference_path() const {
  std::string path;
  queue_->run_alone([&] {
    const std::string masked = classifier_->how(), first = capture_->copies().how();
    path = masked == first ? masked : "masked passes " + masked + "; first pass " + first;
    if (graphs_) path += "; " + graphs_->how();
  });
  return path;
}

std::unique_ptr<Model> Model::load(const std::string& model_path, const ModelOptions& options) {
  ModelConfig config = detail::resolve_config(model_path, options);
  const torch::Device device = parse_device(options.device);
  if (device.is_cpu()) detail::tune_cpu_runtime();
  // The masked batches all have one shape: cuDNN's autotuning pays for itself within a frame.
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  const torch::ScalarType dtype = scalar_type(parse_precision(options.precision, device));
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
  // A GPU runs one pass at a time anyway, better on one larger batch; a CPU's cores were used best
  // with every stream's pass running at once (docs/benchmarks.md), as if each had its own model.
  model->parallel_passes_ = options.parallel_passes > 0 ? options.parallel_passes
                            : device.is_cuda()          ? 1
                                                        : std::numeric_limits<int>::max();
  const torch::jit::Module classifier = detail::load_torchscript(model_path, device, dtype);
  std::vector<detail::Variant> copies = detail::exact_copies(classifier, probe);
  if (options.channels_last) {
    for (auto& copy : detail::channels_last_copies(classifier, probe)) copies.push_back(std::move(copy));
  }
  model->classifier_ = std::make_unique<detail::FastestModule>(std::move(copies));
  model->capture_ =
      detail::CapturingModule::fastest(detail::load_torchscript(model_path, device, dtype), model->target_layer_, probe);
  return model;
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
    settle_queue();
    return std::vector<torch::Tensor>{result.logits, result.activations};
  });
  return {outputs[0], outputs[1]};
}

torch::Tensor Model::classify(const torch::Tensor& input) {
  return queue_->run(kClassifyPass, input, [this](const torch::Tensor& batch) {
    c10::InferenceMode guard;
    const auto pass = [this](const torch::Tensor& rows) { return classifier_->forward(rows).toTensor(); };
    // Graphs once the copy is chosen: they record the copy that runs.
    auto logits = (graphs_ && classifier_->decided() ? graphs_->run(batch, pass) : pass(batch)).to(torch::kFloat);
    settle_queue();
    return std::vector<torch::Tensor>{logits};
  })[0];
}

void Model::settle_queue() {
  // Until then one pass runs at a time, unmerged, so the copies are timed on the batches each
  // stream makes, and reading their state here is safe.
  if (queue_settled_ || !classifier_->decided() || !capture_->copies().decided()) return;
  queue_settled_ = true;
  queue_->configure(capture_->returns_output() ? parallel_passes_ : 1, kMaxMergedRows);
}

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
