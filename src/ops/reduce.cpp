// Reductions: sum, mean, max, min, prod, var, std, logsumexp, argmax, argmin, plus the
// internal ops their gradients need (broadcast_like, prod_grad, reduced_count).
//
// Reduction attrs: ints = axes (normalized, sorted, unique; empty on input = all axes),
// flag = keepdims. Kernels live in src/backend/cpu/reduce.h.
#include <algorithm>

#include "../backend/cpu/elementwise.h"
#include "../backend/cpu/reduce.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {

namespace detail {
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, const Shape& shape,
                                         const std::string& op) {
  std::vector<std::int64_t> out;
  if (axes.empty()) {
    for (int i = 0; i < shape.rank(); ++i) out.push_back(i);
    return out;
  }
  for (auto a : axes) {
    if (a < -shape.rank() || a >= shape.rank())
      throw ValueError("Op '" + op + "': invalid axis. Expected an axis in [" + std::to_string(-shape.rank()) + ", " +
                       std::to_string(shape.rank()) + "). Received: axis=" + std::to_string(a) +
                       " for input shape " + shape.to_string());
    out.push_back(a < 0 ? a + shape.rank() : a);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw ValueError("Op '" + op + "': repeated axis. Received: axes for input shape " + shape.to_string());
  return out;
}
}  // namespace detail

namespace {

namespace cpu = backend::cpu;

// ---- inference ------------------------------------------------------------------------------

enum class ResultType { same, integer_sum, floating };

// Keras's result dtypes: sum/prod of bool count in int32; mean/var/std of integers are float32.
DType reduce_dtype(DType in, ResultType rule) {
  if (rule == ResultType::integer_sum && in == DType::bool_) return DType::int32;
  if (rule == ResultType::floating && !is_floating(in)) return DType::float32;
  return in;
}

Shape reduced_shape(const Shape& s, const std::vector<std::int64_t>& axes, bool keepdims) {
  std::vector<std::int64_t> dims;
  for (int i = 0; i < s.rank(); ++i) {
    if (!cpu::axis_reduced(axes, i)) dims.push_back(s.dims()[i]);
    else if (keepdims) dims.push_back(1);
  }
  return Shape(std::move(dims));
}

TensorSpec infer_reduce(const std::vector<TensorSpec>& in, Attrs& attrs, const char* name, ResultType rule) {
  attrs.ints = detail::normalize_axes(attrs.ints, in[0].shape, name);
  return {reduced_shape(in[0].shape, attrs.ints, attrs.flag), reduce_dtype(in[0].dtype, rule)};
}

// max/min/argmax/argmin have no identity: an empty slice has no answer.
void require_nonempty(const Shape& s, const std::vector<std::int64_t>& axes, const char* name) {
  for (auto a : axes)
    if (s.dims()[a] == 0)
      throw ValueError(std::string("Op '") + name + "': zero-size reduction, which has no identity. Expected every "
                       "reduced axis to be non-empty. Received: input shape " + s.to_string());
}

TensorSpec infer_extreme(const std::vector<TensorSpec>& in, Attrs& attrs, const char* name) {
  TensorSpec out = infer_reduce(in, attrs, name, ResultType::same);
  require_nonempty(in[0].shape, attrs.ints, name);
  return out;
}

TensorSpec infer_logsumexp(const std::vector<TensorSpec>& in, Attrs& attrs) {
  detail::require_floating(in[0], "logsumexp");
  return infer_reduce(in, attrs, "logsumexp", ResultType::same);
}

// attrs.i = axis (normalized), attrs.flag = keepdims; int32 indices.
TensorSpec infer_arg(const std::vector<TensorSpec>& in, Attrs& attrs, const char* name) {
  const Shape& s = in[0].shape;
  if (s.rank() == 0)
    throw ValueError(std::string("Op '") + name + "' expects a tensor of rank >= 1. Received: input shape ()");
  if (in[0].dtype == DType::bool_)
    throw TypeError(std::string("Op '") + name + "' expects a numeric tensor. Received: dtype=bool with shape " +
                    s.to_string());
  attrs.i = detail::normalize_axes({attrs.i}, s, name).at(0);
  attrs.ints = {attrs.i};
  require_nonempty(s, attrs.ints, name);
  return {reduced_shape(s, attrs.ints, attrs.flag), DType::int32};
}

// ---- kernels ---------------------------------------------------------------------------------

// Calls f(T{}, R{}) with T the input type and R the output type (T, int32 or float32).
template <typename F>
void with_in_out(const KernelArgs& k, F f) {
  dispatch_dtype(k.input_dtypes[0], [&](auto in) {
    using T = decltype(in);
    if (k.output_dtype == k.input_dtypes[0]) f(T{}, T{});
    else if (k.output_dtype == DType::int32) f(T{}, std::int32_t{});
    else f(T{}, float{});
  });
}

template <template <typename, typename> class Red>
void plain_reduce_kernel(const KernelArgs& k) {
  with_in_out(k, [&](auto in, auto out) {
    using T = decltype(in);
    using R = decltype(out);
    cpu::reduce(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints, static_cast<R*>(k.output),
                Red<T, R>{});
  });
}

template <bool IsMax>
void extreme_kernel(const KernelArgs& k) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    cpu::reduce(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints, static_cast<T*>(k.output),
                cpu::ExtremeReducer<T, IsMax>{});
  });
}

