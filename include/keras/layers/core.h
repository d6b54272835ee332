#pragma once
/// Core built-in layers: InputLayer (and keras::Input), Dense, Activation, Lambda,
/// Identity, Flatten, Reshape, Dropout — Keras 3's classes with Keras 3's defaults.
///
///   auto inp = keras::Input({75});
///   auto fc1 = keras::layers::make<keras::layers::Dense>(75, "tanh", keras::layers::LayerOptions{.name = "fc1"});
///   keras::Tensor h = (*fc1)(inp);                      // (None, 75)
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "keras/layers/activations.h"
#include "keras/layers/layer.h"
#include "keras/ops/random.h"

namespace keras {
namespace layers {

/// The layer behind keras::Input: it has one node and one output, a Keras tensor of shape
/// `batch_shape` (batch dimension -1 = None). It cannot be called.
class InputLayer : public Layer {
 public:
  /// `shape` excludes the batch dimension; `batch_size` empty means None.
  InputLayer(const Shape& shape, std::optional<std::int64_t> batch_size = std::nullopt,
             DType dtype = DType::float32, LayerOptions options = {});
  /// From the full batch shape (Keras's `batch_shape=`).
  static std::shared_ptr<InputLayer> from_batch_shape(const Shape& batch_shape, DType dtype = DType::float32,
                                                      const std::string& name = "");
  const Shape& batch_shape() const { return batch_shape_; }
  DType input_dtype() const { return input_dtype_; }
  /// The Keras tensor this layer produces (node 0, tensor 0).
  Tensor output() override;
  Config get_config() const override;

 protected:
  bool callable() const override { return false; }

 private:
  Shape batch_shape_;
  DType input_dtype_;
};

}  // namespace layers

/// A symbolic input of a functional model: `shape` without the batch dimension.
///   auto x = keras::Input({75});   // (None, 75)
Tensor Input(const Shape& shape, DType dtype = DType::float32, const std::string& name = "",
             std::optional<std::int64_t> batch_size = std::nullopt);
Tensor Input(const Shape& shape, const std::string& name);

namespace layers {

struct DenseOptions {
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> kernel_regularizer{}, bias_regularizer{};
  std::optional<constraints::Constraint> kernel_constraint{}, bias_constraint{};
};

/// activation(x @ kernel + bias); kernel (input_dim, units), bias (units).
class Dense : public Layer {
 public:
  explicit Dense(std::int64_t units, activations::ActivationArg activation = {}, LayerOptions options = {});
  Dense(std::int64_t units, DenseOptions options);

  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  std::int64_t units() const { return units_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 private:
  std::int64_t units_;
  activations::ActivationArg activation_;
  bool use_bias_;
  initializers::InitializerArg kernel_initializer_, bias_initializer_;
  Variable kernel_, bias_;
};

/// Applies an activation by Keras name or a C++ callable.
class Activation : public Layer {
 public:
  explicit Activation(activations::ActivationArg activation, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  activations::ActivationArg activation_;
};

/// Wraps any C++ callable as a layer: one tensor -> tensor, or a list of tensors -> tensor
/// (or -> list). The output shape is inferred by tracing the callable, unless given.
///   auto mul = make<Lambda>([](const std::vector<Tensor>& x) { return x[0] * x[1]; });
/// Lambdas have no weights: tensors the callable captures are constants, not saved.
class Lambda : public Layer {
 public:
  using UnaryFn = std::function<Tensor(const Tensor&)>;
  using ListFn = std::function<Tensor(const std::vector<Tensor>&)>;
  using ListToListFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

  template <class F, std::enable_if_t<std::is_invocable_v<F, const Tensor&> ||
                                          std::is_invocable_v<F, const std::vector<Tensor>&>, int> = 0>
  explicit Lambda(F fn, LayerOptions options = {}, std::optional<Shape> output_shape = std::nullopt)
      : Layer(std::move(options), "Lambda"), output_shape_(std::move(output_shape)) {
    if constexpr (std::is_invocable_v<F, const Tensor&>) {
      unary_ = UnaryFn(std::move(fn));
    } else if constexpr (std::is_convertible_v<std::invoke_result_t<F, const std::vector<Tensor>&>, Tensor>) {
      list_ = ListFn(std::move(fn));
    } else {
      list_to_list_ = ListToListFn(std::move(fn));
    }
  }

  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  Config get_config() const override;
  /// The name under which the saving code records the callable (Keras saves bytecode; a C++
  /// Lambda is saved by the name of a registered function).
  std::string function_name;

 private:
  UnaryFn unary_;
  ListFn list_;
  ListToListFn list_to_list_;
  std::optional<Shape> output_shape_;  // without the batch dimension, as Keras's output_shape
};

/// Returns its input(s) unchanged.
class Identity : public Layer {
 public:
  explicit Identity(LayerOptions options = {}) : Layer(std::move(options), "Identity") { set_supports_masking(true); }
  Outputs call(const std::vector<Tensor>& inputs, bool /*training*/) override { return Outputs(inputs); }
};

/// (batch, d1, d2, ...) -> (batch, d1*d2*...). data_format "channels_first" moves axis 1
/// last before flattening, as Keras does.
class Flatten : public Layer {
 public:
  explicit Flatten(std::string data_format = "channels_last", LayerOptions options = {});
  explicit Flatten(LayerOptions options) : Flatten("channels_last", std::move(options)) {}
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::string data_format_;
};

/// (batch, ...) -> (batch, *target_shape); one entry of target_shape may be -1.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  Shape resolved_target(const Shape& input_shape) const;
  Shape target_shape_;
};

/// Inverted dropout: in training, zeroes each entry with probability `rate` and scales the
/// kept ones by 1 / (1 - rate); at inference it is the identity. The mask comes from a
/// SeedGenerator (keras::random::dropout), so a compiled training step draws a new mask at
/// every run.
class Dropout : public Layer {
 public:
  explicit Dropout(double rate, std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
  Dropout(double rate, LayerOptions options) : Dropout(rate, std::nullopt, std::move(options)) {}
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;
  double rate() const { return rate_; }

 private:
  double rate_;
  std::optional<std::uint64_t> init_seed_;
  random::SeedGenerator seed_generator_;
};

}  // namespace layers
}  // namespace keras
