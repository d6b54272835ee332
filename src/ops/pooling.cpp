// Max and average pooling (channels last, 1 to 3 spatial dims) and the ops behind their
// gradients. Attrs as the convolutions' (conv_params.h) with size = the pool window.
//
//   y = max_pool(x)                 dx = max_pool_grad(x, dy)
//   dx = max_pool_grad(x, dy)       d(dy) = max_pool_gather(x, G)      (no gradient in x: the
//   h' = max_pool_gather(x, h)      dh = max_pool_grad(x, G)            argmax is locally constant)
//   y = average_pool(x)             dx = average_pool_grad(dy, x)      (x only lends its shape)
//   dx = average_pool_grad(dy, x)   d(dy) = average_pool(G)
//
// max_pool_grad and max_pool_gather with attrs.flag set fold in the gradient of a relu whose
// output x is: only windows whose maximum is > 0 pass gradient. The flag travels with the attrs
// through their gradients (each is the other's adjoint either way). relu_gradient() below
// builds them from the conv layers' fused op's gradient.
#include "../backend/cpu/conv_pooling.h"
#include "conv_params.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;
using detail::ConvParams;
using Ints = std::vector<std::int64_t>;

const OpDef& max_pool_op();
const OpDef& max_pool_grad_op();
const OpDef& max_pool_gather_op();
const OpDef& average_pool_op();
const OpDef& average_pool_grad_op();

void check_pool_input(const TensorSpec& x, const ConvParams& p, const char* op) {
  detail::require_floating(x, op);
  if (x.shape.rank() != p.d + 2)
    throw ValueError(std::string("Op '") + op + "' with a " + std::to_string(p.d) +
                     "-D window expects inputs of rank " + std::to_string(p.d + 2) +
                     " (batch, *spatial, channels). Received: inputs shape " + x.shape.to_string());
}

Shape pooled_shape(const Shape& x, const ConvParams& p, const char* op) {
  Shape out{x.dims()[0]};
  for (int i = 0; i < p.d; ++i) {
    const std::int64_t o = detail::window_output_length(p, i, x.dims()[static_cast<std::size_t>(1 + i)], p.size[i]);
    if (o == 0)
      throw ValueError(std::string("Op '") + op +
                       "': computed output size would be zero or negative (the pool window is larger than the "
                       "input). Received: inputs shape " + x.to_string() + ", pool_size=" +
                       detail::tuple_string(p.size, p.d) + ", strides=" + detail::tuple_string(p.stride, p.d));
    out.push_back(o);
  }
  out.push_back(x.dims().back());
  return out;
}

cpu::ConvGeometry pool_geometry(const Attrs& attrs, const Shape& x, const Shape& y) {
  const ConvParams p = detail::unpack(attrs);
  return detail::make_geometry(p, x, p.size, y, 1);
}

TensorSpec infer_pool(const std::vector<TensorSpec>& in, Attrs& attrs, const char* op) {
  const ConvParams p = detail::unpack(attrs);
  check_pool_input(in[0], p, op);
  return {pooled_shape(in[0].shape, p, op), in[0].dtype};
}

// (x, g) -> shaped like x, where g must be shaped like the pooled x.
TensorSpec infer_pool_grad(const std::vector<TensorSpec>& in, Attrs& attrs, const char* op, int x_index) {
  const ConvParams p = detail::unpack(attrs);
  const TensorSpec& x = in[static_cast<std::size_t>(x_index)];
  const TensorSpec& g = in[static_cast<std::size_t>(1 - x_index)];
  check_pool_input(x, p, op);
  if (g.dtype != x.dtype)
    throw TypeError(std::string("Op '") + op + "' expects the gradient to have the inputs' dtype. Received: " +
                    dtype_name(g.dtype) + " and " + dtype_name(x.dtype));
  const Shape pooled = pooled_shape(x.shape, p, op);
  bool match = g.shape.rank() == pooled.rank();
  for (int i = 0; match && i < pooled.rank(); ++i) {
    const std::int64_t a = g.shape.dims()[static_cast<std::size_t>(i)], b = pooled.dims()[static_cast<std::size_t>(i)];
    match = a < 0 || b < 0 || a == b;
  }
  if (!match)
    throw ValueError(std::string("Op '") + op + "' expects a gradient shaped like the pooled inputs " +
                     pooled.to_string() + ". Received: " + g.shape.to_string() + " for inputs shape " +
                     x.shape.to_string());
  return {x.shape, x.dtype};
}

// ---- max ----------------------------------------------------------------------------------------