template <bool TakeSqrt>
void variance_kernel(const KernelArgs& k) {
  with_in_out(k, [&](auto in, auto out) {
    using T = decltype(in);
    using R = decltype(out);
    cpu::variance(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints, static_cast<R*>(k.output),
                  TakeSqrt);
  });
}

void logsumexp_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "logsumexp", [&](auto zero) {
    using T = decltype(zero);
    cpu::logsumexp(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints, static_cast<T*>(k.output));
  });
}

template <bool IsMax>
void arg_kernel(const KernelArgs& k) {
  const Shape& s = k.input_shapes[0];
  const int axis = static_cast<int>(k.attrs->i);
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s.dims()[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s.dims()[d];
  dispatch_dtype(k.input_dtypes[0], [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>)
      cpu::arg_extreme(static_cast<const T*>(k.inputs[0]), outer, s.dims()[axis], inner,
                       static_cast<std::int32_t*>(k.output), IsMax);
  });
}

// ---- gradient helpers (written with ops, so they trace and differentiate again) -------------

Tensor scalar_like(double v, const Tensor& like) { return Tensor::scalar(v, like.dtype()); }

// g with the reduced axes put back as size-1 axes (a no-op under keepdims).
Tensor keep_reduced(const Tensor& g, const Attrs& a) {
  if (a.flag) return g;
  Tensor out = g;
  for (auto axis : a.ints) out = expand_dims(out, static_cast<int>(axis));  // ascending: each lands in place
  return out;
}

const OpDef& reduced_count_op();

// Number of elements per reduced slice as a scalar of x's dtype. Known statically in the
// common case; otherwise an op reads it from the runtime shape (the batch axis of a trace).
Tensor reduced_count(const Tensor& x, const Attrs& a) {
  std::int64_t n = 1;
  for (auto axis : a.ints) {
    const std::int64_t d = x.shape().dims()[axis];
    if (d < 0) {
      Attrs count_attrs;
      count_attrs.ints = a.ints;
      return apply_op(reduced_count_op(), {x}, count_attrs);
    }
    n *= d;
  }
  return scalar_like(static_cast<double>(n), x);
}

std::vector<Tensor> grad_sum(const GradContext& c) {
  return {broadcast_like(keep_reduced(c.grad, c.attrs), c.inputs[0])};
}

std::vector<Tensor> grad_mean(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {divide(broadcast_like(keep_reduced(c.grad, c.attrs), x), reduced_count(x, c.attrs))};
}

// Ties share the gradient evenly, as torch's amax/amin (Keras's torch backend) do.
std::vector<Tensor> grad_extreme(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor zero = scalar_like(0.0, x), one = scalar_like(1.0, x);
  const Tensor hit = equal(x, keep_reduced(c.output, c.attrs));
  const Tensor ties = sum(where(hit, one, zero), Axes(c.attrs.ints.begin(), c.attrs.ints.end()), true);
  return {where(hit, divide(keep_reduced(c.grad, c.attrs), ties), zero)};
}

const OpDef& prod_grad_op();

Tensor prod_grad(const Tensor& x, const Tensor& g_keepdims, const std::vector<std::int64_t>& axes) {
  Attrs a;
  a.ints = axes;
  return apply_op(prod_grad_op(), {x, g_keepdims}, a);
}

std::vector<Tensor> grad_prod(const GradContext& c) {
  return {prod_grad(c.inputs[0], keep_reduced(c.grad, c.attrs), c.attrs.ints)};
}

// d var / dx = 2 (x - mean) / n.
std::vector<Tensor> grad_var(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Axes axes(c.attrs.ints.begin(), c.attrs.ints.end());
  const Tensor centred = subtract(x, mean(x, axes, true));
  const Tensor scale = divide(scalar_like(2.0, x), reduced_count(x, c.attrs));
  return {multiply(multiply(keep_reduced(c.grad, c.attrs), centred), scale)};
}

// d std / dx = (x - mean) / (n std).
std::vector<Tensor> grad_std(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Axes axes(c.attrs.ints.begin(), c.attrs.ints.end());
  const Tensor centred = subtract(x, mean(x, axes, true));
  const Tensor per = divide(keep_reduced(c.grad, c.attrs),
                            multiply(keep_reduced(c.output, c.attrs), reduced_count(x, c.attrs)));
  return {multiply(per, centred)};
}

