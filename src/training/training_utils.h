#pragma once
// Small helpers shared by losses, metrics and optimizers (internal to keras_training).
#include <string>

#include "keras/core/tensor.h"
#include "keras/ops/ops.h"

namespace keras::training_detail {

/// Keras's backend.epsilon().
inline constexpr double kEpsilon = 1e-7;

/// A scalar with `like`'s dtype: keeps float64 math in float64 and float32 math in float32
/// (a bare C++ literal is rounded to float32 first).
inline Tensor scalar_like(double value, const Tensor& like) { return Tensor::scalar(value, like.dtype()); }

/// Casts to float32 unless already floating (Keras converts losses/metric inputs to floatx).
inline Tensor to_float(const Tensor& x, DType dtype = DType::float32) {
  return x.dtype() == dtype ? x : ops::cast(x, dtype);
}

/// a / b, with 0 where b == 0 (Keras's ops.divide_no_nan). Safe for gradients: the
/// denominator never is 0 where the quotient is used.
inline Tensor divide_no_nan(const Tensor& a, const Tensor& b) {
  Tensor zero = scalar_like(0.0, b);
  Tensor is_zero = ops::equal(b, zero);
  Tensor safe = ops::where(is_zero, ops::ones_like(b), b);
  Tensor q = ops::divide(a, safe);
  return ops::where(is_zero, ops::zeros_like(q), q);
}

/// Dims equal, or unknown on either side.
inline bool shapes_compatible(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (int i = 0; i < a.rank(); ++i) {
    const auto da = a.dims()[i], db = b.dims()[i];
    if (da != db && da >= 0 && db >= 0) return false;
  }
  return true;
}

/// ValueError naming both shapes unless compatible.
inline void require_same_shape(const Tensor& y_true, const Tensor& y_pred, const std::string& what) {
  if (!shapes_compatible(y_true.shape(), y_pred.shape()))
    throw ValueError("Arguments `y_true` and `y_pred` of " + what +
                     " must have the same shape (after aligning a trailing axis of size 1). Received: "
                     "y_true.shape=" + y_true.shape().to_string() + ", y_pred.shape=" + y_pred.shape().to_string());
}

/// Number of elements as a tensor of `like`'s dtype: a constant when the shape is known.
inline Tensor count_like(const Tensor& x, const Tensor& like) {
  return scalar_like(static_cast<double>(x.shape().num_elements()), like);
}

/// True when every dim of the shape is known.
inline bool known(const Tensor& x) { return x.shape().is_fully_defined(); }

}  // namespace keras::training_detail
