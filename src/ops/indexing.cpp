// Integer indexing: take (gather along an axis), its gradient take_grad (scatter-add), and
// one_hot.
#include <cmath>
#include <cstring>

#include "../backend/cpu/gather.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

using Ints = std::vector<std::int64_t>;

// x viewed as (outer, axis_size, inner) around `axis`.
struct AxisView {
  std::int64_t outer = 1, axis_size = 1, inner = 1;
};

AxisView view_around(const Shape& s, int axis) {
  AxisView v;
  for (int d = 0; d < s.rank(); ++d) {
    if (d < axis) v.outer *= s.dims()[d];
    else if (d == axis) v.axis_size = s.dims()[d];
    else v.inner *= s.dims()[d];
  }
  return v;
}

// x.shape[:axis] + indices.shape + x.shape[axis+1:]
Shape gathered_shape(const Shape& xs, const Shape& is, int axis) {
  Ints dims(xs.dims().begin(), xs.dims().begin() + axis);
  dims.insert(dims.end(), is.dims().begin(), is.dims().end());
  dims.insert(dims.end(), xs.dims().begin() + axis + 1, xs.dims().end());
  return Shape(dims);
}

void require_integer_indices(const TensorSpec& spec, const std::string& op) {
  if (!is_integer(spec.dtype))
    throw TypeError("Op '" + op + "' expects integer indices (int32 or int64). Received: indices with dtype=" +
                    dtype_name(spec.dtype) + " and shape " + spec.shape.to_string());
}

int canonical_axis(const Shape& xs, std::int64_t& axis, const std::string& op) {
  const int r = xs.rank();
  if (r == 0)
    throw ValueError("Op '" + op + "' expects a tensor of rank >= 1 to index into. Received: shape " + xs.to_string());
  if (axis < -r || axis >= r)
    throw ValueError("Op '" + op + "' expects an axis in [" + std::to_string(-r) + ", " + std::to_string(r) +
                     "). Received: axis=" + std::to_string(axis) + " for input shape " + xs.to_string());
  if (axis < 0) axis += r;
  return static_cast<int>(axis);
}

// Wraps negative indices and rejects out-of-range ones before any kernel runs.
Ints checked_indices(const void* data, DType dtype, std::int64_t n, std::int64_t axis_size, int axis,
                     const Shape& xs, const std::string& op) {
  Ints out(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t v = dtype == DType::int32 ? static_cast<const std::int32_t*>(data)[i]
                                                 : static_cast<const std::int64_t*>(data)[i];
    const std::int64_t w = v < 0 ? v + axis_size : v;
    if (w < 0 || w >= axis_size)
      throw IndexError("Op '" + op + "': index " + std::to_string(v) + " is out of bounds for axis " +
                       std::to_string(axis) + " with size " + std::to_string(axis_size) + ". Expected indices in [" +
                       std::to_string(-axis_size) + ", " + std::to_string(axis_size) + "). Received: input shape " +
                       xs.to_string());
    out[static_cast<std::size_t>(i)] = w;
  }
  return out;
}

// ---- take --------------------------------------------------------------------------------------

// attrs.i: the axis, canonicalized.
TensorSpec infer_take(const std::vector<TensorSpec>& in, Attrs& attrs) {
  require_integer_indices(in[1], "take");
  const int axis = canonical_axis(in[0].shape, attrs.i, "take");
  return {gathered_shape(in[0].shape, in[1].shape, axis), in[0].dtype};
}

void take_kernel(const KernelArgs& k) {
  const Shape& xs = k.input_shapes[0];
  const int axis = static_cast<int>(k.attrs->i);
  const AxisView v = view_around(xs, axis);
  const std::int64_t n = k.input_shapes[1].num_elements();
  const Ints idx = checked_indices(k.inputs[1], k.input_dtypes[1], n, v.axis_size, axis, xs, "take");
  backend::cpu::gather_rows(k.inputs[0], v.outer, v.axis_size, v.inner, idx.data(), n, k.output,
                            dtype_size(k.output_dtype));
}

std::vector<Tensor> grad_take(const GradContext& c) {
  return {take_grad(c.grad, c.inputs[1], c.inputs[0], static_cast<int>(c.attrs.i)), Tensor()};
}

const OpDef& take_op() {
  static const OpDef def{"take", 2, infer_take, take_kernel, grad_take, false};
  return def;
}

// ---- take_grad: take's adjoint -----------------------------------------------------------------

