#pragma once
// Shared by the attention layers (attention.cpp, multi_head_attention.cpp).
#include <string>

#include "keras/core/tensor.h"

namespace keras::layers {

/// A (1, tq, tv) bool mask with column <= row (Keras's causal mask). ValueError naming `layer`
/// when a length is unknown.
Tensor causal_mask(std::int64_t tq, std::int64_t tv, const std::string& layer);

}  // namespace keras::layers
