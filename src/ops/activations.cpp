// Activations with keras.activations / keras.ops semantics. Each is its own op with a fused
// kernel (one pass, vectorisable; exp/tanh from backend/cpu/unary_math.h) and a gradient
// rule written with ops. relu and relu6 also accept integer tensors (max/min need no
// floating point); every other activation raises TypeError on non-float inputs.
#include <cmath>
#include <type_traits>

#include "../backend/cpu/elementwise.h"
#include "../backend/cpu/softmax.h"
#include "../backend/cpu/unary_math.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

using backend::cpu::fast_exp;
using backend::cpu::fast_expm1;
using backend::cpu::fast_sigmoid;
using backend::cpu::fast_tanh;
using backend::cpu::unary_map;

// Keras's SELU constants (keras.activations.selu).
constexpr double kSeluAlpha = 1.67326324;
constexpr double kSeluScale = 1.05070098;
constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kGeluCoeff = 0.044715;
constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)

TensorSpec infer_floating(const std::vector<TensorSpec>& in, const char* name) {
  detail::require_floating(in[0], name);
  return in[0];
}

TensorSpec infer_numeric(const std::vector<TensorSpec>& in, const char* name) {
  if (in[0].dtype == DType::bool_)
    throw TypeError(std::string("Op '") + name + "' does not support bool tensors. Received: dtype=bool with shape " +
                    in[0].shape.to_string());
  return in[0];
}

// f(x, p) -> T over every element, p = attrs.floats[0] (alpha, slope) or 0. The parameter is
// read once, outside the loop: a load per element through Attrs keeps GCC from vectorising.
template <typename T>
T scalar_param(const KernelArgs& k) {
  return k.attrs->floats.empty() ? T(0) : static_cast<T>(k.attrs->floats[0]);
}

template <typename F>
void floating_kernel(const KernelArgs& k, F f) {
  dispatch_floating(k.output_dtype, "activation kernel", [&](auto zero) {
    using T = decltype(zero);
    const T p = scalar_param<T>(k);
    unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), k.output_shape->num_elements(),
              [f, p](T x) { return static_cast<T>(f(x, p)); });
  });
}

template <typename F>
void numeric_kernel(const KernelArgs& k, F f) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>) {
      const T p = scalar_param<T>(k);
      unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), k.output_shape->num_elements(),
                [f, p](T x) { return static_cast<T>(f(x, p)); });
    }
  });
}

// max(x, 0) that keeps nan (as NumPy's maximum and torch's relu do).
template <typename T>
T relu_of(T x) {
  return (x > T(0) || x != x) ? x : T(0);
}

template <typename T>
T relu6_of(T x) {
  return x > T(6) ? T(6) : relu_of(x);
}

// Keras's gelu: the tanh approximation (approximate=True) and the exact erf form.
template <typename T>
T gelu_tanh_of(T x) {
  const T inner = T(kSqrt2OverPi) * (x + T(kGeluCoeff) * x * x * x);
  return T(0.5) * x * (T(1) + fast_tanh(inner));
}

template <typename T>
T gelu_erf_of(T x) {
  return x * (std::erf(x * T(kInvSqrt2)) + T(1)) * T(0.5);
}

// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow for large x, no loss for
// very negative x.
template <typename T>
T softplus_of(T x) {
  return relu_of(x) + backend::cpu::fast_log1p_unit(fast_exp(-std::abs(x)));
}

// ---- gradient rules ---------------------------------------------------------------------

// A constant in `like`'s dtype. (A bare C++ literal is a float32 weak scalar: it would round
// constants such as SELU's scale in float64 graphs.)
Tensor constant(double value, const Tensor& like) { return Tensor::scalar(value, like.dtype()); }

Tensor zeros_for(const GradContext& c) { return zeros_like(c.grad); }

