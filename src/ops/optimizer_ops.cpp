// Fused optimizer updates: one side-effect op per variable that reads the gradient once and
// rewrites the variable and its slots in place. Written as ops (multiply, add, sqrt, ...),
// Adam costs ~9 small passes and 2-3 copies per variable; at small batch sizes that is most
// of a training step. The arithmetic is the unfused chain's, operation for operation and in
// the same order (the build does not contract a*b+c into FMAs), so both give the same bits;
// tests/ops/optimizer_ops_test.cpp compares them.
#include <cmath>

#include "families.h"
#include "keras/backend/parallel.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

constexpr int kVariable = 0, kMomentum = 1, kVelocity = 2, kGradient = 3, kAlpha = 4, kDecay = 5;

TensorSpec infer_adam_update(const std::vector<TensorSpec>& in, Attrs& attrs) {
  if (in.size() != 5 && in.size() != 6)
    throw ValueError("Op 'adam_update' expects 5 or 6 inputs (variable, momentum, velocity, gradient, alpha[, "
                     "decay factor]). Received: " + std::to_string(in.size()) + " inputs");
  if (attrs.floats.size() != 3)
    throw ValueError("Op 'adam_update' expects attrs.floats = {beta_1, beta_2, epsilon}. Received: " +
                     std::to_string(attrs.floats.size()) + " values");
  const TensorSpec& var = in[kVariable];
  detail::require_floating(var, "adam_update");
  const char* names[] = {"variable", "momentum", "velocity", "gradient"};
  for (int i = kMomentum; i <= kGradient; ++i)
    if (in[i].shape != var.shape || in[i].dtype != var.dtype)
      throw ValueError(std::string("Op 'adam_update' expects the ") + names[i] + " to match the variable: shape " +
                       var.shape.to_string() + ", dtype " + dtype_name(var.dtype) + ". Received: shape " +
                       in[i].shape.to_string() + ", dtype " + dtype_name(in[i].dtype));
  for (std::size_t i = kAlpha; i < in.size(); ++i)
    if (in[i].shape.rank() != 0 || in[i].dtype != var.dtype)
      throw ValueError("Op 'adam_update' expects a scalar " + std::string(i == kAlpha ? "step size" : "decay factor") +
                       " of dtype " + dtype_name(var.dtype) + ". Received: shape " + in[i].shape.to_string() +
                       ", dtype " + dtype_name(in[i].dtype));
  return var;
}

struct AdamConstants {
  double beta_1, beta_2, epsilon;
};

// One contiguous range; restrict-qualified parameters let the loop vectorise.
template <typename T, bool kDecays>
void adam_range(T* __restrict var, T* __restrict m, T* __restrict v, const T* __restrict g, std::int64_t n, T alpha,
                T decay, const AdamConstants& c) {
  // Keras computes (1 - beta) from Python floats, in double, and rounds once to the dtype.
  const T b1 = static_cast<T>(c.beta_1), one_minus_b1 = static_cast<T>(1.0 - c.beta_1);
  const T b2 = static_cast<T>(c.beta_2), one_minus_b2 = static_cast<T>(1.0 - c.beta_2);
  const T eps = static_cast<T>(c.epsilon);
  for (std::int64_t i = 0; i < n; ++i) {
    const T gi = g[i];
    const T m_new = m[i] * b1 + gi * one_minus_b1;
    const T v_new = v[i] * b2 + (gi * gi) * one_minus_b2;
    m[i] = m_new;
    v[i] = v_new;
    const T value = kDecays ? var[i] * decay : var[i];
    var[i] = value - (m_new * alpha) / (std::sqrt(v_new) + eps);
  }
}

template <typename T>
void adam_update_typed(const KernelArgs& k) {
  T* var = static_cast<T*>(const_cast<void*>(k.inputs[kVariable]));
  T* m = static_cast<T*>(const_cast<void*>(k.inputs[kMomentum]));
  T* v = static_cast<T*>(const_cast<void*>(k.inputs[kVelocity]));
  const T* g = static_cast<const T*>(k.inputs[kGradient]);
  const T alpha = *static_cast<const T*>(k.inputs[kAlpha]);
  const bool decays = k.num_inputs > kDecay;
  const T decay = decays ? *static_cast<const T*>(k.inputs[kDecay]) : T(1);
  const AdamConstants c{k.attrs->floats[0], k.attrs->floats[1], k.attrs->floats[2]};
  const std::int64_t n = k.input_shapes[kVariable].num_elements();
  backend::parallel_for(n, 1 << 15, [&](std::int64_t begin, std::int64_t end) {
    if (decays) adam_range<T, true>(var + begin, m + begin, v + begin, g + begin, end - begin, alpha, decay, c);
    else adam_range<T, false>(var + begin, m + begin, v + begin, g + begin, end - begin, alpha, decay, c);
  });
}

void adam_update_kernel(const KernelArgs& k) {
  if (k.input_dtypes[kVariable] == DType::float64) adam_update_typed<double>(k);
  else adam_update_typed<float>(k);
}

}  // namespace

const OpDef& adam_update_op() {
  static const OpDef def = [] {
    OpDef d{"adam_update", -1, infer_adam_update, adam_update_kernel, nullptr, false, /*side_effect=*/true};
    d.num_written_inputs = 3;  // the variable, its momentum and its velocity
    return d;
  }();
  return def;
}

void adam_update(const Variable& variable, const Variable& momentum, const Variable& velocity, const Tensor& gradient,
                 const Tensor& alpha, double beta_1, double beta_2, double epsilon, const Tensor& decay_factor) {
  Attrs attrs;
  attrs.floats = {beta_1, beta_2, epsilon};
  std::vector<Tensor> inputs{variable, momentum, velocity, gradient, alpha};
  if (decay_factor.defined()) inputs.push_back(decay_factor);
  apply_op(adam_update_op(), std::move(inputs), std::move(attrs));
}

namespace detail {
void register_optimizer_ops(OpList& ops) { ops.push_back(&adam_update_op()); }
}  // namespace detail
}  // namespace keras::ops
