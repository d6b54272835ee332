// Broadcasting binary ops: arithmetic, comparisons, logical ops and where.
#include <cmath>

#include "../backend/cpu/elementwise.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

using backend::cpu::broadcast_binary;

template <typename F>
void arithmetic_kernel(const KernelArgs& k, F f) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    broadcast_binary(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], static_cast<const T*>(k.inputs[1]),
                     k.input_shapes[1], static_cast<T*>(k.output), *k.output_shape,
                     [&](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

// The float32 block of a fused step: what arithmetic_kernel runs for a same-shaped or
// single-value operand, without the shape analysis.
template <typename F>
void arithmetic_block(const float* const* in, const std::int64_t* steps, float* out, std::int64_t n, F f) {
  backend::cpu::binary_run(in[0], steps[0], in[1], steps[1], out, n,
                           [&](float x, float y) { return static_cast<float>(f(x, y)); });
}

template <typename F>
void comparison_kernel(const KernelArgs& k, F f) {
  dispatch_dtype(k.input_dtypes[0], [&](auto zero) {
    using T = decltype(zero);
    broadcast_binary(static_cast<const T*>(k.inputs[0]), k.input_shapes[0], static_cast<const T*>(k.inputs[1]),
                     k.input_shapes[1], static_cast<bool*>(k.output), *k.output_shape,
                     [&](T x, T y) { return static_cast<bool>(f(x, y)); });
  });
}

TensorSpec infer_arith(const std::vector<TensorSpec>& in, Attrs&, const char* name) {
  return detail::infer_broadcast_same_dtype(in, name);
}

TensorSpec infer_comparison(const std::vector<TensorSpec>& in, Attrs&, const char* name) {
  auto spec = detail::infer_broadcast_same_dtype(in, name);
  spec.dtype = DType::bool_;
  return spec;
}

TensorSpec infer_logical(const std::vector<TensorSpec>& in, Attrs&, const char* name) {
  for (const auto& s : in)
    if (s.dtype != DType::bool_)
      throw TypeError(std::string("Op '") + name + "' expects bool tensors. Received: dtype=" + dtype_name(s.dtype) +
                      " with shape " + s.shape.to_string());
  return {broadcast_shapes(in[0].shape, in[1].shape, std::string("'") + name + "'"), DType::bool_};
}

// ---- gradient rules (written with ops; the engine undoes broadcasting) --------------------

std::vector<Tensor> grad_add(const GradContext& c) { return {c.grad, c.grad}; }
std::vector<Tensor> grad_subtract(const GradContext& c) { return {c.grad, negative(c.grad)}; }
std::vector<Tensor> grad_multiply(const GradContext& c) {
  return {multiply(c.grad, c.inputs[1]), multiply(c.grad, c.inputs[0])};
}
std::vector<Tensor> grad_divide(const GradContext& c) {
  const Tensor& b = c.inputs[1];
  return {divide(c.grad, b), negative(multiply(c.grad, divide(c.output, b)))};
}
std::vector<Tensor> grad_power(const GradContext& c) {
  const Tensor& a = c.inputs[0];
  const Tensor& b = c.inputs[1];
  // d/da a^b = b a^(b-1); d/db a^b = a^b log a (defined as 0 where a <= 0).
  Tensor da = multiply(c.grad, multiply(b, power(a, subtract(b, Tensor::scalar(1.0, b.dtype())))));
  Tensor zero = Tensor::scalar(0.0, a.dtype());
  Tensor safe_log = where(greater(a, zero), log(where(greater(a, zero), a, ones_like(a))), zeros_like(a));
  Tensor db = multiply(c.grad, multiply(c.output, safe_log));
  return {da, db};
}
// Ties send the gradient to the first operand, as in Keras's backends.
std::vector<Tensor> grad_maximum(const GradContext& c) {
  Tensor pick_a = greater_equal(c.inputs[0], c.inputs[1]);
  Tensor zero = zeros_like(c.grad);
  return {where(pick_a, c.grad, zero), where(pick_a, zero, c.grad)};
}
std::vector<Tensor> grad_minimum(const GradContext& c) {
  Tensor pick_a = less_equal(c.inputs[0], c.inputs[1]);
  Tensor zero = zeros_like(c.grad);
  return {where(pick_a, c.grad, zero), where(pick_a, zero, c.grad)};
}
std::vector<Tensor> grad_where(const GradContext& c) {
  Tensor zero = zeros_like(c.grad);
  return {Tensor(), where(c.inputs[0], c.grad, zero), where(c.inputs[0], zero, c.grad)};
}

#define KERAS_ARITH_OP(NAME, EXPR, GRAD)                                                       \
  const OpDef& NAME##_op() {                                                                   \
    static const OpDef def = [] {                                                              \
      OpDef d{#NAME, 2,                                                                        \
              [](const std::vector<TensorSpec>& in, Attrs& at) { return infer_arith(in, at, #NAME); }, \
              [](const KernelArgs& k) { arithmetic_kernel(k, [](auto x, auto y) { return EXPR; }); }, \
              GRAD, /*elementwise=*/true};                                                     \
      d.f32_block = [](const float* const* in, const std::int64_t* steps, float* out, std::int64_t n, float) { \
        arithmetic_block(in, steps, out, n, [](auto x, auto y) { return EXPR; });              \
      };                                                                                       \
      return d;                                                                                \
    }();                                                                                       \
    return def;                                                                                \
  }

#define KERAS_COMPARE_OP(NAME, EXPR)                                                           \
  const OpDef& NAME##_op() {                                                                   \
    static const OpDef def{#NAME, 2,                                                           \
                           [](const std::vector<TensorSpec>& in, Attrs& at) {                  \
                             return infer_comparison(in, at, #NAME);                           \
                           },                                                                  \
                           [](const KernelArgs& k) { comparison_kernel(k, [](auto x, auto y) { return EXPR; }); }, \
                           nullptr, /*elementwise=*/true};                                     \
    return def;                                                                                \
  }

// Integer division by zero gives 0 (NumPy's result) instead of a hardware trap.
template <typename T>
T div_of(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == 0) return T(0);
    if constexpr (std::is_signed_v<T>)
      if (y == T(-1)) return static_cast<T>(-x);  // avoids INT_MIN / -1 overflow trap
  }
  return static_cast<T>(x / y);
}