// relu, relu6, tanh and sigmoid read the forward output: no recomputation.
// The zero is a scalar, not zeros_like(grad): one tensor fewer to fill, and the select fuses
// with the comparison into one pass.
std::vector<Tensor> grad_relu(const GradContext& c) {
  return {where(greater(c.output, constant(0, c.output)), c.grad, constant(0, c.grad))};
}
std::vector<Tensor> grad_relu6(const GradContext& c) {
  const Tensor inside = logical_and(greater(c.output, constant(0, c.output)), less(c.output, constant(6, c.output)));
  return {where(inside, c.grad, constant(0, c.grad))};
}
std::vector<Tensor> grad_tanh(const GradContext& c) {
  return {multiply(c.grad, subtract(constant(1, c.output), square(c.output)))};
}
std::vector<Tensor> grad_sigmoid(const GradContext& c) {
  return {multiply(c.grad, multiply(c.output, subtract(constant(1, c.output), c.output)))};
}
// y = softmax(x): dx = y * (g - sum(g * y, axis)).
std::vector<Tensor> grad_softmax(const GradContext& c) {
  const int axis = static_cast<int>(c.attrs.i);
  const Tensor& y = c.output;
  return {multiply(y, subtract(c.grad, sum(multiply(c.grad, y), axis, /*keepdims=*/true)))};
}
// y = log_softmax(x): dx = g - exp(y) * sum(g, axis).
std::vector<Tensor> grad_log_softmax(const GradContext& c) {
  const int axis = static_cast<int>(c.attrs.i);
  return {subtract(c.grad, multiply(exp(c.output), sum(c.grad, axis, /*keepdims=*/true)))};
}
// For x <= 0, d/dx alpha (e^x - 1) = alpha e^x = y + alpha.
std::vector<Tensor> grad_elu(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {where(greater(x, constant(0, x)), c.grad, multiply(c.grad, add(c.output, constant(c.attrs.floats[0], x))))};
}
std::vector<Tensor> grad_selu(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {where(greater(x, constant(0, x)), multiply(c.grad, constant(kSeluScale, x)),
                multiply(c.grad, add(c.output, constant(kSeluScale * kSeluAlpha, x))))};
}
std::vector<Tensor> grad_gelu(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor one = constant(1, x), half = constant(0.5, x);
  if (c.attrs.flag) {
    // y = x/2 (1 + t), t = tanh(u), u = s (x + k x^3):
    // dy/dx = (1 + t)/2 + x/2 (1 - t^2) s (1 + 3 k x^2).
    const Tensor x2 = square(x);
    const Tensor s = constant(kSqrt2OverPi, x);
    const Tensor t = tanh(multiply(multiply(x, add(multiply(x2, constant(kGeluCoeff, x)), one)), s));
    const Tensor du = multiply(add(multiply(x2, constant(3 * kGeluCoeff, x)), one), s);
    const Tensor d =
        add(multiply(add(t, one), half), multiply(multiply(multiply(x, half), subtract(one, square(t))), du));
    return {multiply(c.grad, d)};
  }
  // y = x Phi(x): dy/dx = Phi(x) + x phi(x).
  const Tensor cdf = multiply(add(erf(multiply(x, constant(kInvSqrt2, x))), one), half);
  const Tensor pdf = multiply(exp(multiply(square(x), constant(-0.5, x))), constant(kInvSqrt2Pi, x));
  return {multiply(c.grad, add(cdf, multiply(x, pdf)))};
}
// y = x s(x): dy/dx = s (1 + x (1 - s)).
std::vector<Tensor> grad_silu(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor s = sigmoid(x);
  const Tensor one = constant(1, x);
  return {multiply(c.grad, multiply(s, add(multiply(x, subtract(one, s)), one)))};
}
std::vector<Tensor> grad_softplus(const GradContext& c) { return {multiply(c.grad, sigmoid(c.inputs[0]))}; }
std::vector<Tensor> grad_softsign(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {divide(c.grad, square(add(abs(x), constant(1, x))))};
}
std::vector<Tensor> grad_leaky_relu(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  return {where(greater(x, constant(0, x)), c.grad, multiply(c.grad, constant(c.attrs.floats[0], x)))};
}
std::vector<Tensor> grad_hard_sigmoid(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor inside = logical_and(greater(x, constant(-3, x)), less(x, constant(3, x)));
  return {where(inside, multiply(c.grad, constant(1.0 / 6.0, x)), zeros_for(c))};
}

