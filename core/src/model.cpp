#include "scorecam/model.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <optional>
#include <sstream>

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/jit/runtime/graph_executor.h>

#include "cpu_runtime.h"
#include "fastest_module.h"
#include "inference_queue.h"
#include "layer_capture.h"
#include "scorecam/error.h"
#include "scorecam/target_class.h"

namespace scorecam {
namespace {

const char kOptimizationOff[] = "as loaded (optimization off)";
// Merged passes stop growing here: four streams' batches of 32, or 128 streams' first passes.
constexpr int64_t kMaxMergedRows = 128;
enum PassKind { kForwardPass, kClassifyPass };

// What went wrong, in one line: for a failure inside TorchScript, the error after the traceback.
std::string reason(const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  std::string text = error ? error->what_without_backtrace() : e.what();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const bool traceback = text.rfind("The following operation failed in the TorchScript interpreter", 0) == 0;
  return traceback ? text.substr(text.rfind('\n') + 1) : text.substr(0, text.find('\n'));
}

torch::jit::Module load_torchscript(const std::string& path, const torch::Device& device) {
  if (!std::filesystem::exists(path)) throw Error("model file '" + path + "' does not exist");
  if (std::filesystem::is_directory(path)) throw Error("model path '" + path + "' is a directory, not a file");
  try {
    auto module = torch::jit::load(path, device);
    module.eval();
    return module;
  } catch (const c10::Error& e) {
    throw Error("'" + path + "' is not a readable TorchScript model (" + reason(e) +
                "); export it with torch.jit.trace(model, example).save(path) or torch.jit.script");
  }
}

ModelConfig resolve_config(const std::string& model_path, const ModelOptions& options) {
  const std::string config_path =
      options.config_path.empty() ? default_config_path(model_path) : options.config_path;
  ModelConfig config = config_path.empty() ? ModelConfig{} : load_model_config(config_path);
  if (!options.labels_path.empty()) config.labels = load_labels(options.labels_path);
  if (!options.target_layer.empty()) config.target_layer = options.target_layer;
  if (options.input_height > 0 && options.input_width > 0) {
    config.input_height = options.input_height;
    config.input_width = options.input_width;
  }
  return config;
}

// Read from the first convolution weight ([out, in, kh, kw]) when the sidecar does not say.
int infer_input_channels(const torch::jit::Module& module) {
  for (const auto& parameter : module.named_parameters(/*recurse=*/true)) {
    if (parameter.value.dim() == 4) return static_cast<int>(parameter.value.size(1));
  }
  return 3;
}

std::string describe_shape(const std::vector<int64_t>& shape) {
  std::ostringstream text;
  text << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) text << (i ? ", " : "") << shape[i];
  text << ']';
  return text.str();
}

struct Survey {
  std::vector<LayerInfo> layers;  // every tensor-returning submodule, in completion order
  std::vector<int64_t> output_shape;
};

// One forward pass of a copy with every submodule's output captured: shapes and output for validation.
Survey survey(const std::string& path, ModelConfig& config, const torch::Device& device,
              torch::ScalarType dtype) {
  torch::jit::Module module = load_torchscript(path, device);
  if (!config.input_channels) config.input_channels = infer_input_channels(module);
  if (config.mean.size() != static_cast<std::size_t>(*config.input_channels) ||
      config.std.size() != config.mean.size()) {
    throw Error("model '" + path + "' takes " + std::to_string(*config.input_channels) +
                " input channel(s) but its config gives " + std::to_string(config.mean.size()) +
                " mean/std values; set \"mean\" and \"std\" in the sidecar JSON");
  }
  module.to(device, dtype);
  const auto calls = detail::module_calls(module);
  detail::CaptureNames names;
  std::vector<std::string> attributes;
  for (const auto& call : calls) attributes.push_back(detail::capture_output(module, call, names));

  Survey result;
  const auto input = torch::zeros({1, *config.input_channels, config.input_height, config.input_width},
                                  torch::TensorOptions().device(device).dtype(dtype));
  torch::jit::IValue output;
  try {
    c10::InferenceMode guard;
    output = module.forward({input});
  } catch (const std::exception& e) {
    throw Error("model '" + path + "' failed on a " + describe_shape(input.sizes().vec()) +
                " input (" + reason(e) + "); check \"input_size\" and \"input_channels\" in its config");
  }
  if (!output.isTensor()) {
    throw Error("model '" + path + "' returns " + output.tagKind() +
                ", not a tensor of class scores [N, classes]");
  }
  result.output_shape = output.toTensor().sizes().vec();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto captured = detail::submodule(module, calls[i].holder_path).attr(attributes[i]);
    if (!captured.isTensor() || !captured.toTensor().defined()) continue;  // not run for this input
    result.layers.push_back({calls[i].path, captured.toTensor().sizes().vec()});
  }
  return result;
}

