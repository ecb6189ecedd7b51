#pragma once
// Copies of a classifier that run the masked passes in less than fp32: the module with bf16 (or
// fp16) weights, and the int8 copy the Python helpers quantize into a file of its own. None is
// exact, so each is compared with fp32 on the stream's first masked batches: how closely its class
// probabilities follow fp32's is what precision=auto decides by, and what every choice reports.
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <torch/script.h>

#include "fastest_module.h"
#include "scorecam/device.h"
#include "scorecam/model_config.h"

namespace scorecam::detail {

// `module` with its weights in `type` (bf16, fp16), frozen, and frozen then optimized for
// inference, each converting its fp32 input; those that classify `probe` into its classes.
// `only` (a Variant::key): that copy alone. Throws Error when none runs.
std::vector<Variant> float_copies(const torch::jit::Module& module, torch::ScalarType type, const torch::Tensor& probe,
                                  const std::string& only = "");

// The model's int8 copy (config.int8_model), on the quantized engine it was made for, which
// becomes the process's; throws Error naming the file and what to do when there is none or it
// does not classify `probe` ([1, C, H, W]) into `classes` classes.
std::vector<Variant> int8_copies(const ModelConfig& config, int classes, const torch::Tensor& probe);

// The precision a copy's key (Variant::key) names, whatever order its weights are in: exact copies
// are fp32.
Precision precision_of_copy(const std::string& key);

// Which copy runs the masked passes: the fp32 copy, or a reduced-precision one once it has shown,
// on the first real masked batches, how closely it follows fp32. Synthetic inputs are no test of
// that: an int8 copy calibrated on real frames followed fp32 with a correlation of 0.975 on the
// masked inputs of a smooth synthetic image, and 0.9999 on real ones. So until kTrialRows masked
// inputs have been classified, every batch runs on fp32 (whose logits it returns) and on each
// candidate, and the class probabilities of each are compared; then one copy stays.
class PrecisionChoice {
 public:
  // Masked inputs the trial compares the copies on: two batches of Score-CAM's default size.
  static constexpr int64_t kTrialRows = 64;
  // The least correlation a copy needs for precision=auto (documented in docs/element.md).
  static constexpr double kAutoAgreement = 0.999;

  struct Copy {
    FastestModule module;  // decided: its fastest variant timed at load
    double images_per_second = 0;
  };

  // Called once, when one copy runs every batch from then on, with that copy and how it was chosen;
  // what it returns is added to how().
  using Settled = std::function<std::string(const Copy& kept, const std::string& chosen_because)>;

  // `candidates` empty: fp32 alone, nothing to try. `any_agreement`: the user asked for the (one)
  // candidate, which stays whatever its agreement, reported; else (auto) the fastest candidate
  // that agrees kAutoAgreement or more and is faster than fp32 stays, if any. `not_tried`: for
  // auto, the copies it could not try and why ("; no int8: ..."), reported with the choice.
  PrecisionChoice(Copy fp32, std::vector<Copy> candidates, bool any_agreement, Settled on_settled = {},
                  std::string not_tried = "");
  // The copy an earlier load chose, and how it chose it: no trial.
  PrecisionChoice(Copy remembered, std::string chosen_because);

  // The logits of `batch` from the copy that runs the masked passes; from any thread.
  torch::Tensor classify(const torch::Tensor& batch);
  void warm_up(const torch::Tensor& batch);
  // The copy that runs, how it was chosen, and what was left out and why; or the trial so far.
  std::string how() const;
  bool frozen() const;
  // The trial is over: one copy runs every batch from now on.
  bool settled() const { return settled_.load(std::memory_order_acquire); }

 private:
  void settle();  // with lock_ held

  mutable std::mutex lock_;
  std::atomic<bool> settled_{false};
  Copy kept_;                   // fp32 until settled
  std::vector<Copy> candidates_;
  bool any_agreement_ = false;
  Settled on_settled_;
  std::string not_tried_;
  // Per candidate, the sums its Pearson correlation with fp32's probabilities is made of.
  struct Sums {
    double x = 0, y = 0, xx = 0, yy = 0, xy = 0, n = 0;
    double correlation() const;
  };
  std::vector<Sums> sums_;
  int64_t rows_ = 0;
  std::string chosen_because_;
};

}  // namespace scorecam::detail
