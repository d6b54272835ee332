#pragma once
/// Normalization layers with Keras 3's arguments, defaults, weights and configs:
/// BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.
///
///   auto bn = keras::layers::make<keras::layers::BatchNormalization>();
///   keras::Tensor y = (*bn)(x, /*training=*/true);   // batch statistics; moving stats updated
///
/// BatchNormalization's weights are gamma, beta (trainable) and moving_mean, moving_variance
/// (non-trainable), in that order. Called with training=true on a trainable layer it
/// normalizes with the batch mean and biased variance and updates the moving statistics,
/// moving = moving * momentum + batch * (1 - momentum) — eagerly at once, or inside a compiled
/// step as an assignment the plan performs. Otherwise (inference, or a frozen layer, as in
/// Keras 3) it uses the moving statistics.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

struct BatchNormalizationOptions {
  int axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  initializers::InitializerArg moving_mean_initializer = "zeros";
  initializers::InitializerArg moving_variance_initializer = "ones";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  const Variable& gamma() const { return gamma_; }
  const Variable& beta() const { return beta_; }
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }

 private:
  int axis_;
  double momentum_, epsilon_;
  bool center_, scale_;
  initializers::InitializerArg beta_initializer_, gamma_initializer_, moving_mean_initializer_,
      moving_variance_initializer_;
  Variable gamma_, beta_, moving_mean_, moving_variance_;
};

struct LayerNormalizationOptions {
  std::vector<int> axis{-1};
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  bool rms_scaling = false;  // deprecated in Keras: scales by the variance, not the RMS
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Normalizes each sample over `axis` (mean and biased variance), then gamma * x + beta with
/// gamma and beta shaped like the normalized axes.
class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::vector<int> axis_;
  bool axis_is_int_;  // Keras's config shows an int axis as an int until the layer is built
  double epsilon_;
  bool center_, scale_, rms_scaling_;
  initializers::InitializerArg beta_initializer_, gamma_initializer_;
  Variable gamma_, beta_;
};

struct GroupNormalizationOptions {
  std::int64_t groups = 32;  // -1: one group per channel (instance normalization)
  int axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::InitializerArg beta_initializer = "zeros";
  initializers::InitializerArg gamma_initializer = "ones";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Splits the channels (axis) into groups and normalizes each sample's group over the group's
/// channels and all other non-batch axes.
class GroupNormalization : public Layer {
 public:
  explicit GroupNormalization(GroupNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::int64_t groups_;
  int axis_;
  double epsilon_;
  bool center_, scale_;
  initializers::InitializerArg beta_initializer_, gamma_initializer_;
  Variable gamma_, beta_;
};

/// x / ||x||_2 over `axis` (the inverse norm capped at 1e12, as keras.ops.normalize).
class UnitNormalization : public Layer {
 public:
  explicit UnitNormalization(std::vector<int> axis = {-1}, LayerOptions options = {});
  explicit UnitNormalization(int axis, LayerOptions options = {})
      : UnitNormalization(std::vector<int>{axis}, std::move(options)) {}
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::vector<int> axis_;
};

}  // namespace keras::layers