const LayerInfo* find_layer(const std::vector<LayerInfo>& layers, const std::string& name) {
  const LayerInfo* found = nullptr;
  for (const auto& layer : layers) {
    if (layer.name == name) found = &layer;  // a module called twice: its last call counts
  }
  return found;
}

bool is_spatial(const LayerInfo& layer) {
  return layer.shape.size() == 4 && layer.shape[2] * layer.shape[3] > 1;
}

std::vector<LayerInfo> feature_map_layers(const std::vector<LayerInfo>& layers) {
  std::vector<LayerInfo> maps;
  for (const auto& layer : layers) {
    if (layer.shape.size() != 4) continue;
    const auto same = std::find_if(maps.begin(), maps.end(), [&](const LayerInfo& l) { return l.name == layer.name; });
    if (same != maps.end()) maps.erase(same);
    maps.push_back(layer);
  }
  return maps;
}

std::string spatial_layer_names(const std::vector<LayerInfo>& layers) {
  std::string names;
  for (const auto& layer : feature_map_layers(layers)) {
    if (is_spatial(layer)) names += (names.empty() ? "" : ", ") + layer.name;
  }
  return names.empty() ? "(none)" : names;
}

std::string choose_target(const std::string& path, const ModelConfig& config, const Survey& survey) {
  if (config.target_layer.empty()) {
    const auto maps = feature_map_layers(survey.layers);
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
      if (is_spatial(*it)) return it->name;
    }
    throw Error("model '" + path + "' has no layer whose output is a spatial feature map [N, K, h, w] with h*w > 1;"
                " Score-CAM needs a convolutional layer (a model frozen with torch.jit.freeze has no layers left)");
  }
  const LayerInfo* layer = find_layer(survey.layers, config.target_layer);
  if (!layer) {
    throw Error("unknown layer '" + config.target_layer + "' in model '" + path +
                "'; layers with a spatial feature map: " + spatial_layer_names(survey.layers));
  }
  if (!is_spatial(*layer)) {
    throw Error("layer '" + config.target_layer + "' of model '" + path + "' outputs " +
                describe_shape(layer->shape) + ", not a spatial feature map [N, K, h, w] with h*w > 1; use one of: " +
                spatial_layer_names(survey.layers));
  }
  return layer->name;
}


// Every tensor of a forward pass's output (a tensor, or a tuple of them), for comparison.
std::vector<torch::Tensor> tensors_of(const torch::jit::IValue& output) {
  if (output.isTensor()) return {output.toTensor()};
  std::vector<torch::Tensor> tensors;
  for (const auto& element : output.toTupleRef().elements()) tensors.push_back(element.toTensor());
  return tensors;
}

// The largest difference between two outputs, relative to the reference's largest magnitude.
double relative_difference(const torch::jit::IValue& output, const torch::jit::IValue& reference) {
  const auto got = tensors_of(output), expected = tensors_of(reference);
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto a = got.at(i).to(torch::kCPU, torch::kDouble), b = expected[i].to(torch::kCPU, torch::kDouble);
    if (a.sizes() != b.sizes()) return INFINITY;
    const double scale = std::max(1.0, b.abs().max().item<double>());
    worst = std::max(worst, (a - b).abs().max().item<double>() / scale);
  }
  return worst;
}

