// Elementwise unary ops: negative, square, sqrt, exp, log, ..., rounding, clip, cast and
// logical_not. Dtype policy (strict, like the binary ops): sign-agnostic arithmetic (negative,
// square, abs, sign, rounding, clip) accepts integers as NumPy does; transcendental ops
// (sqrt, exp, log, sin, reciprocal, ...) need float32/float64 and raise TypeError otherwise;
// bool is only accepted by cast and logical_not.
#include <cmath>
#include <limits>
#include <type_traits>

#include "../backend/cpu/elementwise.h"
#include "../backend/cpu/unary_math.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

using backend::cpu::unary_map;

// ---- dtype checks -----------------------------------------------------------------------

TensorSpec infer_numeric(const std::vector<TensorSpec>& in, const char* name) {
  if (in[0].dtype == DType::bool_)
    throw TypeError(std::string("Op '") + name + "' does not support bool tensors. Received: dtype=bool with shape " +
                    in[0].shape.to_string() + ". Use keras::ops::cast to convert it to a numeric dtype first.");
  return in[0];
}

TensorSpec infer_floating(const std::vector<TensorSpec>& in, const char* name) {
  detail::require_floating(in[0], name);
  return in[0];
}

// ---- kernels ----------------------------------------------------------------------------

// f is a generic lambda applied as T -> T over every element.
template <typename F>
void numeric_kernel(const KernelArgs& k, F f) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>)
      unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), k.output_shape->num_elements(),
                [&](T x) { return static_cast<T>(f(x)); });
  });
}

template <typename F>
void floating_kernel(const KernelArgs& k, F f) {
  dispatch_floating(k.output_dtype, "unary kernel", [&](auto zero) {
    using T = decltype(zero);
    unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), k.output_shape->num_elements(),
              [&](T x) { return static_cast<T>(f(x)); });
  });
}

// Integer negation and squaring wrap around like NumPy's instead of overflowing (undefined
// behaviour for signed types in C++).
template <typename T>
T negate(T x) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(std::make_unsigned_t<T>(0) - std::make_unsigned_t<T>(x));
  else return -x;
}

template <typename T>
T square_of(T x) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(x) * static_cast<U>(x));
  } else {
    return x * x;
  }
}

template <typename T>
T abs_of(T x) {
  if constexpr (std::is_integral_v<T>) return x < 0 ? negate(x) : x;
  else return std::abs(x);
}

// NumPy's sign: -1, 0 or 1, and nan for nan.
template <typename T>
T sign_of(T x) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>((x > 0) - (x < 0));
  else return x > 0 ? T(1) : (x < 0 ? T(-1) : (x == x ? T(0) : x));
}

// ---- gradient rules (written with ops) ----------------------------------------------------

// A constant in `like`'s dtype. (A bare C++ literal is a float32 weak scalar: it would round
// constants such as 2/sqrt(pi) in float64 graphs.)
Tensor constant(double value, const Tensor& like) { return Tensor::scalar(value, like.dtype()); }

std::vector<Tensor> grad_negative(const GradContext& c) { return {negative(c.grad)}; }
std::vector<Tensor> grad_square(const GradContext& c) {
  return {multiply(c.grad, multiply(c.inputs[0], constant(2, c.inputs[0])))};
}
// d sqrt(x) = 1 / (2 sqrt(x)): reuse the output.
std::vector<Tensor> grad_sqrt(const GradContext& c) {
  return {divide(multiply(c.grad, constant(0.5, c.output)), c.output)};
}
// d x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3.
std::vector<Tensor> grad_rsqrt(const GradContext& c) {
  return {multiply(c.grad, multiply(multiply(c.output, multiply(c.output, c.output)), constant(-0.5, c.output)))};
}
std::vector<Tensor> grad_exp(const GradContext& c) { return {multiply(c.grad, c.output)}; }
std::vector<Tensor> grad_log(const GradContext& c) { return {divide(c.grad, c.inputs[0])}; }
std::vector<Tensor> grad_log1p(const GradContext& c) {
  return {divide(c.grad, add(c.inputs[0], constant(1, c.inputs[0])))};
}
std::vector<Tensor> grad_abs(const GradContext& c) { return {multiply(c.grad, sign(c.inputs[0]))}; }
// d (1/x) = -1/x^2 = -y^2.
std::vector<Tensor> grad_reciprocal(const GradContext& c) {
  return {negative(multiply(c.grad, multiply(c.output, c.output)))};
}
std::vector<Tensor> grad_sin(const GradContext& c) { return {multiply(c.grad, cos(c.inputs[0]))}; }
std::vector<Tensor> grad_cos(const GradContext& c) { return {negative(multiply(c.grad, sin(c.inputs[0])))}; }
// d erf(x) = 2/sqrt(pi) exp(-x^2).
std::vector<Tensor> grad_erf(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {multiply(c.grad, multiply(exp(negative(square(x))), constant(1.1283791670955126, x)))};
}

// ---- op definitions ---------------------------------------------------------------------

