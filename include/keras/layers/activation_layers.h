#pragma once
/// Activation layers with Keras 3's arguments and configs: ReLU, LeakyReLU, PReLU, ELU,
/// Softmax (the generic Activation layer is in core.h).
///
///   auto act = keras::layers::make<keras::layers::LeakyReLU>(0.1);
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

/// max_value if x >= max_value; x if threshold < x < max_value; negative_slope * (x - threshold)
/// otherwise.
class ReLU : public Layer {
 public:
  explicit ReLU(std::optional<double> max_value = std::nullopt, double negative_slope = 0.0, double threshold = 0.0,
                LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  std::optional<double> max_value_;
  double negative_slope_, threshold_;
};

/// x if x >= 0 else negative_slope * x (Keras 3's default slope is 0.3).
class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(double negative_slope = 0.3, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  double negative_slope_;
};

/// relu(x) - alpha * relu(-x) with a learned `alpha` shaped like the input without the batch
/// dimension (size 1 along `shared_axes`, 1-based non-batch axes).
class PReLU : public Layer {
 public:
  explicit PReLU(initializers::InitializerArg alpha_initializer = "Zeros",
                 std::optional<std::vector<int>> shared_axes = std::nullopt, LayerOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;
  const Variable& alpha() const { return alpha_; }

 private:
  initializers::InitializerArg alpha_initializer_;
  std::optional<std::vector<int>> shared_axes_;
  Variable alpha_;
};

/// x if x > 0 else alpha * (exp(x) - 1). Keras's config of ELU holds only the base entries.
class ELU : public Layer {
 public:
  explicit ELU(double alpha = 1.0, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  double alpha() const { return alpha_; }

 private:
  double alpha_;
};

/// Softmax over `axis` (several axes: normalized jointly).
class Softmax : public Layer {
 public:
  explicit Softmax(std::vector<int> axis = {-1}, LayerOptions options = {});
  explicit Softmax(int axis, LayerOptions options = {}) : Softmax(std::vector<int>{axis}, std::move(options)) {}
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  std::vector<int> axis_;
};

}  // namespace keras::layers
