// Embedding (keras/src/layers/core/embedding.py).
#include "keras/layers/embedding.h"

#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"

namespace keras::layers {

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, "Embedding"),
      input_dim_(input_dim), output_dim_(output_dim), embeddings_initializer_(std::move(o.embeddings_initializer)),
      mask_zero_(o.mask_zero) {
  set_weight_regularizer("embeddings", o.embeddings_regularizer);
  set_weight_constraint("embeddings", o.embeddings_constraint);
  if (input_dim <= 0)
    throw ValueError("Layer \"" + name() + "\" (Embedding): `input_dim` must be a positive integer. Received: input_dim=" +
                     std::to_string(input_dim));
  if (output_dim <= 0)
    throw ValueError("Layer \"" + name() + "\" (Embedding): `output_dim` must be a positive integer. Received: output_dim=" +
                     std::to_string(output_dim));
  embeddings_initializer_.resolve("uniform");  // an unknown name fails now, as in Keras
}

Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, LayerOptions options)
    : Embedding(input_dim, output_dim,
                EmbeddingOptions{.name = std::move(options.name), .trainable = options.trainable,
                                 .dtype = options.dtype}) {}

void Embedding::build(const Shape&) {
  embeddings_ = add_weight("embeddings", {input_dim_, output_dim_},
                           embeddings_initializer_.empty() ? "uniform" : embeddings_initializer_, true);
}

const Variable& Embedding::embeddings() const {
  if (!built())
    throw ValueError("You must build the layer \"" + name() + "\" (Embedding) before accessing `embeddings`.");
  return embeddings_;
}

Tensor Embedding::call(const Tensor& indices) {
  const Tensor ids = is_integer(indices.dtype()) ? indices : ops::cast(indices, DType::int32);
  Tensor out = ops::take(embeddings_, ids, 0);
  if (out.dtype() != dtype()) out = ops::cast(out, dtype());
  if (mask_zero_) set_keras_mask(out, ops::not_equal(ids, Tensor::scalar(0.0, ids.dtype())));
  return out;
}

Shape Embedding::compute_output_shape(const Shape& input_shape) {
  Shape out = input_shape;
  out.push_back(output_dim_);
  return out;
}

Config Embedding::get_config() const {
  Config c = base_config();
  c["input_dim"] = input_dim_;
  c["output_dim"] = output_dim_;
  c["embeddings_initializer"] = initializers::serialize(*embeddings_initializer_.resolve("uniform"));
  c["embeddings_regularizer"] = regularizers::to_json(weight_regularizer("embeddings"));
  c["activity_regularizer"] = activity_regularizer() ? activity_regularizer()->to_json() : Config(nullptr);
  c["embeddings_constraint"] = constraints::to_json(weight_constraint("embeddings"));
  c["mask_zero"] = mask_zero_;
  c["quantization_config"] = nullptr;
  return c;
}

}  // namespace keras::layers
