#pragma once
// Shared pieces of op definitions: inference helpers and argument checks.
#include <string>
#include <vector>

#include "keras/ops/op_def.h"
#include "keras/ops/ops.h"

namespace keras::ops::detail {

// Broadcast result of two same-dtype operands; TypeError on a dtype mismatch.
inline TensorSpec infer_broadcast_same_dtype(const std::vector<TensorSpec>& in, const std::string& op) {
  if (in[0].dtype != in[1].dtype)
    throw TypeError("Op '" + op + "' expects both operands to have the same dtype. Received: " +
                    dtype_name(in[0].dtype) + " with shape " + in[0].shape.to_string() + " and " +
                    dtype_name(in[1].dtype) + " with shape " + in[1].shape.to_string() +
                    ". Use keras::ops::cast to convert one of them.");
  return {broadcast_shapes(in[0].shape, in[1].shape, "'" + op + "'"), in[0].dtype};
}

// A C++ literal (weak scalar) adopts the other operand's dtype, as Python scalars do in Keras.
inline void adopt_weak_scalars(Tensor& a, Tensor& b) {
  if (!a.defined() || !b.defined() || a.dtype() == b.dtype()) return;
  if (b.node()->weak_scalar && !a.node()->weak_scalar) b = Tensor::scalar(b.item(), a.dtype());
  else if (a.node()->weak_scalar && !b.node()->weak_scalar) a = Tensor::scalar(a.item(), b.dtype());
}

inline void require_floating(const TensorSpec& spec, const std::string& op) {
  if (!is_floating(spec.dtype))
    throw TypeError("Op '" + op + "' expects a floating-point tensor (float32 or float64). Received: dtype=" +
                    dtype_name(spec.dtype) + " with shape " + spec.shape.to_string());
}

inline TensorSpec same_as_input(const std::vector<TensorSpec>& in, Attrs&) { return in[0]; }

// Normalizes attrs.ints as a list of axes of `shape` (empty = all), sorted and unique.
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, const Shape& shape,
                                         const std::string& op);

}  // namespace keras::ops::detail