void max_pool_kernel(const KernelArgs& k) {
  const cpu::ConvGeometry g = pool_geometry(*k.attrs, k.input_shapes[0], *k.output_shape);
  dispatch_floating(k.output_dtype, "max_pool", [&](auto zero) {
    using T = decltype(zero);
    cpu::max_pool_forward(g, static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_max_pool(const GradContext& c) {
  return {apply_op(max_pool_grad_op(), {c.inputs[0], c.grad}, c.attrs)};
}

const OpDef& max_pool_op() {
  static const OpDef def{"max_pool", 1,
                         [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_pool(in, a, "max_pool"); },
                         max_pool_kernel, grad_max_pool, false};
  return def;
}

void max_pool_grad_kernel(const KernelArgs& k) {
  const cpu::ConvGeometry g = pool_geometry(*k.attrs, k.input_shapes[0], k.input_shapes[1]);
  dispatch_floating(k.output_dtype, "max_pool_grad", [&](auto zero) {
    using T = decltype(zero);
    cpu::max_pool_backward(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]),
                           static_cast<T*>(k.output), k.attrs->flag);
  });
}

std::vector<Tensor> grad_max_pool_grad(const GradContext& c) {
  return {Tensor(), apply_op(max_pool_gather_op(), {c.inputs[0], c.grad}, c.attrs)};
}

const OpDef& max_pool_grad_op() {
  static const OpDef def{
      "max_pool_grad", 2,
      [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_pool_grad(in, a, "max_pool_grad", 0); },
      max_pool_grad_kernel, grad_max_pool_grad, false};
  return def;
}

// (x, h) -> h at each window's argmax of x, shaped like the pooled x.
TensorSpec infer_max_pool_gather(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const ConvParams p = detail::unpack(attrs);
  check_pool_input(in[0], p, "max_pool_gather");
  if (in[1].shape != in[0].shape || in[1].dtype != in[0].dtype)
    throw ValueError("Op 'max_pool_gather' expects two tensors of the same shape and dtype. Received: " +
                     in[0].shape.to_string() + " and " + in[1].shape.to_string());
  return {pooled_shape(in[0].shape, p, "max_pool_gather"), in[0].dtype};
}

void max_pool_gather_kernel(const KernelArgs& k) {
  const cpu::ConvGeometry g = pool_geometry(*k.attrs, k.input_shapes[0], *k.output_shape);
  dispatch_floating(k.output_dtype, "max_pool_gather", [&](auto zero) {
    using T = decltype(zero);
    cpu::max_pool_gather(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]),
                         static_cast<T*>(k.output), k.attrs->flag);
  });
}

std::vector<Tensor> grad_max_pool_gather(const GradContext& c) {
  return {Tensor(), apply_op(max_pool_grad_op(), {c.inputs[0], c.grad}, c.attrs)};
}

const OpDef& max_pool_gather_op() {
  static const OpDef def{"max_pool_gather", 2, infer_max_pool_gather, max_pool_gather_kernel, grad_max_pool_gather,
                         false};
  return def;
}

// ---- average ------------------------------------------------------------------------------------

