// State ops: assignment into variables (the only ops with side effects).
#include <cstring>

#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

TensorSpec infer_assign(const std::vector<TensorSpec>& in, Attrs&) {
  if (in[0].shape != in[1].shape)
    throw ValueError("Cannot assign a value of shape " + in[1].shape.to_string() + " to a variable of shape " +
                     in[0].shape.to_string() + ". Expected the shapes to match. Received: value shape=" +
                     in[1].shape.to_string());
  if (in[0].dtype != in[1].dtype)
    throw TypeError("Cannot assign a value of dtype " + dtype_name(in[1].dtype) + " to a variable of dtype " +
                    dtype_name(in[0].dtype) + ". Received: value dtype=" + dtype_name(in[1].dtype));
  return in[0];
}

// Writes input 1 into input 0's buffer. The output aliases the variable (the plan gives it
// no slot of its own), so the kernel's `output` is unused.
void assign_kernel(const KernelArgs& k) {
  const std::size_t bytes = static_cast<std::size_t>(k.input_shapes[1].num_elements()) * dtype_size(k.input_dtypes[1]);
  if (k.inputs[0] != k.inputs[1]) std::memmove(const_cast<void*>(k.inputs[0]), k.inputs[1], bytes);
}

}  // namespace

const OpDef& assign_op() {
  static const OpDef def{"assign", 2, infer_assign, assign_kernel, nullptr, false, /*side_effect=*/true};
  return def;
}

void assign(const Tensor& variable, const Tensor& value) {
  if (!variable.defined() || variable.node()->kind != NodeKind::variable)
    throw TypeError("assign expects a keras::Variable as its first argument.");
  Tensor v = value;
  if (v.defined() && v.node()->weak_scalar && v.dtype() != variable.dtype()) v = Tensor::scalar(v.item(), variable.dtype());
  if (v.defined() && v.is_concrete() && v.shape() != variable.shape() && v.size() == 1)
    v = full(variable.shape(), v.item(), variable.dtype());
  apply_op(assign_op(), {variable, v});
}

namespace detail {
void register_state_ops(OpList& ops) { ops.push_back(&assign_op()); }
}  // namespace detail
}  // namespace keras::ops

namespace keras {
void Variable::assign(const Tensor& value) { ops::assign(*this, value); }
void Variable::assign_add(const Tensor& delta) { ops::assign(*this, ops::add(*this, delta)); }
void Variable::assign_sub(const Tensor& delta) { ops::assign(*this, ops::subtract(*this, delta)); }
}  // namespace keras
