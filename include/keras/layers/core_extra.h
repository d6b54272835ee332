#pragma once
/// Keras masks and the Masking layer.
///
/// Keras attaches a mask to a tensor (`tensor._keras_mask`): a bool (batch, timesteps) tensor
/// saying which time steps are real. Layers that produce one (Embedding with mask_zero,
/// Masking, recurrent layers with return_sequences) attach it to their output; layers that use
/// one (LSTM, GRU, SimpleRNN, Bidirectional, Attention, MultiHeadAttention) read it from their
/// input. Attach a mask yourself with `set_keras_mask` before calling such a layer.
///
///   auto emb = keras::layers::make<keras::layers::Embedding>(30, 6, keras::layers::EmbeddingOptions{.mask_zero = true});
///   keras::Tensor e = (*emb)(ids);                     // mask: ids != 0
///   keras::Tensor m = keras::layers::get_keras_mask(e);   // (batch, timesteps) bool
///   keras::Tensor h = (*lstm)(e);                      // masked steps are skipped
///
/// Masks travel with the tensor object itself: a layer that builds a new tensor (Dense,
/// Dropout, ...) does not pass its input's mask on unless it says so.
#include "keras/layers/layer.h"

namespace keras::layers {

/// Attaches `mask` to `tensor` (replacing any previous one); an undefined mask removes it.
void set_keras_mask(const Tensor& tensor, const Tensor& mask);
/// The mask attached to `tensor`, or an undefined Tensor.
Tensor get_keras_mask(const Tensor& tensor);

/// Marks the time steps whose features all equal `mask_value` as masked: outputs zeros there
/// and attaches the mask any(x != mask_value, axis=-1) to its output (Keras's Masking).
class Masking : public Layer {
 public:
  explicit Masking(double mask_value = 0.0, LayerOptions options = {});
  explicit Masking(LayerOptions options) : Masking(0.0, std::move(options)) {}
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;
  double mask_value() const { return mask_value_; }

 private:
  double mask_value_;
};

}  // namespace keras::layers
