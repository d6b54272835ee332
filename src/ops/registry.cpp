#include <algorithm>

#include "families.h"
#include "keras/ops/op_def.h"
#include "keras/ops/trace.h"

namespace keras {

const std::vector<const OpDef*>& op_registry() {
  static const std::vector<const OpDef*> registry = [] {
    ops::detail::OpList ops;
    ops::detail::register_elementwise_binary_ops(ops);
    ops::detail::register_elementwise_unary_ops(ops);
    ops::detail::register_activation_ops(ops);
    ops::detail::register_reduction_ops(ops);
    ops::detail::register_linalg_ops(ops);
    ops::detail::register_dense_ops(ops);
    ops::detail::register_shape_ops(ops);
    ops::detail::register_indexing_ops(ops);
    ops::detail::register_creation_ops(ops);
    ops::detail::register_state_ops(ops);
    ops::detail::register_conv_ops(ops);
    ops::detail::register_pooling_ops(ops);
    ops::detail::register_random_ops(ops);
    ops::detail::register_recurrent_ops(ops);
    ops::detail::register_optimizer_ops(ops);
    return ops;
  }();
  return registry;
}

const OpDef& find_op(const std::string& name) {
  for (const OpDef* op : op_registry())
    if (op->name == name) return *op;
  throw KeyError("No op named '" + name + "' is registered.");
}

int& tape_depth() {
  thread_local int depth = 0;
  return depth;
}

Tensor apply_op(const OpDef& op, std::vector<Tensor> inputs, Attrs attrs) {
  if (op.num_inputs >= 0 && static_cast<int>(inputs.size()) != op.num_inputs)
    throw ValueError("Op '" + op.name + "' expects " + std::to_string(op.num_inputs) +
                     " inputs. Received: " + std::to_string(inputs.size()) + " inputs");
  std::vector<TensorSpec> specs;
  specs.reserve(inputs.size());
  bool symbolic = false;
  // While tracing, a variable read is recorded, not folded into a constant: a compiled plan
  // must see the variable's value at each run. Writing a variable that existed before the
  // trace is recorded too, even with a concrete value; a variable created during the trace
  // (a layer built on its first call) is being initialized: that happens once, now.
  const TraceScope* scope = TraceScope::current();
  const bool tracing = scope != nullptr;
  if (tracing && op.side_effect)
    for (std::size_t i = 0; i < inputs.size() && static_cast<int>(i) < op.num_written_inputs; ++i)
      if (inputs[i].defined() && inputs[i].node()->kind == NodeKind::variable &&
          inputs[i].node()->id < scope->first_node_id())
        symbolic = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw ValueError("Op '" + op.name + "' received an undefined tensor as input " + std::to_string(i) + ".");
    specs.push_back({inputs[i].shape(), inputs[i].dtype()});
    // fill_like reads only its input's shape: on a variable it is a constant, made now (so
    // that slots such as `Variable(zeros_like(w))` can be created inside a trace).
    const bool traced_variable = tracing && inputs[i].node()->kind == NodeKind::variable &&
                                 !(op.side_effect && static_cast<int>(i) < op.num_written_inputs) &&
                                 op.name != "fill_like";
    symbolic = symbolic || inputs[i].is_symbolic() || traced_variable;
  }
  const TensorSpec out = op.infer(specs, attrs);

  auto node = std::make_shared<Node>();
  node->kind = NodeKind::op;
  node->op = &op;
  node->shape = out.shape;
  node->dtype = out.dtype;
  node->id = new_node_id();
  node->attrs = std::move(attrs);
  if (!symbolic) {
    if (!out.shape.is_fully_defined())
      throw ValueError("Op '" + op.name + "' inferred a partially unknown shape " + out.shape.to_string() +
                       " from concrete inputs.");
    node->value = std::make_shared<Buffer>(static_cast<std::size_t>(out.shape.num_elements()) * dtype_size(out.dtype));
    std::vector<const void*> ptrs(inputs.size());
    std::vector<Shape> shapes(inputs.size());
    std::vector<DType> dtypes(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      ptrs[i] = inputs[i].raw_data();
      shapes[i] = specs[i].shape;
      dtypes[i] = specs[i].dtype;
    }
    KernelArgs args;
    args.inputs = ptrs.data();
    args.input_shapes = shapes.data();
    args.input_dtypes = dtypes.data();
    args.num_inputs = static_cast<int>(inputs.size());
    args.output = node->value->data();
    args.output_shape = &node->shape;
    args.output_dtype = node->dtype;
    args.attrs = &node->attrs;
    op.kernel(args);
    // Without a tape nobody can ask for gradients: drop the history so that long eager loops
    // do not keep every intermediate alive.
    if (tape_depth() > 0) {
      node->inputs.reserve(inputs.size());
      for (auto& t : inputs) node->inputs.push_back(t.node());
    }
  } else {
    node->inputs.reserve(inputs.size());
    for (auto& t : inputs) node->inputs.push_back(t.node());
  }
  Tensor result(std::move(node));
  if (op.side_effect && symbolic) {
    TraceScope* scope = TraceScope::current();
    if (!scope)
      throw ValueError("Op '" + op.name + "' on a symbolic tensor must run inside a trace (TraceScope), "
                       "e.g. in a function compiled into a Plan.");
    scope->record_side_effect(result);
  }
  return result;
}

// ---- TraceScope ----------------------------------------------------------------------------

namespace {
thread_local TraceScope* current_scope = nullptr;
}

TraceScope::TraceScope() : parent_(current_scope), first_node_id_(new_node_id()) { current_scope = this; }
TraceScope::~TraceScope() { current_scope = parent_; }
TraceScope* TraceScope::current() { return current_scope; }

}  // namespace keras