// The exact copies of `module` worth timing: frozen (attributes folded into constants, BatchNorm
// into the convolutions before it), and frozen then optimized for inference (on the CPU, oneDNN
// operators with prepacked weights). Some copies fail or drift only when run (oneDNN pools only
// evenly dividing sizes), so each is kept only if it matches `module` on `probe`; `module` itself
// is the answer when none does.
std::vector<detail::Variant> exact_copies(const torch::jit::Module& module, const torch::Tensor& probe) {
  c10::InferenceMode guard;
  const double tolerance = probe.scalar_type() == torch::kFloat ? 1e-3 : 3e-2;
  const torch::jit::IValue reference = const_cast<torch::jit::Module&>(module).forward({probe});
  std::vector<detail::Variant> copies;
  std::string why_not_optimized, why_not_frozen;
  for (const bool optimize : {true, false}) {
    std::string& why_not = optimize ? why_not_optimized : why_not_frozen;
    try {
      torch::jit::Module copy = torch::jit::freeze(module);
      if (optimize) copy = torch::jit::optimize_for_inference(copy);
      const double difference = relative_difference(copy.forward({probe}), reference);
      if (difference <= tolerance) {
        copies.push_back({copy, optimize ? "frozen and optimized for inference" : "frozen", true});
        continue;
      }
      why_not = "its output differs by " + std::to_string(difference) + " of the largest value";
    } catch (const std::exception& e) {
      why_not = reason(e);
    }
  }
  if (copies.size() == 1 && !why_not_optimized.empty()) {
    copies.front().how = "frozen, not optimized for inference (" + why_not_optimized + ")";
  }
  if (copies.empty()) copies.push_back({module, "as loaded, not frozen (" + why_not_frozen + ")", false});
  return copies;
}

}  // namespace

Model::Model(ModelConfig config, torch::Device device, torch::ScalarType dtype)
    : config_(std::move(config)),
      device_(device),
      dtype_(dtype),
      queue_(std::make_unique<detail::InferenceQueue>(/*max_rows=*/0)) {}

Model::~Model() = default;

torch::jit::Module Model::load_module(const std::string& path) const {
  torch::jit::Module module = load_torchscript(path, device_);
  module.to(device_, dtype_);
  return module;
}

void Model::prepare_classifier(const std::string& path, const torch::Tensor* probe) {
  torch::jit::Module module = load_module(path);
  classifier_ = std::make_unique<detail::FastestModule>(
      probe ? exact_copies(module, *probe) : std::vector<detail::Variant>{{module, kOptimizationOff}});
}

struct Model::CapturingModule {
  torch::jit::Module module;
  detail::CallSite site;
  std::string attribute;
};

Model::CapturingModule Model::load_capturing(const std::string& path, bool copy) const {
  CapturingModule loaded{load_module(path)};
  // The target's last call: a module called twice (a shared ReLU) is explained at its last output.
  for (const auto& call : detail::module_calls(loaded.module)) {
    if (call.path == target_layer_) loaded.site = call;
  }
  detail::CaptureNames names;
  loaded.attribute = detail::capture_output(loaded.module, loaded.site, names, copy);
  return loaded;
}

void Model::prepare_capture(const std::string& path, const torch::Tensor* probe) {
  auto [module, site, attribute] = load_capturing(path);
  capture_attribute_ = attribute;
  std::string how = kOptimizationOff;
  if (probe) {
    try {
      detail::return_captured_output(module, site, capture_attribute_);
      capture_ = std::make_unique<detail::FastestModule>(exact_copies(module, *probe));
      capture_returns_ = true;
      return;
    } catch (const Error& e) {
      // The module is untouched: it stores the output in the attribute, which no frozen copy keeps.
      how = std::string("as loaded, not frozen (") + e.what() + ")";
    }
  }
  capture_holder_ = detail::submodule(module, site.holder_path);
  capture_ = std::make_unique<detail::FastestModule>(std::vector<detail::Variant>{{module, how}});
}

// The copies change while they are timed, on whichever thread runs a pass: read them in turn too.
bool Model::frozen() const {
  bool frozen = false;
  queue_->run_alone([&] { frozen = classifier_->frozen() && capture_->frozen(); });
  return frozen;
}

bool Model::choosing_copies() const {
  bool choosing = false;
  queue_->run_alone([&] { choosing = !classifier_->decided() || !capture_->decided(); });
  return choosing;
}

std::string Model::inference_path() const {
  std::string path;
  queue_->run_alone([&] {
    const std::string masked = classifier_->how(), first = capture_->how();
    path = masked == first ? masked : "masked passes " + masked + "; first pass " + first;
  });
  return path;
}