// d logsumexp / dx = softmax(x) = exp(x - logsumexp).
std::vector<Tensor> grad_logsumexp(const GradContext& c) {
  return {multiply(keep_reduced(c.grad, c.attrs), exp(subtract(c.inputs[0], keep_reduced(c.output, c.attrs))))};
}

// ---- op definitions --------------------------------------------------------------------------

#define KERAS_REDUCE_OP(NAME, INFER, KERNEL, GRAD)                                                    \
  const OpDef& NAME##_op() {                                                                          \
    static const OpDef def{#NAME, 1, [](const std::vector<TensorSpec>& in, Attrs& a) { return INFER; }, \
                           KERNEL, GRAD, false};                                                      \
    return def;                                                                                       \
  }

KERAS_REDUCE_OP(sum, infer_reduce(in, a, "sum", ResultType::integer_sum), plain_reduce_kernel<cpu::SumReducer>, grad_sum)
KERAS_REDUCE_OP(mean, infer_reduce(in, a, "mean", ResultType::floating), plain_reduce_kernel<cpu::MeanReducer>, grad_mean)
KERAS_REDUCE_OP(prod, infer_reduce(in, a, "prod", ResultType::integer_sum), plain_reduce_kernel<cpu::ProdReducer>, grad_prod)
KERAS_REDUCE_OP(max, infer_extreme(in, a, "max"), extreme_kernel<true>, grad_extreme)
KERAS_REDUCE_OP(min, infer_extreme(in, a, "min"), extreme_kernel<false>, grad_extreme)
KERAS_REDUCE_OP(var, infer_reduce(in, a, "var", ResultType::floating), variance_kernel<false>, grad_var)
KERAS_REDUCE_OP(std, infer_reduce(in, a, "std", ResultType::floating), variance_kernel<true>, grad_std)
KERAS_REDUCE_OP(logsumexp, infer_logsumexp(in, a), logsumexp_kernel, grad_logsumexp)
KERAS_REDUCE_OP(argmax, infer_arg(in, a, "argmax"), arg_kernel<true>, nullptr)
KERAS_REDUCE_OP(argmin, infer_arg(in, a, "argmin"), arg_kernel<false>, nullptr)
#undef KERAS_REDUCE_OP

// broadcast_like(x, ref): x broadcast to ref's shape. The engine sums the gradient back to
// x's shape; ref only lends its (possibly unknown until run time) shape.
TensorSpec infer_broadcast_like(const std::vector<TensorSpec>& in, Attrs&) {
  const Shape& xs = in[0].shape;
  const Shape& rs = in[1].shape;
  const Shape out = broadcast_shapes(xs, rs, "'broadcast_like'");
  bool ok = out.rank() == rs.rank();
  for (int i = 0; ok && i < rs.rank(); ++i) ok = rs.dims()[i] < 0 || out.dims()[i] == rs.dims()[i];
  if (!ok)
    throw ValueError("Op 'broadcast_like' expects the first shape to broadcast to the second without changing it. "
                     "Received: " + xs.to_string() + " and " + rs.to_string());
  return {out, in[0].dtype};
}

void broadcast_like_kernel(const KernelArgs& k) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* x = static_cast<const T*>(k.inputs[0]);
    cpu::broadcast_binary(x, k.input_shapes[0], x, k.input_shapes[0], static_cast<T*>(k.output), *k.output_shape,
                          [](T v, T) { return v; });
  });
}

std::vector<Tensor> grad_broadcast_like(const GradContext& c) { return {c.grad, Tensor()}; }

const OpDef& broadcast_like_op() {
  static const OpDef def{"broadcast_like", 2, infer_broadcast_like, broadcast_like_kernel, grad_broadcast_like, false};
  return def;
}

// prod_grad(x, g): g (keepdims layout) times the product of the other elements of each
// reduced slice of x; attrs.ints = axes. Exact with zeros (see cpu::prod_others).
TensorSpec infer_prod_grad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  detail::require_floating(in[0], "prod_grad");
  attrs.ints = detail::normalize_axes(attrs.ints, in[0].shape, "prod_grad");
  const Shape expected = reduced_shape(in[0].shape, attrs.ints, true);
  bool ok = in[1].dtype == in[0].dtype && in[1].shape.rank() == expected.rank();
  for (int i = 0; ok && i < expected.rank(); ++i)
    ok = in[1].shape.dims()[i] < 0 || expected.dims()[i] < 0 || in[1].shape.dims()[i] == expected.dims()[i];
  if (!ok)
    throw ValueError("Op 'prod_grad' expects a gradient of shape " + expected.to_string() + " and dtype " +
                     dtype_name(in[0].dtype) + ". Received: " + in[1].shape.to_string() + " (" +
                     dtype_name(in[1].dtype) + ")");
  return in[0];
}

