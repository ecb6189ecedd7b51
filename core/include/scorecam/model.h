#pragma once
// A TorchScript classifier whose forward pass also returns the activations of one named layer.
#include <memory>
#include <string>
#include <vector>

#include <torch/script.h>

#include "scorecam/device.h"
#include "scorecam/model_config.h"

namespace scorecam {
namespace detail {
class CapturingModule;
class CopyChoiceCache;
struct RememberedCopy;
struct Variant;
class CudaGraphs;
class FastestModule;
class PrecisionChoice;
class InferenceQueue;
}

struct LayerInfo {
  std::string name;                 // dotted module path, e.g. "layer4" or "features.29"
  std::vector<int64_t> shape;       // output shape for one input at the configured size
};

struct ForwardResult {
  torch::Tensor logits;             // [N, classes], float32
  torch::Tensor activations;        // [N, K, h, w] of the target layer, in the model's precision
};

// One forward and one backward pass: the class scores, the target layer's activations and the
// gradient of the target class's logit with respect to them.
struct GradientResult {
  torch::Tensor logits;       // [1, classes], float32
  torch::Tensor activations;  // [1, K, h, w]
  torch::Tensor gradients;    // [1, K, h, w]
  int target_class = -1;
};

// Forward passes a model ran, and the requests for one that they served: more requests than
// passes when threads sharing the model had their passes merged into one batch.
struct PassCounts {
  uint64_t passes = 0;
  uint64_t requests = 0;
};

struct ModelOptions {
  std::string config_path;          // empty: the sidecar beside the model if any, else defaults
  std::string labels_path;          // overrides the sidecar's labels when set
  std::string target_layer;         // overrides the sidecar's target layer when set
  int input_height = 0;             // override the sidecar's input size when both are set
  int input_width = 0;
  std::string device = "cpu";
  std::string precision = "fp32";  // of the masked passes: fp32, fp16, bf16, int8 or auto (see Precision)
  // Run forward passes on frozen, inference-optimized copies (exact; see Model::inference_path()).
  bool optimize = true;
  // Passes that may run at once when threads share the model; those that wait meanwhile are merged
  // (see detail::InferenceQueue). 0: one on a GPU, no limit on a CPU. Only copies that keep no
  // state between calls run side by side.
  int parallel_passes = 0;
  // Also time copies of the masked passes' module with its 4-D weights in channels_last (NHWC)
  // order against the others, so that they run so where that is faster. Throws at load where such
  // a copy does not match the model.
  bool channels_last = false;
  // CUDA only: each shape of masked batch is also recorded as a CUDA graph and replayed where that
  // is faster than launching its pass (see inference_path()). Needs LibTorch 2.0 or later.
  bool cuda_graphs = false;
  // Where the copies a load chooses (and precision=auto's trial) are remembered, so that later
  // loads of the same file with the same options on this machine make only those copies and time
  // nothing. Empty: nowhere, every load chooses again. The element and the programs use
  // default_choice_cache_dir().
  std::string choice_cache_dir;
};

// $SCORECAM_CACHE_DIR (set but empty: nowhere), else $XDG_CACHE_HOME/scorecam, else
// $HOME/.cache/scorecam; empty when none of them is set.
std::string default_choice_cache_dir();

class Model {
 public:
  // Loads, validates ([N, classes] output, a spatial target layer) and warms up the model.
  // Throws Error with a message that names the file and what to fix.
  static std::unique_ptr<Model> load(const std::string& model_path, const ModelOptions& options = {});

  // Every module whose output is a 4-D tensor, in the order their forward passes complete.
  // Loads its own copy of the model, so it works whatever the target layer.
  static std::vector<LayerInfo> list_layers(const std::string& model_path, const ModelOptions& options = {});