// ---- op definitions ---------------------------------------------------------------------

#define KERAS_ACTIVATION_OP(NAME, DOMAIN, EXPR, GRAD)                                              \
  const OpDef& NAME##_op() {                                                                       \
    static const OpDef def = [] {                                                                  \
      OpDef d{#NAME, 1, [](const std::vector<TensorSpec>& in, Attrs&) { return infer_##DOMAIN(in, #NAME); }, \
              [](const KernelArgs& k) { DOMAIN##_kernel(k, []<typename T>(T x, T p) { return EXPR; }); }, GRAD, \
              /*elementwise=*/true};                                                               \
      d.f32_block = [](const float* const* in, const std::int64_t*, float* out, std::int64_t n, float p) { \
        backend::cpu::unary_block(in[0], out, n, [p](float x) {                                    \
          return static_cast<float>(([]<typename T>(T x, T p) { return EXPR; })(x, p));            \
        });                                                                                        \
      };                                                                                           \
      return d;                                                                                    \
    }();                                                                                           \
    return def;                                                                                    \
  }

KERAS_ACTIVATION_OP(relu, numeric, relu_of(x), grad_relu)
KERAS_ACTIVATION_OP(relu6, numeric, relu6_of(x), grad_relu6)
KERAS_ACTIVATION_OP(tanh, floating, fast_tanh(x), grad_tanh)
KERAS_ACTIVATION_OP(sigmoid, floating, fast_sigmoid(x), grad_sigmoid)
// p = attrs.floats[0] = alpha
KERAS_ACTIVATION_OP(elu, floating, x > T(0) ? x : p * fast_expm1(x), grad_elu)
KERAS_ACTIVATION_OP(selu, floating, T(kSeluScale) * (x > T(0) ? x : T(kSeluAlpha) * fast_expm1(x)), grad_selu)
KERAS_ACTIVATION_OP(silu, floating, x * fast_sigmoid(x), grad_silu)
KERAS_ACTIVATION_OP(softplus, floating, softplus_of(x), grad_softplus)
KERAS_ACTIVATION_OP(softsign, floating, x / (T(1) + std::abs(x)), grad_softsign)
// p = attrs.floats[0] = negative_slope
KERAS_ACTIVATION_OP(leaky_relu, floating, x > T(0) ? x : p * x, grad_leaky_relu)
KERAS_ACTIVATION_OP(hard_sigmoid, floating, relu6_of(x + T(3)) / T(6), grad_hard_sigmoid)

#undef KERAS_ACTIVATION_OP

// attrs.flag = approximate (the tanh form). Chosen once per call, so each loop vectorises.
void gelu_kernel(const KernelArgs& k) {
  if (k.attrs->flag) floating_kernel(k, []<typename T>(T x, T) { return gelu_tanh_of(x); });
  else floating_kernel(k, []<typename T>(T x, T) { return gelu_erf_of(x); });
}

const OpDef& gelu_op() {
  static const OpDef def{"gelu", 1,
                         [](const std::vector<TensorSpec>& in, Attrs&) { return infer_floating(in, "gelu"); },
                         gelu_kernel, grad_gelu, /*elementwise=*/true};
  return def;
}

// ---- softmax / log_softmax: attrs.i = axis (normalised by infer) ------------------------------

