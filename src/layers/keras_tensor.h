#pragma once
// Keras tensors: placeholders that carry their functional-API history.
//
// A Tensor is only a shared_ptr<Node>, and the Node belongs to the engine. So a Keras
// tensor's Node lives inside a holder that also owns the history (and through it the layer
// that produced the tensor); the Tensor's shared_ptr aliases the holder, so every copy of
// the tensor, and every op node that uses it as an input, keeps layer and history alive.
// A side table maps Node addresses to their holders for lookup.
#include "keras/layers/layer.h"

namespace keras::layers::detail {

Tensor make_keras_tensor(const TensorSpec& spec, KerasHistory history, const std::string& name = "");

}  // namespace keras::layers::detail