std::unique_ptr<Model> Model::load(const std::string& model_path, const ModelOptions& options) {
  ModelConfig config = resolve_config(model_path, options);
  const torch::Device device = parse_device(options.device);
  if (device.is_cpu()) detail::tune_cpu_runtime();
  // The masked batches all have one shape: cuDNN's autotuning pays for itself within a frame.
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  const torch::ScalarType dtype = scalar_type(parse_precision(options.precision, device));
  const Survey found = survey(model_path, config, device, dtype);
  if (found.output_shape.size() != 2 || found.output_shape[0] != 1 || found.output_shape[1] < 2) {
    throw Error("model '" + model_path + "' outputs " + describe_shape(found.output_shape) +
                " for one image; a classifier must output [N, classes] with at least 2 classes");
  }
  std::unique_ptr<Model> model(new Model(config, device, dtype));
  model->target_layer_ = choose_target(model_path, config, found);
  model->num_classes_ = static_cast<int>(found.output_shape[1]);
  const auto shape = find_layer(found.layers, model->target_layer_)->shape;
  model->activation_shape_ = {shape[1], shape[2], shape[3]};
  if (!config.labels.empty() && static_cast<int>(config.labels.size()) != model->num_classes_) {
    throw Error("model '" + model_path + "' has " + std::to_string(model->num_classes_) + " classes but " +
                std::to_string(config.labels.size()) + " labels were given");
  }
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
  model->prepare_classifier(model_path, probe);
  model->prepare_capture(model_path, probe);
  return model;
}

std::vector<LayerInfo> Model::list_layers(const std::string& model_path, const ModelOptions& options) {
  ModelConfig config = resolve_config(model_path, options);
  const torch::Device device = parse_device(options.device);
  return feature_map_layers(survey(model_path, config, device, scalar_type(parse_precision(options.precision, device))).layers);
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
    auto logits = classifier_->forward(batch).toTensor().to(torch::kFloat);
    settle_queue();
    return std::vector<torch::Tensor>{logits};
  })[0];
}

void Model::settle_queue() {
  // Until then one pass runs at a time, unmerged, so the copies are timed on the batches each
  // stream makes, and reading their state here is safe.
  if (queue_settled_ || !classifier_->decided() || !capture_->decided()) return;
  queue_settled_ = true;
  queue_->configure(capture_returns_ ? parallel_passes_ : 1, kMaxMergedRows);
}

ForwardResult Model::forward_now(const torch::Tensor& input) {
  c10::InferenceMode guard;
  ForwardResult result;
  const auto output = capture_->forward(input);
  if (capture_returns_) {
    const auto& both = output.toTupleRef().elements();
    result.logits = both[0].toTensor().to(torch::kFloat);
    result.activations = both[1].toTensor();
  } else {
    result.logits = output.toTensor().to(torch::kFloat);
    const auto stored = capture_holder_.attr(capture_attribute_);
    if (!stored.isTensor()) throw Error("layer '" + target_layer_ + "' did not run for this input");
    result.activations = stored.toTensor();
  }
  return result;
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
    auto [module, site, attribute] = load_capturing(path_, /*copy=*/false);
    differentiable_holder_ = detail::submodule(module, site.holder_path);
    differentiable_attribute_ = attribute;
    differentiable_ = module;
  }
  torch::AutoGradMode with_gradients(true);
  // The optimizing executor fuses ops into differentiable subgraphs whose intermediate values (the
  // stored activations among them) are not on the autograd path; unoptimized, every op is
  // recorded. The switch is thread-local, and this copy of the module runs only here.
  torch::jit::GraphOptimizerEnabledGuard op_by_op(false);
  const auto x = input.clone().requires_grad_(true);
  const auto output = differentiable_->forward({x}).toTensor();
  const auto stored = differentiable_holder_.attr(differentiable_attribute_);
  if (!stored.isTensor()) throw Error("layer '" + target_layer_ + "' did not run for this input");
  GradientResult result;
  result.activations = stored.toTensor();
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
    capture_->warm_up(probe_);
    classifier_->warm_up(probe_.expand({batch_size, -1, -1, -1}).contiguous());
  });
}

std::string Model::label(int class_id) const {
  if (class_id >= 0 && class_id < static_cast<int>(config_.labels.size())) return config_.labels[class_id];
  return "class " + std::to_string(class_id);
}

}  // namespace scorecam
