#pragma once
// Capturing a submodule's output inside a TorchScript module, traced or scripted.
//
// LibTorch has no forward hooks for TorchScript. Both tracing and scripting keep each submodule
// call as a prim::CallMethod node in its parent's graph, so the call tree can be walked statically,
// and a prim::SetAttr inserted after a call stores its output on the calling module, where it can
// be read after the forward pass.
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/script.h>

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

}  // namespace scorecam::detail