#define KERAS_UNARY_OP(NAME, DOMAIN, EXPR, GRAD)                                                   \
  const OpDef& NAME##_op() {                                                                       \
    static const OpDef def = [] {                                                                  \
      OpDef d{#NAME, 1, [](const std::vector<TensorSpec>& in, Attrs&) { return infer_##DOMAIN(in, #NAME); }, \
              [](const KernelArgs& k) { DOMAIN##_kernel(k, []<typename T>(T x) { return EXPR; }); }, GRAD, \
              /*elementwise=*/true};                                                               \
      d.f32_block = [](const float* const* in, const std::int64_t*, float* out, std::int64_t n, float) { \
        backend::cpu::unary_block(in[0], out, n, [](float x) { return static_cast<float>(([]<typename T>(T x) { return EXPR; })(x)); }); \
      };                                                                                           \
      return d;                                                                                    \
    }();                                                                                           \
    return def;                                                                                    \
  }

KERAS_UNARY_OP(negative, numeric, negate(x), grad_negative)
KERAS_UNARY_OP(square, numeric, square_of(x), grad_square)
KERAS_UNARY_OP(abs, numeric, abs_of(x), grad_abs)
// Piecewise constant: no gradient flows through sign and the rounding ops (zero almost
// everywhere, as in Keras's backends).
KERAS_UNARY_OP(sign, numeric, sign_of(x), nullptr)
KERAS_UNARY_OP(floor, numeric, std::is_integral_v<T> ? x : static_cast<T>(std::floor(x)), nullptr)
KERAS_UNARY_OP(ceil, numeric, std::is_integral_v<T> ? x : static_cast<T>(std::ceil(x)), nullptr)
// nearbyint in the default rounding mode rounds half to even, like numpy.round.
KERAS_UNARY_OP(round, numeric, std::is_integral_v<T> ? x : static_cast<T>(std::nearbyint(x)), nullptr)
KERAS_UNARY_OP(sqrt, floating, std::sqrt(x), grad_sqrt)
KERAS_UNARY_OP(rsqrt, floating, T(1) / std::sqrt(x), grad_rsqrt)
KERAS_UNARY_OP(exp, floating, backend::cpu::fast_exp(x), grad_exp)
KERAS_UNARY_OP(log, floating, std::log(x), grad_log)
KERAS_UNARY_OP(log1p, floating, std::log1p(x), grad_log1p)
KERAS_UNARY_OP(reciprocal, floating, T(1) / x, grad_reciprocal)
KERAS_UNARY_OP(sin, floating, std::sin(x), grad_sin)
KERAS_UNARY_OP(cos, floating, std::cos(x), grad_cos)
// erf: the exact gelu and its gradient are written with it.
KERAS_UNARY_OP(erf, floating, std::erf(x), grad_erf)

#undef KERAS_UNARY_OP

// ---- clip: attrs.floats = {min_value, max_value} -------------------------------------------

// Bounds in the input's dtype. For integers the bounds shrink to the integers inside
// [min, max] (and saturate to the type's range), so results never leave [min, max].
template <typename T>
T bound_as(double v, bool is_lower) {
  if constexpr (std::is_integral_v<T>) {
    const double r = is_lower ? std::ceil(v) : std::floor(v);
    if (!(r > static_cast<double>(std::numeric_limits<T>::lowest()))) return std::numeric_limits<T>::lowest();
    if (!(r < static_cast<double>(std::numeric_limits<T>::max()))) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  } else {
    return static_cast<T>(v);
  }
}

TensorSpec infer_clip(const std::vector<TensorSpec>& in, Attrs& attrs) {
  if (attrs.floats.size() != 2)
    throw ValueError("Op 'clip' expects attrs.floats = {min_value, max_value}. Received: " +
                     std::to_string(attrs.floats.size()) + " values");
  if (std::isnan(attrs.floats[0]) || std::isnan(attrs.floats[1]))
    throw ValueError("clip expects numeric bounds. Received: x_min=" + std::to_string(attrs.floats[0]) +
                     ", x_max=" + std::to_string(attrs.floats[1]));
  return infer_numeric(in, "clip");
}

// min(max(x, lo), hi) as NumPy: nan stays nan, and lo > hi gives hi everywhere.
void clip_kernel(const KernelArgs& k) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) {
      const T lo = bound_as<T>(k.attrs->floats[0], true);
      const T hi = bound_as<T>(k.attrs->floats[1], false);
      unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), k.output_shape->num_elements(),
                [lo, hi](T x) {
                  const T v = x < lo ? lo : x;
                  return v > hi ? hi : v;
                });
    }
  });
}

// The gradient passes where min <= x <= max (bounds included), as in Keras.
std::vector<Tensor> grad_clip(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor lo = Tensor::scalar(c.attrs.floats[0], x.dtype());
  const Tensor hi = Tensor::scalar(c.attrs.floats[1], x.dtype());
  const Tensor inside = logical_and(greater_equal(x, lo), less_equal(x, hi));
  return {where(inside, c.grad, zeros_like(c.grad))};
}