void prod_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "prod_grad", [&](auto zero) {
    using T = decltype(zero);
    cpu::prod_others(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints,
                     static_cast<const T*>(k.inputs[1]), static_cast<T*>(k.output));
  });
}

// prod_grad_k = g * Σ_{i≠k} G_i Π_{j∉{i,k}} x_j: the second derivative of prod, by the number
// m of zeros in the slice (P = product of the non-zeros, inv = 1/x at non-zeros):
//   m = 0: P/x_k (Σ G/x - G_k/x_k)
//   m = 1: at the zero, P Σ G/x; elsewhere G_zero P/x_k
//   m = 2: at a zero, G_(other zero) P; elsewhere 0
//   m > 2: 0
// With respect to g it is linear: G * prod_grad(x, 1), summed back by the engine.
std::vector<Tensor> grad_prod_grad(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& g = c.inputs[1];
  const Tensor& G = c.grad;
  const Axes axes(c.attrs.ints.begin(), c.attrs.ints.end());
  const Tensor zero = scalar_like(0.0, x), one = scalar_like(1.0, x), two = scalar_like(2.0, x);
  const Tensor is_zero = equal(x, zero);
  const Tensor zeros_in_slice = sum(where(is_zero, one, zero), axes, true);
  const Tensor safe_x = where(is_zero, one, x);
  const Tensor p = prod(safe_x, axes, true);
  const Tensor inv = where(is_zero, zero, divide(one, safe_x));
  const Tensor g_over_x = sum(multiply(G, inv), axes, true);
  const Tensor g_at_zeros = sum(where(is_zero, G, zero), axes, true);
  const Tensor s0 = multiply(multiply(p, inv), subtract(g_over_x, multiply(G, inv)));
  const Tensor s1 = where(is_zero, multiply(p, g_over_x), multiply(multiply(g_at_zeros, p), inv));
  const Tensor s2 = where(is_zero, multiply(subtract(g_at_zeros, G), p), zero);
  const Tensor s = where(equal(zeros_in_slice, zero), s0,
                         where(equal(zeros_in_slice, one), s1, where(equal(zeros_in_slice, two), s2, zero)));
  return {multiply(g, s), multiply(G, prod_grad(x, ones_like(g), c.attrs.ints))};
}

const OpDef& prod_grad_op() {
  static const OpDef def{"prod_grad", 2, infer_prod_grad, prod_grad_kernel, grad_prod_grad, false};
  return def;
}

// reduced_count(x): scalar of x's dtype = number of elements per slice over attrs.ints,
// read from the runtime shape. Constant with respect to x's values.
TensorSpec infer_reduced_count(const std::vector<TensorSpec>& in, Attrs&) { return {Shape{}, in[0].dtype}; }

void reduced_count_kernel(const KernelArgs& k) {
  std::int64_t n = 1;
  for (auto axis : k.attrs->ints) n *= k.input_shapes[0].dims()[axis];
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    *static_cast<T*>(k.output) = static_cast<T>(n);
  });
}

const OpDef& reduced_count_op() {
  static const OpDef def{"reduced_count", 1, infer_reduced_count, reduced_count_kernel, nullptr, false};
  return def;
}

Attrs reduce_attrs(const Axes& axes, bool keepdims) {
  Attrs a;
  a.ints.assign(axes.begin(), axes.end());
  a.flag = keepdims;
  return a;
}

Attrs arg_attrs(int axis, bool keepdims) {
  Attrs a;
  a.i = axis;
  a.flag = keepdims;
  return a;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(sum_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor mean(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(mean_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor max(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(max_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor min(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(min_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor prod(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(prod_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor var(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(var_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor std(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(std_op(), {x}, reduce_attrs(axes, keepdims)); }
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdims) {
  return apply_op(logsumexp_op(), {x}, reduce_attrs(axes, keepdims));
}
Tensor argmax(const Tensor& x, int axis, bool keepdims) { return apply_op(argmax_op(), {x}, arg_attrs(axis, keepdims)); }
Tensor argmin(const Tensor& x, int axis, bool keepdims) { return apply_op(argmin_op(), {x}, arg_attrs(axis, keepdims)); }
Tensor broadcast_like(const Tensor& x, const Tensor& ref) { return apply_op(broadcast_like_op(), {x, ref}); }

namespace detail {
void register_reduction_ops(OpList& ops) {
  for (const OpDef* op : {&sum_op(), &mean_op(), &max_op(), &min_op(), &prod_op(), &var_op(), &std_op(),
                          &logsumexp_op(), &argmax_op(), &argmin_op(), &broadcast_like_op(), &prod_grad_op(),
                          &reduced_count_op()})
    ops.push_back(op);
}
}  // namespace detail
}  // namespace keras::ops
