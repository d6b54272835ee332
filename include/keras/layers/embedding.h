#pragma once
/// Embedding: integer indices -> rows of a trainable (input_dim, output_dim) table.
///
///   auto emb = keras::layers::make<keras::layers::Embedding>(30, 6);   // uniform(-0.05, 0.05)
///   keras::Tensor e = (*emb)(keras::Input({7}, keras::DType::int32));  // (None, 7, 6)
///
/// With mask_zero, index 0 is padding: the output carries the mask `indices != 0`
/// (keras/layers/core_extra.h), which recurrent and attention layers read. Indices outside
/// [0, input_dim) raise IndexError. Float indices are cast to int32, as Keras does.
#include <cstdint>

#include "keras/initializers.h"
#include "keras/layers/layer.h"

namespace keras::layers {

struct EmbeddingOptions {
  initializers::InitializerArg embeddings_initializer = "uniform";
  bool mask_zero = false;
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> embeddings_regularizer{};
  std::optional<constraints::Constraint> embeddings_constraint{};
};

class Embedding : public Layer {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, EmbeddingOptions options = {});
  Embedding(std::int64_t input_dim, std::int64_t output_dim, LayerOptions options);

  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& indices) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  std::int64_t input_dim() const { return input_dim_; }
  std::int64_t output_dim() const { return output_dim_; }
  bool mask_zero() const { return mask_zero_; }
  /// The (input_dim, output_dim) table; ValueError before the layer is built.
  const Variable& embeddings() const;

 private:
  std::int64_t input_dim_, output_dim_;
  initializers::InitializerArg embeddings_initializer_;
  bool mask_zero_;
  Variable embeddings_;
};

}  // namespace keras::layers