TensorSpec infer_softmax(const std::vector<TensorSpec>& in, Attrs& attrs, const char* name) {
  detail::require_floating(in[0], name);
  if (in[0].shape.rank() == 0)
    throw ValueError(std::string(name) + " expects a tensor of rank >= 1. Received: input with shape ()");
  attrs.i = in[0].shape.normalize_axis(static_cast<int>(attrs.i));
  return in[0];
}

template <bool Log>
void softmax_kernel(const KernelArgs& k) {
  const Shape& s = *k.output_shape;
  const int axis = static_cast<int>(k.attrs->i);
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s.dims()[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s.dims()[d];
  dispatch_floating(k.output_dtype, "softmax kernel", [&](auto zero) {
    using T = decltype(zero);
    backend::cpu::softmax<T, Log>(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), outer,
                                  s.dims()[axis], inner);
  });
}

const OpDef& softmax_op() {
  static const OpDef def{"softmax", 1,
                         [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_softmax(in, a, "softmax"); },
                         softmax_kernel<false>, grad_softmax, false};
  return def;
}

const OpDef& log_softmax_op() {
  static const OpDef def{"log_softmax", 1,
                         [](const std::vector<TensorSpec>& in, Attrs& a) {
                           return infer_softmax(in, a, "log_softmax");
                         },
                         softmax_kernel<true>, grad_log_softmax, false};
  return def;
}

Tensor with_float(const OpDef& op, const Tensor& x, double value) {
  Attrs attrs;
  attrs.floats = {value};
  return apply_op(op, {x}, attrs);
}

Tensor with_axis(const OpDef& op, const Tensor& x, int axis) {
  Attrs attrs;
  attrs.i = axis;
  return apply_op(op, {x}, attrs);
}

}  // namespace

Tensor relu(const Tensor& x) { return apply_op(relu_op(), {x}); }
Tensor relu6(const Tensor& x) { return apply_op(relu6_op(), {x}); }
Tensor tanh(const Tensor& x) { return apply_op(tanh_op(), {x}); }
Tensor sigmoid(const Tensor& x) { return apply_op(sigmoid_op(), {x}); }
Tensor softmax(const Tensor& x, int axis) { return with_axis(softmax_op(), x, axis); }
Tensor log_softmax(const Tensor& x, int axis) { return with_axis(log_softmax_op(), x, axis); }
Tensor elu(const Tensor& x, double alpha) { return with_float(elu_op(), x, alpha); }
Tensor selu(const Tensor& x) { return apply_op(selu_op(), {x}); }
Tensor gelu(const Tensor& x, bool approximate) {
  Attrs attrs;
  attrs.flag = approximate;
  return apply_op(gelu_op(), {x}, attrs);
}
Tensor silu(const Tensor& x) { return apply_op(silu_op(), {x}); }
Tensor softplus(const Tensor& x) { return apply_op(softplus_op(), {x}); }
Tensor softsign(const Tensor& x) { return apply_op(softsign_op(), {x}); }
Tensor leaky_relu(const Tensor& x, double negative_slope) { return with_float(leaky_relu_op(), x, negative_slope); }
Tensor hard_sigmoid(const Tensor& x) { return apply_op(hard_sigmoid_op(), {x}); }
// keras.activations.exponential is ops.exp and keras.activations.linear the identity: no op
// of their own, so plans and gradients treat them exactly like exp / x.
Tensor exponential(const Tensor& x) { return exp(x); }
Tensor linear(const Tensor& x) { return x; }

namespace detail {
void register_activation_ops(OpList& ops) {
  for (const OpDef* op : {&relu_op(), &relu6_op(), &tanh_op(), &sigmoid_op(), &softmax_op(), &log_softmax_op(),
                          &elu_op(), &selu_op(), &gelu_op(), &silu_op(), &softplus_op(), &softsign_op(),
                          &leaky_relu_op(), &hard_sigmoid_op()})
    ops.push_back(op);
}
}  // namespace detail
}  // namespace keras::ops