const OpDef& clip_op() {
  static const OpDef def{"clip", 1, infer_clip, clip_kernel, grad_clip, true};
  return def;
}

// ---- cast: attrs.dtype is the target ---------------------------------------------------------

template <typename To, typename From>
To convert(From x) {
  if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);  // nan is truthy, as in NumPy
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    // Out-of-range and nan have no defined C++ conversion; x86 and NumPy give the lowest value.
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::lowest());
    constexpr double hi = -lo;  // 2^(bits-1): the first value past the top
    const double d = static_cast<double>(x);
    return (d >= lo && d < hi) ? static_cast<To>(x) : std::numeric_limits<To>::lowest();
  } else {
    return static_cast<To>(x);
  }
}

void cast_kernel(const KernelArgs& k) {
  const std::int64_t n = k.output_shape->num_elements();
  dispatch_dtype(k.input_dtypes[0], [&](auto in_zero) {
    using From = decltype(in_zero);
    dispatch_dtype(k.output_dtype, [&](auto out_zero) {
      using To = decltype(out_zero);
      unary_map(static_cast<const From*>(k.inputs[0]), static_cast<To*>(k.output), n,
                [](From x) { return convert<To>(x); });
    });
  });
}

TensorSpec infer_cast(const std::vector<TensorSpec>& in, Attrs& attrs) { return {in[0].shape, attrs.dtype}; }

// float -> float: the gradient converts back; through integers or bool nothing flows.
std::vector<Tensor> grad_cast(const GradContext& c) {
  const DType from = c.inputs[0].dtype();
  if (!is_floating(from) || !is_floating(c.attrs.dtype)) return {Tensor()};
  return {cast(c.grad, from)};
}

const OpDef& cast_op() {
  static const OpDef def{"cast", 1, infer_cast, cast_kernel, grad_cast, true};
  return def;
}

// ---- logical_not ---------------------------------------------------------------------------

TensorSpec infer_logical_not(const std::vector<TensorSpec>& in, Attrs&) {
  if (in[0].dtype != DType::bool_)
    throw TypeError("Op 'logical_not' expects a bool tensor. Received: dtype=" + dtype_name(in[0].dtype) +
                    " with shape " + in[0].shape.to_string());
  return in[0];
}

const OpDef& logical_not_op() {
  static const OpDef def{"logical_not", 1, infer_logical_not,
                         [](const KernelArgs& k) {
                           unary_map(static_cast<const bool*>(k.inputs[0]), static_cast<bool*>(k.output),
                                     k.output_shape->num_elements(), [](bool x) { return !x; });
                         },
                         nullptr, true};
  return def;
}

Tensor unary(const OpDef& op, const Tensor& x) { return apply_op(op, {x}); }

}  // namespace

Tensor negative(const Tensor& x) { return unary(negative_op(), x); }
Tensor square(const Tensor& x) { return unary(square_op(), x); }
Tensor sqrt(const Tensor& x) { return unary(sqrt_op(), x); }
Tensor rsqrt(const Tensor& x) { return unary(rsqrt_op(), x); }
Tensor exp(const Tensor& x) { return unary(exp_op(), x); }
Tensor log(const Tensor& x) { return unary(log_op(), x); }
Tensor log1p(const Tensor& x) { return unary(log1p_op(), x); }
Tensor abs(const Tensor& x) { return unary(abs_op(), x); }
Tensor sign(const Tensor& x) { return unary(sign_op(), x); }
Tensor reciprocal(const Tensor& x) { return unary(reciprocal_op(), x); }
Tensor sin(const Tensor& x) { return unary(sin_op(), x); }
Tensor cos(const Tensor& x) { return unary(cos_op(), x); }
Tensor erf(const Tensor& x) { return unary(erf_op(), x); }
Tensor floor(const Tensor& x) { return unary(floor_op(), x); }
Tensor ceil(const Tensor& x) { return unary(ceil_op(), x); }
Tensor round(const Tensor& x) { return unary(round_op(), x); }
Tensor logical_not(const Tensor& x) { return unary(logical_not_op(), x); }

Tensor clip(const Tensor& x, double min_value, double max_value) {
  Attrs attrs;
  attrs.floats = {min_value, max_value};
  return apply_op(clip_op(), {x}, attrs);
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.defined() && x.dtype() == dtype) return x;  // as Keras: casting to the same dtype is a no-op
  Attrs attrs;
  attrs.dtype = dtype;
  return apply_op(cast_op(), {x}, attrs);
}

namespace detail {
void register_elementwise_unary_ops(OpList& ops) {
  for (const OpDef* op :
       {&negative_op(), &square_op(), &sqrt_op(), &rsqrt_op(), &exp_op(), &log_op(), &log1p_op(), &abs_op(),
        &sign_op(), &reciprocal_op(), &sin_op(), &cos_op(), &erf_op(), &floor_op(), &ceil_op(), &round_op(),
        &clip_op(), &cast_op(), &logical_not_op()})
    ops.push_back(op);
}
}  // namespace detail
}  // namespace keras::ops
