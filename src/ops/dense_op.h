#pragma once
// The Dense layer's fused op (internal: Keras has no public op for it; src/ops/dense.cpp).
#include <cstdint>
#include <optional>
#include <string>

#include "keras/core/tensor.h"

namespace keras::ops::detail {

/// The activations dense() applies itself; Dense layers with others run matmul, add and the
/// activation as separate ops.
enum class DenseActivation : std::int64_t { linear = 0, relu = 1, tanh = 2, sigmoid = 3 };

/// The code for a built-in activation's name ("linear", "relu", "tanh", "sigmoid"), or none.
std::optional<DenseActivation> dense_activation(const std::string& name);

/// activation(x @ kernel + bias) as one op, with the unfused ops' numbers: x (..., k) in the
/// kernel's and bias's floating dtype, kernel (k, units), bias (units,).
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, DenseActivation activation);

}  // namespace keras::ops::detail
