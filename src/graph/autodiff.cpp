#include "keras/graph/autodiff.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "keras/ops/op_def.h"
#include "keras/ops/ops.h"

namespace keras {

namespace {

// Post-order (inputs before users) of every node reachable from `root`.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<std::shared_ptr<Node>, std::size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next_input++];
      if (visited.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  const Shape& gs = grad.shape();
  if (gs == shape) return grad;
  const int lead = gs.rank() - shape.rank();
  if (lead < 0)
    throw ValueError("sum_to_shape: gradient of rank " + std::to_string(gs.rank()) +
                     " cannot be reduced to a higher rank. Received: shapes " + gs.to_string() + " and " +
                     shape.to_string());
  Tensor g = grad;
  if (lead > 0) {
    ops::Axes leading;
    for (int i = 0; i < lead; ++i) leading.push_back(i);
    g = ops::sum(g, leading, /*keepdims=*/false);
  }
  ops::Axes ones;
  for (int i = 0; i < shape.rank(); ++i)
    if (shape.dims()[i] == 1 && g.shape().dims()[i] != 1) ones.push_back(i);
  if (!ones.empty()) g = ops::sum(g, ones, /*keepdims=*/true);
  return g;
}

std::vector<Tensor> gradients(const Tensor& target, const std::vector<Tensor>& sources, const Tensor& seed) {
  if (!target.defined()) throw ValueError("gradients: the target tensor is undefined.");
  Node* root = target.node().get();
  std::unordered_set<const Node*> source_nodes;
  for (const auto& s : sources) {
    if (!s.defined()) throw ValueError("gradients: a source tensor is undefined.");
    source_nodes.insert(s.node().get());
  }
  if (target.is_concrete() && root->kind == NodeKind::op && root->inputs.empty() && !source_nodes.count(root))
    throw ValueError("gradients: the target was computed eagerly without a GradientTape, so its history was not "
                     "recorded. Compute it inside a keras::GradientTape scope. Received: target shape " +
                     target.shape().to_string());

  const std::vector<std::shared_ptr<Node>> order = topological_order(target.node());
  // A node needs a gradient when it is a source or depends on one.
  std::unordered_set<const Node*> needs_grad;
  for (const auto& owner : order) {
    Node* n = owner.get();
    bool needs = source_nodes.count(n) > 0;
    if (!needs && n->kind == NodeKind::op && n->op->differentiable())
      for (auto& in : n->inputs)
        if (needs_grad.count(in.get())) { needs = true; break; }
    if (needs) needs_grad.insert(n);
  }

  std::unordered_map<const Node*, Tensor> grads;
  if (needs_grad.count(root)) {
    if (seed.defined()) {
      if (seed.shape() != target.shape() && seed.shape().is_fully_defined() && target.shape().is_fully_defined())
        throw ValueError("gradients: the seed must have the target's shape. Received: seed shape " +
                         seed.shape().to_string() + ", target shape " + target.shape().to_string());
      grads[root] = seed;
    } else {
      grads[root] = ops::ones_like(target);
    }
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* n = it->get();
    if (n->kind != NodeKind::op || !n->op->differentiable()) continue;
    auto found = grads.find(n);
    if (found == grads.end()) continue;
    bool any_input_needs = false;
    for (auto& in : n->inputs) any_input_needs = any_input_needs || needs_grad.count(in.get());
    if (!any_input_needs) continue;

    std::vector<Tensor> inputs;
    inputs.reserve(n->inputs.size());
    for (auto& in : n->inputs) inputs.emplace_back(in);
    const Tensor out_handle(*it);
    GradContext ctx{inputs, out_handle, found->second, n->attrs};
    std::vector<Tensor> input_grads = n->op->grad(ctx);
    for (std::size_t i = 0; i < n->inputs.size() && i < input_grads.size(); ++i) {
      const Node* in = n->inputs[i].get();
      if (!input_grads[i].defined() || !needs_grad.count(in) || !is_floating(in->dtype)) continue;
      Tensor g = sum_to_shape(input_grads[i], in->shape);
      auto existing = grads.find(in);
      if (existing == grads.end()) grads.emplace(in, g);
      else existing->second = ops::add(existing->second, g);
    }
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const auto& s : sources) {
    auto found = grads.find(s.node().get());
    result.push_back(found != grads.end() ? found->second : ops::zeros_like(s));
  }
  return result;
}

GradientTape::GradientTape() { ++tape_depth(); }
GradientTape::~GradientTape() { --tape_depth(); }

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const Tensor& seed) const {
  return gradients(target, sources, seed);
}

bool tape_is_recording() { return tape_depth() > 0; }

}  // namespace keras