void average_pool_kernel(const KernelArgs& k) {
  const cpu::ConvGeometry g = pool_geometry(*k.attrs, k.input_shapes[0], *k.output_shape);
  dispatch_floating(k.output_dtype, "average_pool", [&](auto zero) {
    using T = decltype(zero);
    cpu::avg_pool_forward(g, static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_average_pool(const GradContext& c) {
  return {apply_op(average_pool_grad_op(), {c.grad, c.inputs[0]}, c.attrs)};
}

const OpDef& average_pool_op() {
  static const OpDef def{"average_pool", 1,
                         [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_pool(in, a, "average_pool"); },
                         average_pool_kernel, grad_average_pool, false};
  return def;
}

void average_pool_grad_kernel(const KernelArgs& k) {
  const cpu::ConvGeometry g = pool_geometry(*k.attrs, k.input_shapes[1], k.input_shapes[0]);
  dispatch_floating(k.output_dtype, "average_pool_grad", [&](auto zero) {
    using T = decltype(zero);
    cpu::avg_pool_backward(g, static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_average_pool_grad(const GradContext& c) {
  return {apply_op(average_pool_op(), {c.grad}, c.attrs), Tensor()};
}

const OpDef& average_pool_grad_op() {
  static const OpDef def{
      "average_pool_grad", 2,
      [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_pool_grad(in, a, "average_pool_grad", 1); },
      average_pool_grad_kernel, grad_average_pool_grad, false};
  return def;
}

// ---- public entry points -------------------------------------------------------------------------

Attrs pool_attrs(int rank, const Ints& pool_size, const Ints& strides, const std::string& padding, const char* op) {
  const int d = rank - 2;
  if (d < 1 || d > 3)
    throw ValueError(std::string("Op '") + op +
                     "' expects inputs of rank 3, 4 or 5 ((batch, *spatial, channels) with 1 to 3 spatial "
                     "dimensions). Received: inputs of rank " + std::to_string(rank));
  ConvParams p;
  p.d = d;
  p.mode = detail::parse_padding(padding, false, op);
  detail::expand_tuple(pool_size, d, "pool_size", op, p.size);
  detail::expand_tuple(strides.empty() ? pool_size : strides, d, "strides", op, p.stride);
  Attrs attrs;
  detail::pack(p, attrs);
  return attrs;
}

Tensor to_channels_last(const Tensor& x) {
  std::vector<int> perm{0};
  for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
  perm.push_back(1);
  return transpose(x, perm);
}

Tensor to_channels_first(const Tensor& x) {
  std::vector<int> perm{0, x.rank() - 1};
  for (int i = 1; i + 1 < x.rank(); ++i) perm.push_back(i);
  return transpose(x, perm);
}

Tensor pool(const OpDef& op, const Tensor& inputs, const Ints& pool_size, const Ints& strides,
            const std::string& padding, const std::string& data_format) {
  const bool channels_first = detail::parse_channels_first(data_format);
  Attrs attrs = pool_attrs(inputs.rank(), pool_size, strides, padding, op.name.c_str());
  if (!channels_first) return apply_op(op, {inputs}, attrs);
  return to_channels_first(apply_op(op, {to_channels_last(inputs)}, attrs));
}

}  // namespace

Tensor max_pool(const Tensor& inputs, const Ints& pool_size, const Ints& strides, const std::string& padding,
                const std::string& data_format) {
  return pool(max_pool_op(), inputs, pool_size, strides, padding, data_format);
}

Tensor average_pool(const Tensor& inputs, const Ints& pool_size, const Ints& strides, const std::string& padding,
                    const std::string& data_format) {
  return pool(average_pool_op(), inputs, pool_size, strides, padding, data_format);
}

Tensor max_pool_grad(const Tensor& inputs, const Tensor& output_grad, const Ints& pool_size, const Ints& strides,
                     const std::string& padding) {
  return apply_op(max_pool_grad_op(), {inputs, output_grad},
                  pool_attrs(inputs.rank(), pool_size, strides, padding, "max_pool_grad"));
}

Tensor max_pool_gather(const Tensor& inputs, const Tensor& values, const Ints& pool_size, const Ints& strides,
                       const std::string& padding) {
  return apply_op(max_pool_gather_op(), {inputs, values},
                  pool_attrs(inputs.rank(), pool_size, strides, padding, "max_pool_gather"));
}

Tensor average_pool_grad(const Tensor& output_grad, const Tensor& inputs, const Ints& pool_size, const Ints& strides,
                         const std::string& padding) {
  return apply_op(average_pool_grad_op(), {output_grad, inputs},
                  pool_attrs(inputs.rank(), pool_size, strides, padding, "average_pool_grad"));
}

namespace detail {

Tensor relu_gradient(const Tensor& grad, const Tensor& y) {
  // grad = max_pool_grad(y, dy), still symbolic (a traced backward pass), with y the relu's own
  // output: one masked pooling gradient instead of that pass plus the relu's where(y > 0). The
  // unmasked node then has no consumer left and is not run.
  const std::shared_ptr<Node>& node = grad.node();
  if (grad.is_symbolic() && node->kind == NodeKind::op && node->op == &max_pool_grad_op() && !node->attrs.flag &&
      node->inputs.size() == 2 && node->inputs[0] == y.node()) {
    Attrs attrs = node->attrs;
    attrs.flag = true;
    return apply_op(max_pool_grad_op(), {y, Tensor(node->inputs[1])}, attrs);
  }
  return where(greater(y, Tensor::scalar(0, y.dtype())), grad, Tensor::scalar(0, grad.dtype()));
}

void register_pooling_ops(OpList& ops) {
  for (const OpDef* op : {&max_pool_op(), &max_pool_grad_op(), &max_pool_gather_op(), &average_pool_op(),
                          &average_pool_grad_op()})
    ops.push_back(op);
}
}  // namespace detail

}  // namespace keras::ops
