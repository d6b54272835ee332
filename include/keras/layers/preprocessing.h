#pragma once
/// Preprocessing layers that run inside the model (so a saved model carries them):
/// Rescaling and Normalization, with Keras 3's arguments, weights and configs.
///
///   auto scale = keras::layers::make<keras::layers::Rescaling>(1.0 / 255);        // x / 255
///   auto norm = keras::layers::make<keras::layers::Normalization>();             // axis=-1
///   norm->adapt(x_train);                        // per-feature mean and variance of the data
///   keras::Tensor y = (*norm)(x);                // (x - mean) / max(sqrt(variance), 1e-7)
#include <optional>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

/// inputs * scale + offset, in the layer's float dtype. `scale`/`offset` are scalars or
/// per-channel vectors (broadcast against the last axis).
class Rescaling : public Layer {
 public:
  explicit Rescaling(double scale, double offset = 0.0, LayerOptions options = {});
  Rescaling(std::vector<double> scale, std::vector<double> offset, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  std::vector<double> scale_, offset_;
  bool scalar_scale_, scalar_offset_;
};

struct NormalizationOptions {
  /// The axes that keep their own mean and variance (the others are reduced over). Empty is
  /// Keras's axis=None: one mean and variance for everything.
  std::vector<int> axis = {-1};
  /// Fixed statistics (both or neither); without them, call adapt() (or load weights).
  Tensor mean{};
  Tensor variance{};
  bool invert = false;  // x * sqrt(variance) + mean: undoes the normalization
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Feature-wise normalization: (x - mean) / max(sqrt(variance), epsilon). Adapted statistics
/// live in non-trainable weights mean, variance (and count, int32, unused as in Keras).
class Normalization : public Layer {
 public:
  explicit Normalization(NormalizationOptions options = {});

  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

  /// Computes the mean and variance of `data` (batch axis included) over the reduced axes and
  /// stores them. Builds the layer from data's shape if needed; ValueError when the kept axes
  /// do not match the built shape.
  void adapt(const Tensor& data);
  /// The same over batches, combined as Keras does for a dataset.
  void adapt(const std::vector<Tensor>& batches);

 private:
  void check_adapt_shape(const Shape& shape) const;
  std::pair<Tensor, Tensor> statistics(const Tensor& batch) const;  // mean, biased variance

  NormalizationOptions options_;
  std::vector<int> keep_axes_, reduce_axes_;
  Shape broadcast_shape_, stats_shape_, build_shape_;
  Variable adapt_mean_, adapt_variance_, count_;
  Tensor fixed_mean_, fixed_variance_;  // broadcast-shaped, when given
};

}  // namespace keras::layers