template <typename T>
T pow_of(T x, T y) {
  if constexpr (std::is_same_v<T, bool>) return x || !y;
  else return static_cast<T>(std::pow(x, y));
}

KERAS_ARITH_OP(add, x + y, grad_add)
KERAS_ARITH_OP(subtract, x - y, grad_subtract)
KERAS_ARITH_OP(multiply, x * y, grad_multiply)
KERAS_ARITH_OP(divide, div_of(x, y), grad_divide)
KERAS_ARITH_OP(power, pow_of(x, y), grad_power)
KERAS_ARITH_OP(maximum, x >= y ? x : y, grad_maximum)
KERAS_ARITH_OP(minimum, x <= y ? x : y, grad_minimum)
KERAS_COMPARE_OP(equal, x == y)
KERAS_COMPARE_OP(not_equal, x != y)
KERAS_COMPARE_OP(less, x < y)
KERAS_COMPARE_OP(less_equal, x <= y)
KERAS_COMPARE_OP(greater, x > y)
KERAS_COMPARE_OP(greater_equal, x >= y)

const OpDef& logical_and_op() {
  static const OpDef def{"logical_and", 2,
                         [](const std::vector<TensorSpec>& in, Attrs& at) { return infer_logical(in, at, "logical_and"); },
                         [](const KernelArgs& k) { comparison_kernel(k, [](auto x, auto y) { return x && y; }); },
                         nullptr, true};
  return def;
}
const OpDef& logical_or_op() {
  static const OpDef def{"logical_or", 2,
                         [](const std::vector<TensorSpec>& in, Attrs& at) { return infer_logical(in, at, "logical_or"); },
                         [](const KernelArgs& k) { comparison_kernel(k, [](auto x, auto y) { return x || y; }); },
                         nullptr, true};
  return def;
}

// where(cond, a, b): three-way broadcast, computed as the broadcast of a and b selected by
// a condition broadcast to the output.
TensorSpec infer_where(const std::vector<TensorSpec>& in, Attrs&) {
  if (in[0].dtype != DType::bool_)
    throw TypeError("Op 'where' expects a bool condition. Received: dtype=" + dtype_name(in[0].dtype) +
                    " with shape " + in[0].shape.to_string());
  std::vector<TensorSpec> ab{in[1], in[2]};
  TensorSpec out = detail::infer_broadcast_same_dtype(ab, "where");
  out.shape = broadcast_shapes(in[0].shape, out.shape, "'where'");
  return out;
}

// out[i] = cond[i * dc] ? a[i * da] : b[i * db] with each stride 0 or 1. Both sides are
// loaded unconditionally so that the select vectorises (a conditional load does not).
template <typename T, bool kFullCond, bool kFullA, bool kFullB>
void select_loop(const bool* __restrict cond, const T* __restrict a, const T* __restrict b, T* __restrict out,
                 std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T av = a[kFullA ? i : 0];
    const T bv = b[kFullB ? i : 0];
    const unsigned char c = reinterpret_cast<const unsigned char*>(cond)[kFullCond ? i : 0];
    out[i] = c ? av : bv;
  }
}

