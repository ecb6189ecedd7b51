#pragma once
// Capturing a submodule's output inside a TorchScript module, traced or scripted, and reading it
// back after a pass (CapturingModule).
//
// LibTorch has no forward hooks for TorchScript. Both tracing and scripting keep each submodule
// call as a prim::CallMethod node in its parent's graph, so the call tree can be walked statically,
// and a prim::SetAttr inserted after a call stores its output on the calling module, where it can
// be read after the forward pass.
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/script.h>

#include "fastest_module.h"

namespace scorecam::detail {

struct CallSite {
  std::string path;         // dotted path of the called module ("layer4", "features.29")
  std::string holder_path;  // dotted path of the module whose graph makes the call ("" = root)
  torch::jit::Node* node;   // the prim::CallMethod node; shared by instances that share a type
};

// Every submodule forward call returning a tensor, in the order the calls complete
// (children before their parents). A module called twice appears twice.
std::vector<CallSite> module_calls(const torch::jit::Module& root);

torch::jit::Module submodule(const torch::jit::Module& root, const std::string& path);

// Attribute already inserted for each call node, per loaded module.
using CaptureNames = std::unordered_map<const torch::jit::Node*, std::string>;

// Makes every run of the call store its output in an attribute of the holder; returns the attribute.
// A copy, as a forward hook sees it, since the caller may modify the output in place (`out +=
// identity`); or, for gradients with respect to it, the output itself (`copy` false).
std::string capture_output(const torch::jit::Module& root, const CallSite& site, CaptureNames& names,
                           bool copy = true);

// Freezing folds attributes into constants, so a stored output would be lost. This turns the store
// made by capture_output() into a second output instead: root's forward is inlined and returns
// (output, captured value). Throws Error, leaving root as it was, when the store sits inside
// control flow (an if or a loop of a scripted model), where there is no single value to return.
void return_captured_output(torch::jit::Module& root, const CallSite& site, const std::string& attribute);

// A module that gives its target layer's output with the logits, and where that output is read
// back: returned as a second output, or stored in an attribute of the module that calls the layer.
// The target's last call counts: a module called twice (a shared ReLU) is explained at its last output.
class CapturingModule {
 public:
  // For the first pass of a frame: the output returned, so that the pass runs on the exact copies
  // of `module` (as loaded) that match it on `probe`. Stored instead, on `module` itself, without a
  // probe (see exact_copies) or where the call sits inside control flow, which no frozen copy keeps.
  // `only` (a Variant::key): that copy alone, where it can be made; else every copy, as without.
  static std::unique_ptr<CapturingModule> fastest(torch::jit::Module module, const std::string& layer,
                                                  const torch::Tensor* probe, const std::string& only = "");
  // For gradients with respect to the output: the output itself stored, on `module` as loaded.
  static std::unique_ptr<CapturingModule> differentiable(torch::jit::Module module, const std::string& layer);

  struct Output {
    torch::Tensor logits;       // in the module's precision
    torch::Tensor activations;  // of the target layer
  };
  // Throws Error when the target layer did not run for this input.
  Output forward(const torch::Tensor& input);

  // What runs: its fastest exact copy, or the module itself while it stores the output.
  FastestModule& copies() { return copies_; }
  const FastestModule& copies() const { return copies_; }
  // Keeps no state between calls, so that passes may run side by side.
  bool returns_output() const { return returns_output_; }

 private:
  // Makes `module` store the output of the target's last call (see capture_output).
  CapturingModule(const torch::jit::Module& module, const std::string& layer, bool copy);

  CallSite site_{};
  std::string attribute_;
  torch::jit::Module holder_;  // while it stores the output: the module that stores it in attribute_
  bool returns_output_ = false;
  FastestModule copies_;
};

}  // namespace scorecam::detail