  // Every pass may be called from any number of threads: they take turns on the model, and
  // forward() and classify() calls that wait at the same time run as one batch (see
  // detail::InferenceQueue). Each caller gets only its own rows, computed as if it ran alone.
  //
  // input: [N, C, H, W] normalized, on device(), in dtype() (fp32: the masked passes convert to
  // their precision themselves).
  ForwardResult forward(const torch::Tensor& input);
  // Logits only, for the masked batches whose activations nobody reads: the model's own fastest path.
  torch::Tensor classify(const torch::Tensor& input);
  // While the model is still choosing the masked passes' precision (precision=auto, or a reduced
  // one asked for, until the first frame's map): the logits of fp32 and then of each reduced copy;
  // after, those of the copy that runs, alone.
  std::vector<torch::Tensor> classify_compared(const torch::Tensor& input);
  bool comparing_precisions() const;
  // For one frame whose every channel was scored with classify_compared(): each reduced copy's map
  // correlation with fp32's, in classify_compared()'s order. The first report decides which copy
  // runs the masked passes from then on.
  void report_map_agreement(const std::vector<double>& correlations);
  // Gradients of the logit of `target_class` (< 0: the predicted class) through the model as loaded,
  // for one input [1, C, H, W]: frozen copies keep no gradients. Loads that copy on first use.
  GradientResult gradients(const torch::Tensor& input, int target_class);
  // A smooth synthetic image [1, C, H, W] on the device, for timing passes: on a CPU, noise runs
  // measurably slower than real images.
  torch::Tensor smooth_test_input() const;
  // Pays TorchScript's per-shape optimization of every copy up front: forward() for one frame,
  // classify() for batches of `batch_size`. A few forward passes; later calls run at full speed.
  void warm_up(int batch_size);

  // How the passes run: frozen copies in which precision, which one measured fastest at load and
  // how closely a reduced-precision copy agrees with fp32, or why a pass runs on the module as
  // loaded (a model that cannot be frozen, say).
  std::string inference_path() const;
  PassCounts pass_counts() const;
  // The queue every pass goes through; tests hold it to make passes wait together.
  detail::InferenceQueue& inference_queue() { return *queue_; }
  bool frozen() const;  // both passes run on frozen copies

  ~Model();

  const ModelConfig& config() const { return config_; }
  const std::string& target_layer() const { return target_layer_; }
  int num_classes() const { return num_classes_; }
  int input_channels() const { return *config_.input_channels; }
  const std::vector<int64_t>& activation_shape() const { return activation_shape_; }  // [K, h, w]
  torch::Device device() const { return device_; }
  torch::ScalarType dtype() const { return dtype_; }
  std::string label(int class_id) const;

 private:
  Model(ModelConfig config, torch::Device device, torch::ScalarType dtype);
  // The passes themselves, run by whichever caller the queue lets run them.
  ForwardResult forward_now(const torch::Tensor& input);
  GradientResult gradients_now(const torch::Tensor& input, int target_class);
  // The copies of the masked passes that `precision` asks for, timed on a masked batch of the
  // smooth test input, the fastest of each precision kept (see detail::PrecisionChoice); the choice
  // then goes to `cache` with the first pass's. Or, with `remembered`, that copy alone.
  void choose_classifier(const torch::jit::Module& module, Precision precision, bool channels_last,
                         const torch::Tensor* probe, std::shared_ptr<detail::CopyChoiceCache> cache);
  // The masked passes' copies in `precision` (its exact copies for fp32), and with `channels_last`
  // each also in that order; `only` (a Variant::key): that copy alone.
  std::vector<detail::Variant> masked_copies(const torch::jit::Module& module, Precision precision, bool channels_last,
                                             const torch::Tensor* probe, const std::string& only = "") const;
  // What the masked passes' copies are timed (or, remembered, warmed up) on: a batch of masked
  // inputs as Score-CAM makes them, of the smooth test input, through the first pass.
  torch::Tensor masked_test_batch();
  // Makes the copy an earlier load chose the masked passes' copy; false when it cannot be made.
  bool remember_classifier(const torch::jit::Module& module, const detail::RememberedCopy& remembered,
                           const std::string& file, const torch::Tensor* probe);

  ModelConfig config_;
  torch::Tensor probe_;  // [1, C, H, W]: the input the frozen copies were checked on
  torch::Device device_;
  torch::ScalarType dtype_;
  std::string target_layer_;
  std::unique_ptr<detail::PrecisionChoice> classifier_;  // the masked passes: returns the logits
  std::unique_ptr<detail::CudaGraphs> graphs_;           // options.cuda_graphs: the masked passes' graphs
  std::unique_ptr<detail::CapturingModule> capture_;   // the logits and the target's activations
  int num_classes_ = 0;
  std::vector<int64_t> activation_shape_;
  std::string path_;
  std::unique_ptr<detail::InferenceQueue> queue_;
  // The module as loaded, for gradients with respect to the target's output; loaded on first use.
  std::unique_ptr<detail::CapturingModule> differentiable_;
};

}  // namespace scorecam