void where_kernel(const KernelArgs& k) {
  const Shape& os = *k.output_shape;
  const std::int64_t n = os.num_elements();
  if (n == 0) return;
  const backend::cpu::BroadcastStrides sc(k.input_shapes[0], os), sa(k.input_shapes[1], os), sb(k.input_shapes[2], os);
  const bool* cond = static_cast<const bool*>(k.inputs[0]);
  // Each operand is either the output's size (read in order) or a single value (broadcast):
  // the common cases (relu's gradient: where(x > 0, g, 0)) run as one vectorisable loop.
  auto simple = [&](int i) {
    const std::int64_t size = k.input_shapes[i].num_elements();
    return size == 1 || k.input_shapes[i] == os;
  };
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* a = static_cast<const T*>(k.inputs[1]);
    const T* b = static_cast<const T*>(k.inputs[2]);
    T* out = static_cast<T*>(k.output);
    if (simple(0) && simple(1) && simple(2)) {
      const std::int64_t dc = k.input_shapes[0] == os ? 1 : 0;
      const std::int64_t da = k.input_shapes[1] == os ? 1 : 0;
      const std::int64_t db = k.input_shapes[2] == os ? 1 : 0;
      if (dc && da && db) select_loop<T, true, true, true>(cond, a, b, out, n);
      else if (dc && da) select_loop<T, true, true, false>(cond, a, b, out, n);
      else if (dc && db) select_loop<T, true, false, true>(cond, a, b, out, n);
      else
        for (std::int64_t i = 0; i < n; ++i) out[i] = cond[i * dc] ? a[i * da] : b[i * db];
      return;
    }
    // General broadcasting: unravel once per row of the last dimension.
    const int rank = os.rank();
    const std::int64_t inner = os.dims()[rank - 1];
    const std::int64_t ic = sc[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
    for (std::int64_t r = 0; r < n / inner; ++r) {
      std::int64_t rem = r, oc = 0, oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const std::int64_t c = rem % os.dims()[d];
        rem /= os.dims()[d];
        oc += c * sc[d];
        oa += c * sa[d];
        ob += c * sb[d];
      }
      T* o = out + r * inner;
      for (std::int64_t j = 0; j < inner; ++j) o[j] = cond[oc + j * ic] ? a[oa + j * ia] : b[ob + j * ib];
    }
  });
}

const OpDef& where_op() {
  static const OpDef def{"where", 3, infer_where, where_kernel, grad_where, true};
  return def;
}

Tensor binary(const OpDef& op, Tensor a, Tensor b) {
  detail::adopt_weak_scalars(a, b);
  return apply_op(op, {std::move(a), std::move(b)});
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary(add_op(), a, b); }
Tensor subtract(const Tensor& a, const Tensor& b) { return binary(subtract_op(), a, b); }
Tensor multiply(const Tensor& a, const Tensor& b) { return binary(multiply_op(), a, b); }
Tensor divide(const Tensor& a, const Tensor& b) { return binary(divide_op(), a, b); }
Tensor power(const Tensor& a, const Tensor& b) { return binary(power_op(), a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(maximum_op(), a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(minimum_op(), a, b); }
Tensor equal(const Tensor& a, const Tensor& b) { return binary(equal_op(), a, b); }
Tensor not_equal(const Tensor& a, const Tensor& b) { return binary(not_equal_op(), a, b); }
Tensor less(const Tensor& a, const Tensor& b) { return binary(less_op(), a, b); }
Tensor less_equal(const Tensor& a, const Tensor& b) { return binary(less_equal_op(), a, b); }
Tensor greater(const Tensor& a, const Tensor& b) { return binary(greater_op(), a, b); }
Tensor greater_equal(const Tensor& a, const Tensor& b) { return binary(greater_equal_op(), a, b); }
Tensor logical_and(const Tensor& a, const Tensor& b) { return apply_op(logical_and_op(), {a, b}); }
Tensor logical_or(const Tensor& a, const Tensor& b) { return apply_op(logical_or_op(), {a, b}); }
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Tensor x = a, y = b;
  detail::adopt_weak_scalars(x, y);
  return apply_op(where_op(), {condition, x, y});
}

namespace detail {
void register_elementwise_binary_ops(OpList& ops) {
  for (const OpDef* op : {&add_op(), &subtract_op(), &multiply_op(), &divide_op(), &power_op(), &maximum_op(),
                          &minimum_op(), &equal_op(), &not_equal_op(), &less_op(), &less_equal_op(),
                          &greater_op(), &greater_equal_op(), &logical_and_op(), &logical_or_op(), &where_op()})
    ops.push_back(op);
}
}  // namespace detail

}  // namespace keras::ops

namespace keras {
Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::subtract(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::multiply(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::divide(a, b); }
Tensor operator-(const Tensor& x) { return ops::negative(x); }
}  // namespace keras
