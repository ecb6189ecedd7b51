#include "layer_capture.h"

#include <algorithm>

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "scorecam/error.h"

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

const char kCapturePrefix[] = "_scorecam_capture_";

// Every prim::SetAttr that capture_output() inserted, in this block and the blocks inside it.
void capture_stores(Block* block, std::vector<Node*>& stores) {
  for (Node* node : block->nodes()) {
    for (Block* inner : node->blocks()) capture_stores(inner, stores);
    if (node->kind() == c10::prim::SetAttr && node->s(c10::attr::name).rfind(kCapturePrefix, 0) == 0) {
      stores.push_back(node);
    }
  }
}

std::string dotted(const std::vector<std::string>& chain) {
  std::string path;
  for (const auto& name : chain) path = join(path, name);
  return path;
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

std::string capture_output(const Module& root, const CallSite& site, CaptureNames& names, bool copy) {
  // One attribute per call node: instances sharing a type share the node, and each stores its own call.
  auto known = names.find(site.node);
  if (known != names.end()) return known->second;
  const std::string name = kCapturePrefix + std::to_string(names.size());
  names[site.node] = name;
  Module holder = submodule(root, site.holder_path);
  // Optional, None until the call runs: freezing copes with None, not with an undefined tensor.
  holder.register_attribute(name, c10::OptionalType::create(c10::TensorType::get()), c10::IValue());
  auto* graph = site.node->owningGraph();
  torch::jit::WithInsertPoint after_call(site.node->next());
  torch::jit::Value* stored = copy ? graph->insert(c10::aten::clone, {site.node->output()}) : site.node->output();
  Node* store = graph->create(c10::prim::SetAttr, {graph->inputs()[0], stored}, 0);
  store->s_(c10::attr::name, name);
  store->insertAfter(copy ? stored->node() : site.node);
  return name;
}

}  // namespace scorecam::detail

namespace scorecam::detail {

void return_captured_output(Module& root, const CallSite& site, const std::string& attribute) {
  torch::jit::Function& forward = root.get_method("forward").function();
  auto graph = torch::jit::toGraphFunction(forward).graph()->copy();
  torch::jit::Inline(*graph);
  std::vector<Node*> stores;
  capture_stores(graph->block(), stores);
  // Instances sharing the holder's type all store: the holder's own store is the one to return.
  Node* chosen = nullptr;
  std::vector<std::string> chain;
  for (Node* store : stores) {
    if (store->s(c10::attr::name) != attribute) continue;
    if (!attribute_chain(store->input(0), graph->inputs()[0], chain) || dotted(chain) != site.holder_path) continue;
    if (store->owningBlock() != graph->block()) {
      throw Error("the call of '" + site.path + "' sits inside control flow (if or loop) of the scripted model");
    }
    chosen = store;  // a later store overwrites an earlier one: the last call counts
  }
  if (!chosen) throw Error("the call of '" + site.path + "' is not reached from forward");
  Value* captured = chosen->input(1);
  for (Node* store : stores) store->destroy();

  torch::jit::WithInsertPoint at_return(graph->return_node());
  Value* both = graph->insertNode(graph->createTuple({graph->outputs()[0], captured}))->output();
  graph->eraseOutput(0);
  graph->registerOutput(both);
  torch::jit::EliminateDeadCode(graph);

  // Replace forward: its schema, derived from the graph once, would still promise one tensor.
  const c10::QualifiedName name = forward.qualname();
  auto unit = root._ivalue()->compilation_unit();
  root.type()->unsafeRemoveMethod("forward");
  unit->unsafeRemoveMethod(name);
  root.type()->addMethod(unit->create_function(name, graph));
}

CapturingModule::CapturingModule(const Module& module, const std::string& layer, bool copy) {
  for (const auto& call : module_calls(module)) {
    if (call.path == layer) site_ = call;
  }
  CaptureNames names;
  attribute_ = capture_output(module, site_, names, copy);
}

std::unique_ptr<CapturingModule> CapturingModule::fastest(Module module, const std::string& layer,
                                                          const torch::Tensor* probe, const std::string& only) {
  std::unique_ptr<CapturingModule> capture(new CapturingModule(module, layer, /*copy=*/true));
  std::vector<Variant> storing = exact_copies(module, nullptr);  // optimization off: as loaded
  if (probe) {
    try {
      return_captured_output(module, capture->site_, capture->attribute_);
      std::vector<Variant> copies = exact_copies(module, probe, only);
      capture->copies_ = FastestModule(copies.empty() ? exact_copies(module, probe) : std::move(copies));
      capture->returns_output_ = true;
      return capture;
    } catch (const Error& e) {
      // The module is untouched: it stores the output in the attribute, which no frozen copy keeps.
      storing = {as_loaded(module, e.what())};
    }
  }
  capture->holder_ = submodule(module, capture->site_.holder_path);
  capture->copies_ = FastestModule(std::move(storing));
  return capture;
}

std::unique_ptr<CapturingModule> CapturingModule::differentiable(Module module, const std::string& layer) {
  std::unique_ptr<CapturingModule> capture(new CapturingModule(module, layer, /*copy=*/false));
  capture->holder_ = submodule(module, capture->site_.holder_path);
  capture->copies_ = FastestModule({{module, "as loaded"}});
  return capture;
}

CapturingModule::Output CapturingModule::forward(const torch::Tensor& input) {
  const auto output = copies_.forward(input);
  if (returns_output_) {
    const auto& both = output.toTupleRef().elements();
    return {both[0].toTensor(), both[1].toTensor()};
  }
  const auto stored = holder_.attr(attribute_);
  if (!stored.isTensor()) throw Error("layer '" + site_.path + "' did not run for this input");
  return {output.toTensor(), stored.toTensor()};
}

}  // namespace scorecam::detail
