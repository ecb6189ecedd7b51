#include "layer_capture.h"

#include <algorithm>

#include <torch/csrc/jit/ir/ir.h>

namespace scorecam::detail {
namespace {

using torch::jit::Block;
using torch::jit::Module;
using torch::jit::Node;
using torch::jit::Value;

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// The attribute names from `self` to the module a value holds, or false when it is not a submodule.
bool attribute_chain(Value* value, Value* self, std::vector<std::string>& chain) {
  chain.clear();
  while (value != self) {
    Node* producer = value->node();
    if (producer->kind() != c10::prim::GetAttr) return false;
    chain.push_back(producer->s(c10::attr::name));
    value = producer->input(0);
  }
  std::reverse(chain.begin(), chain.end());
  return true;
}

void walk(const Module& module, const std::string& path, Block* block, Value* self,
          std::vector<CallSite>& calls) {
  std::vector<std::string> chain;
  for (Node* node : block->nodes()) {
    for (Block* inner : node->blocks()) walk(module, path, inner, self, calls);
    if (node->kind() != c10::prim::CallMethod || !attribute_chain(node->input(0), self, chain)) continue;
    Module callee = module;
    std::string callee_path = path;
    for (const auto& name : chain) {
      callee = callee.attr(name).toModule();
      callee_path = join(callee_path, name);
    }
    // Scripted torchvision models route forward through helpers such as self._forward_impl.
    const std::string method = node->s(c10::attr::name);
    auto graph = callee.get_method(method).graph();
    walk(callee, callee_path, graph->block(), graph->inputs()[0], calls);
    const bool submodule_forward = !chain.empty() && method == "forward";
    if (submodule_forward && node->outputs().size() == 1 && node->output()->type()->cast<c10::TensorType>()) {
      calls.push_back({callee_path, path, node});
    }
  }
}

}  // namespace

std::vector<CallSite> module_calls(const Module& root) {
  std::vector<CallSite> calls;
  auto graph = root.get_method("forward").graph();
  walk(root, "", graph->block(), graph->inputs()[0], calls);
  return calls;
}

Module submodule(const Module& root, const std::string& path) {
  Module module = root;
  std::size_t start = 0;
  while (start < path.size()) {
    const std::size_t end = std::min(path.find('.', start), path.size());
    module = module.attr(path.substr(start, end - start)).toModule();
    start = end + 1;
  }
  return module;
}

std::string capture_output(const Module& root, const CallSite& site, CaptureNames& names) {
  // One attribute per call node: instances sharing a type share the node, and each stores its own call.
  auto known = names.find(site.node);
  if (known != names.end()) return known->second;
  const std::string name = "_scorecam_capture_" + std::to_string(names.size());
  names[site.node] = name;
  Module holder = submodule(root, site.holder_path);
  holder.register_attribute(name, c10::TensorType::get(), at::Tensor());
  auto* graph = site.node->owningGraph();
  // Store a copy, as a forward hook sees it: the caller may modify the output in place (`out += identity`).
  torch::jit::WithInsertPoint after_call(site.node->next());
  torch::jit::Value* copy = graph->insert(c10::aten::clone, {site.node->output()});
  Node* store = graph->create(c10::prim::SetAttr, {graph->inputs()[0], copy}, 0);
  store->s_(c10::attr::name, name);
  store->insertAfter(copy->node());
  return name;
}

}  // namespace scorecam::detail
