#pragma once
/// Attention layers: MultiHeadAttention, Attention (dot-product / Luong) and
/// AdditiveAttention (Bahdanau) — Keras 3's classes, arguments, weights and masking.
///
///   auto mha = keras::layers::make<keras::layers::MultiHeadAttention>(2, 16);   // 2 heads, key_dim 16
///   keras::Tensor y = (*mha)({query, value});            // (B, T, dq), (B, S, dv) -> (B, T, dq)
///   mha->set_call_options({.use_causal_mask = true});    // Keras's call argument, for later calls
///
/// Inputs are a list: [query, value], [query, value, key] and, for MultiHeadAttention,
/// [query, value, key, attention_mask] (a (B, T, S) mask; pass value again as key to give a
/// mask without a key). Keras masks attached to query/value/key (keras/layers/core_extra.h)
/// are applied as Keras does. Shapes that cannot attend to each other raise ValueError naming
/// the layer and the shapes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.h"
#include "keras/layers/activations.h"
#include "keras/layers/layer.h"
#include "keras/ops/random.h"

namespace keras::layers {

/// Keras's call-time arguments of the attention layers.
struct AttentionCallOptions {
  bool return_attention_scores = false;  // also return the attention weights
  bool use_causal_mask = false;          // position i attends to positions <= i only
};

struct AttentionOptions {
  bool use_scale = false;          // a trainable scalar multiplying the scores
  std::string score_mode = "dot";  // "dot" or "concat" (Attention only)
  double dropout = 0.0;            // on the attention weights, in training
  std::optional<std::uint64_t> seed{};
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Dot-product attention: softmax(query @ key^T [* scale]) @ value, (B, Tq, dim) x (B, Tv, dim).
class Attention : public Layer {
 public:
  explicit Attention(AttentionOptions options = {});

  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  Config get_config() const override;

  void set_call_options(AttentionCallOptions options) { call_options_ = options; }
  const AttentionCallOptions& call_options() const { return call_options_; }

 protected:
  Attention(AttentionOptions options, const std::string& class_name);
  /// (B, Tq, Tv) scores from query (B, Tq, d) and key (B, Tv, d).
  virtual Tensor calculate_scores(const Tensor& query, const Tensor& key);
  bool expects_list_input() const override { return true; }
  void validate(const std::vector<Shape>& shapes) const;

  AttentionOptions options_;
  AttentionCallOptions call_options_;
  Variable scale_, concat_score_weight_;
  random::SeedGenerator seed_generator_;
};

/// Additive attention: scores sum(scale * tanh(query + key), -1); scale (dim) is trainable
/// (glorot_uniform) when use_scale (the default here).
class AdditiveAttention : public Attention {
 public:
  explicit AdditiveAttention(AttentionOptions options = AttentionOptions{.use_scale = true});
  void build(const std::vector<Shape>& input_shapes) override;
  using Attention::build;
  Config get_config() const override;

 protected:
  Tensor calculate_scores(const Tensor& query, const Tensor& key) override;
};

/// Keras's EinsumDense for equations of the form "<free><bound>,<bound><out>-><free><out>"
/// (e.g. "abc,cde->abde", "abcd,cde->abe", "ab,bc->ac"): a product over the `bound` axes of
/// the input with a kernel of shape (*bound, *out). Bias over all of `out` (bias_axes equal to
/// the out letters) or none. Other equations raise NotImplementedError.
class EinsumDense : public Layer {
 public:
  /// `output_shape`: the output without the batch axis, -1 for None (Keras's
  /// partial output_shape).
  EinsumDense(std::string equation, std::vector<std::int64_t> output_shape, std::string bias_axes = "",
              activations::ActivationArg activation = {}, initializers::InitializerArg kernel_initializer = "glorot_uniform",
              initializers::InitializerArg bias_initializer = "zeros", LayerOptions options = {});

  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 private:
  std::string equation_, bias_axes_;
  std::vector<std::int64_t> output_shape_;
  std::size_t bound_ = 0, out_ = 0;  // counts of bound and output letters
  activations::ActivationArg activation_;
  initializers::InitializerArg kernel_initializer_, bias_initializer_;
  Variable kernel_, bias_;
};

struct MultiHeadAttentionOptions {
  std::optional<std::int64_t> value_dim{};  // default: key_dim
  double dropout = 0.0;
  bool use_bias = true;
  std::vector<std::int64_t> output_shape{};  // default: the query's last dimension
  std::vector<int> attention_axes{};         // default: every axis between batch and features
  std::optional<std::int64_t> sliding_window{};  // attend to |i - j| < sliding_window only
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  bool use_gate = false;  // multiply the heads' outputs by a sigmoid gate of the query
  std::optional<std::uint64_t> seed{};
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Multi-head attention (Vaswani et al.): projections query (dq, heads, key_dim), key
/// (dk, heads, key_dim), value (dv, heads, value_dim) and attention_output (heads, value_dim,
/// *output_shape), each an EinsumDense sublayer named as in Keras with a kernel and a bias.
class MultiHeadAttention : public Layer {
 public:
  MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim, MultiHeadAttentionOptions options = {});

  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  Config get_config() const override;

  void set_call_options(AttentionCallOptions options) { call_options_ = options; }
  const AttentionCallOptions& call_options() const { return call_options_; }
  std::int64_t num_heads() const { return num_heads_; }
  std::int64_t key_dim() const { return key_dim_; }
  std::int64_t value_dim() const { return value_dim_; }
  const std::shared_ptr<EinsumDense>& query_dense() const { return query_; }
  const std::shared_ptr<EinsumDense>& key_dense() const { return key_; }
  const std::shared_ptr<EinsumDense>& value_dense() const { return value_; }
  const std::shared_ptr<EinsumDense>& output_dense() const { return output_; }

 protected:
  bool expects_list_input() const override { return true; }

 private:
  void validate(const std::vector<Shape>& shapes) const;
  std::vector<int> resolved_axes(int input_rank) const;
  Tensor attention_mask(const std::vector<Tensor>& inputs, const Tensor& query, const Tensor& value) const;

  std::int64_t num_heads_, key_dim_, value_dim_;
  MultiHeadAttentionOptions options_;
  AttentionCallOptions call_options_;
  std::shared_ptr<EinsumDense> query_, key_, value_, gate_, output_;
  random::SeedGenerator seed_generator_;
};

}  // namespace keras::layers