// Inputs (g, indices, ref); attrs.i: the axis of ref, canonicalized.
TensorSpec infer_take_grad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  detail::require_floating(in[0], "take_grad");
  require_integer_indices(in[1], "take_grad");
  const int axis = canonical_axis(in[2].shape, attrs.i, "take_grad");
  const Shape expected = gathered_shape(in[2].shape, in[1].shape, axis);
  const Shape& gs = in[0].shape;
  bool fits = gs.rank() == expected.rank();
  for (int d = 0; fits && d < gs.rank(); ++d)
    fits = gs.dims()[d] < 0 || expected.dims()[d] < 0 || gs.dims()[d] == expected.dims()[d];
  if (!fits)
    throw ValueError("Op 'take_grad' expects a gradient of shape " + expected.to_string() +
                     ". Received: gradient shape " + gs.to_string() + ", indices shape " + in[1].shape.to_string() +
                     ", reference shape " + in[2].shape.to_string());
  return {in[2].shape, in[0].dtype};
}

void take_grad_kernel(const KernelArgs& k) {
  const Shape& rs = *k.output_shape;
  const int axis = static_cast<int>(k.attrs->i);
  const AxisView v = view_around(rs, axis);
  const std::int64_t n = k.input_shapes[1].num_elements();
  const Ints idx = checked_indices(k.inputs[1], k.input_dtypes[1], n, v.axis_size, axis, rs, "take_grad");
  dispatch_floating(k.output_dtype, "take_grad", [&](auto zero) {
    using T = decltype(zero);
    backend::cpu::scatter_add_rows(static_cast<const T*>(k.inputs[0]), v.outer, v.axis_size, v.inner, idx.data(), n,
                                   static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_take_grad(const GradContext& c) {
  return {take(c.grad, c.inputs[1], static_cast<int>(c.attrs.i)), Tensor(), Tensor()};
}

const OpDef& take_grad_op() {
  static const OpDef def{"take_grad", 3, infer_take_grad, take_grad_kernel, grad_take_grad, false};
  return def;
}

// ---- one_hot -----------------------------------------------------------------------------------

// attrs.i: num_classes; attrs.dtype: output dtype. Float indices are truncated toward
// zero, as Keras's backends convert them to integers.
TensorSpec infer_one_hot(const std::vector<TensorSpec>& in, Attrs& attrs) {
  if (in[0].dtype == DType::bool_)
    throw TypeError("Op 'one_hot' expects numeric indices. Received: indices with dtype=bool and shape " +
                    in[0].shape.to_string());
  if (attrs.i < 0)
    throw ValueError("Op 'one_hot' expects num_classes >= 0. Received: num_classes=" + std::to_string(attrs.i));
  Ints dims = in[0].shape.dims();
  dims.push_back(attrs.i);
  return {Shape(dims), attrs.dtype};
}

void one_hot_kernel(const KernelArgs& k) {
  const std::int64_t n = k.input_shapes[0].num_elements(), classes = k.attrs->i;
  std::memset(k.output, 0, static_cast<std::size_t>(n * classes) * dtype_size(k.output_dtype));
  dispatch_dtype(k.input_dtypes[0], [&](auto izero) {
    using I = decltype(izero);
    const I* idx = static_cast<const I*>(k.inputs[0]);
    dispatch_dtype(k.output_dtype, [&](auto ozero) {
      using O = decltype(ozero);
      O* out = static_cast<O*>(k.output);
      for (std::int64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(idx[i]);
        // Negative, too large or NaN: an all-zero row, as TensorFlow's one_hot gives.
        if (!(v >= 0) || v >= static_cast<double>(classes)) continue;
        out[i * classes + static_cast<std::int64_t>(v)] = O(1);
      }
    });
  });
}

const OpDef& one_hot_op() {
  static const OpDef def{"one_hot", 1, infer_one_hot, one_hot_kernel, nullptr, false};
  return def;
}

}  // namespace

Tensor take(const Tensor& x, const Tensor& indices, int axis) {
  Attrs a;
  a.i = axis;
  return apply_op(take_op(), {x, indices}, a);
}

Tensor take_grad(const Tensor& g, const Tensor& indices, const Tensor& ref, int axis) {
  Attrs a;
  a.i = axis;
  return apply_op(take_grad_op(), {g, indices, ref}, a);
}

Tensor one_hot(const Tensor& indices, int num_classes, DType dtype) {
  Attrs a;
  a.i = num_classes;
  a.dtype = dtype;
  return apply_op(one_hot_op(), {indices}, a);
}

namespace detail {
void register_indexing_ops(OpList& ops) {
  for (const OpDef* op : {&take_op(), &take_grad_op(), &one_hot_op()}) ops.push_back(op);
}
}  // namespace detail
}  // namespace keras::ops
