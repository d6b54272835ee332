#include "keras/graph/function.h"

#include "keras/ops/trace.h"

namespace keras {

namespace {

bool same_signature(const std::vector<TensorSpec>& a, const std::vector<TensorSpec>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) return false;
  return true;
}

}  // namespace

struct Function::Impl {
  Body body;
  PlanOptions options;
  std::string name;
  // Few signatures per function (usually the batch size and the last partial batch): a
  // linear scan beats hashing shapes, and the most recent hit is checked first.
  std::vector<std::pair<std::vector<TensorSpec>, std::unique_ptr<Plan>>> cache;
  std::size_t last_hit = 0;
  int traces = 0;

  Plan& trace(const std::vector<TensorSpec>& signature) {
    std::vector<Tensor> placeholders;
    placeholders.reserve(signature.size());
    for (std::size_t i = 0; i < signature.size(); ++i) {
      if (!signature[i].shape.is_fully_defined())
        throw ValueError("Function '" + name + "' traces for concrete input shapes. Expected input " +
                         std::to_string(i) + " to have a fully defined shape. Received: shape=" +
                         signature[i].shape.to_string());
      placeholders.push_back(Tensor::placeholder(signature[i].shape, signature[i].dtype, "input_" + std::to_string(i)));
    }
    std::vector<Tensor> outputs;
    std::vector<Tensor> side_effects;
    {
      TraceScope scope;
      outputs = body(placeholders);
      side_effects = scope.side_effects();
    }
    ++traces;
    auto plan = std::make_unique<Plan>(placeholders, outputs, side_effects, options);
    cache.emplace_back(signature, std::move(plan));
    last_hit = cache.size() - 1;
    return *cache.back().second;
  }

  Plan& lookup(const std::vector<TensorSpec>& signature) {
    if (last_hit < cache.size() && same_signature(cache[last_hit].first, signature)) return *cache[last_hit].second;
    for (std::size_t i = 0; i < cache.size(); ++i)
      if (same_signature(cache[i].first, signature)) {
        last_hit = i;
        return *cache[i].second;
      }
    return trace(signature);
  }
};

Function::Function(Body body, PlanOptions options, std::string name) : impl_(std::make_unique<Impl>()) {
  if (!body) throw ValueError("Function '" + name + "' needs a callable body. Received: an empty std::function");
  impl_->body = std::move(body);
  impl_->options = options;
  impl_->name = std::move(name);
}

Function::~Function() = default;
Function::Function(Function&&) noexcept = default;
Function& Function::operator=(Function&&) noexcept = default;

Plan& Function::get_plan(const std::vector<TensorSpec>& signature) { return impl_->lookup(signature); }

Plan& Function::get_plan(const std::vector<Tensor>& inputs) {
  std::vector<TensorSpec> signature;
  signature.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw ValueError("Function '" + impl_->name + "' received an undefined tensor as input " + std::to_string(i) + ".");
    signature.push_back({inputs[i].shape(), inputs[i].dtype()});
  }
  return get_plan(signature);
}

std::vector<Tensor> Function::operator()(const std::vector<Tensor>& inputs) {
  // Called while another function is being traced: become part of that trace.
  for (const Tensor& t : inputs)
    if (t.defined() && t.is_symbolic()) return impl_->body(inputs);
  return get_plan(inputs).run(inputs);
}

int Function::num_traces() const { return impl_->traces; }
std::size_t Function::num_cached_plans() const { return impl_->cache.size(); }
void Function::clear_cache() {
  impl_->cache.clear();
  impl_->last_hit = 0;
}
const std::string& Function::name() const { return impl_->name; }

}  // namespace keras
