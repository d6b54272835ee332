#pragma once
/// Convolution layers with Keras 3's arguments, defaults, weights and configs:
/// Conv1D/2D/3D, Conv1DTranspose/2DTranspose/3DTranspose, DepthwiseConv1D/2D and
/// SeparableConv1D/2D. Inputs are (batch, *spatial, channels) ("channels_last", the default)
/// or (batch, channels, *spatial) ("channels_first").
///
///   using namespace keras::layers;
///   auto conv = make<Conv2D>(32, 3, ConvOptions{.padding = "same", .activation = "relu"});  // or Ints{3, 3}
///   keras::Tensor y = (*conv)(keras::Input({28, 28, 1}));   // (None, 28, 28, 32)
///
/// Weights, in order: kernel (*kernel_size, channels / groups, filters) and bias (filters) for
/// Conv; kernel (*kernel_size, filters, channels) and bias for ConvTranspose; kernel
/// (*kernel_size, channels, depth_multiplier) and bias (channels * depth_multiplier) for
/// DepthwiseConv; depthwise_kernel, pointwise_kernel (1..., channels * depth_multiplier,
/// filters) and bias for SeparableConv.
///
/// Errors (ValueError naming the layer and the shapes): non-positive filters, kernel sizes,
/// strides, dilation rates, groups or depth multipliers (at construction); an input of the
/// wrong rank, channels not divisible by groups, or a kernel larger than the input under
/// "valid" padding (at the first call).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/layers/activations.h"
#include "keras/layers/layer.h"

namespace keras::layers {

using Ints = std::vector<std::int64_t>;

struct ConvOptions {
  Ints strides{1};
  std::string padding = "valid";  // "valid", "same"; "causal" for Conv1D
  std::string data_format = "channels_last";
  Ints dilation_rate{1};
  std::int64_t groups = 1;
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> kernel_regularizer{};
  std::optional<regularizers::L1L2> bias_regularizer{};
  std::optional<constraints::Constraint> kernel_constraint{};
  std::optional<constraints::Constraint> bias_constraint{};
};

/// activation(conv(x, kernel) + bias) — Keras's BaseConv.
class BaseConv : public Layer {
 public:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  int rank() const { return rank_; }
  std::int64_t filters() const { return filters_; }
  const Ints& kernel_size() const { return kernel_size_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  BaseConv(int rank, const std::string& class_name, std::int64_t filters, const Ints& kernel_size, ConvOptions options);

 private:
  int rank_;
  std::int64_t filters_;
  Ints kernel_size_, strides_, dilation_rate_;
  std::string padding_, data_format_;
  std::int64_t groups_;
  activations::ActivationArg activation_;
  bool use_bias_;
  initializers::InitializerArg kernel_initializer_, bias_initializer_;
  Variable kernel_, bias_;
};

/// (batch, steps, channels) -> (batch, new_steps, filters); padding may be "causal".
class Conv1D : public BaseConv {
 public:
  Conv1D(std::int64_t filters, const Ints& kernel_size, ConvOptions options = {});
  /// One kernel size for every spatial dim: Conv1D(32, 3).
  Conv1D(std::int64_t filters, std::int64_t kernel_size, ConvOptions options = {})
      : Conv1D(filters, Ints{kernel_size}, std::move(options)) {}
};

class Conv2D : public BaseConv {
 public:
  Conv2D(std::int64_t filters, const Ints& kernel_size, ConvOptions options = {});
  /// One kernel size for every spatial dim: Conv2D(32, 3).
  Conv2D(std::int64_t filters, std::int64_t kernel_size, ConvOptions options = {})
      : Conv2D(filters, Ints{kernel_size}, std::move(options)) {}
};

class Conv3D : public BaseConv {
 public:
  Conv3D(std::int64_t filters, const Ints& kernel_size, ConvOptions options = {});
  /// One kernel size for every spatial dim: Conv3D(32, 3).
  Conv3D(std::int64_t filters, std::int64_t kernel_size, ConvOptions options = {})
      : Conv3D(filters, Ints{kernel_size}, std::move(options)) {}
};

struct ConvTransposeOptions {
  Ints strides{1};
  std::string padding = "valid";
  std::optional<Ints> output_padding{};  // none: Keras's default output lengths
  std::string data_format = "channels_last";
  Ints dilation_rate{1};
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> kernel_regularizer{};
  std::optional<regularizers::L1L2> bias_regularizer{};
  std::optional<constraints::Constraint> kernel_constraint{};
  std::optional<constraints::Constraint> bias_constraint{};
};

/// activation(conv_transpose(x, kernel) + bias) — Keras's BaseConvTranspose. Output length
/// per dim: "valid" (in-1)*stride + max(kernel, stride), "same" in*stride, or
/// (in-1)*stride + kernel - 2*(kernel//2 if "same" else 0) + output_padding.
class BaseConvTranspose : public Layer {
 public:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  std::int64_t filters() const { return filters_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  BaseConvTranspose(int rank, const std::string& class_name, std::int64_t filters, const Ints& kernel_size,
                    ConvTransposeOptions options);

 private:
  int rank_;
  std::int64_t filters_;
  Ints kernel_size_, strides_, dilation_rate_;
  std::optional<Ints> output_padding_;
  std::string padding_, data_format_;
  activations::ActivationArg activation_;
  bool use_bias_;
  initializers::InitializerArg kernel_initializer_, bias_initializer_;
  Variable kernel_, bias_;
};

class Conv1DTranspose : public BaseConvTranspose {
 public:
  Conv1DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options = {});
  /// One kernel size for every spatial dim: Conv1DTranspose(32, 3).
  Conv1DTranspose(std::int64_t filters, std::int64_t kernel_size, ConvTransposeOptions options = {})
      : Conv1DTranspose(filters, Ints{kernel_size}, std::move(options)) {}
};

class Conv2DTranspose : public BaseConvTranspose {
 public:
  Conv2DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options = {});
  /// One kernel size for every spatial dim: Conv2DTranspose(32, 3).
  Conv2DTranspose(std::int64_t filters, std::int64_t kernel_size, ConvTransposeOptions options = {})
      : Conv2DTranspose(filters, Ints{kernel_size}, std::move(options)) {}
};

class Conv3DTranspose : public BaseConvTranspose {
 public:
  Conv3DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options = {});
  /// One kernel size for every spatial dim: Conv3DTranspose(32, 3).
  Conv3DTranspose(std::int64_t filters, std::int64_t kernel_size, ConvTransposeOptions options = {})
      : Conv3DTranspose(filters, Ints{kernel_size}, std::move(options)) {}
};

struct DepthwiseConvOptions {
  Ints strides{1};
  std::string padding = "valid";
  std::int64_t depth_multiplier = 1;
  std::string data_format = "channels_last";
  Ints dilation_rate{1};
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> depthwise_regularizer{};
  std::optional<regularizers::L1L2> bias_regularizer{};
  std::optional<constraints::Constraint> depthwise_constraint{};
  std::optional<constraints::Constraint> bias_constraint{};
};

/// Each input channel convolved with its own depth_multiplier filters — Keras's
/// BaseDepthwiseConv. Output channel c * depth_multiplier + m comes from input channel c.
class BaseDepthwiseConv : public Layer {
 public:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  const Variable& kernel() const { return kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  BaseDepthwiseConv(int rank, const std::string& class_name, const Ints& kernel_size, DepthwiseConvOptions options);

 private:
  int rank_;
  std::int64_t depth_multiplier_;
  Ints kernel_size_, strides_, dilation_rate_;
  std::string padding_, data_format_;
  activations::ActivationArg activation_;
  bool use_bias_;
  initializers::InitializerArg depthwise_initializer_, bias_initializer_;
  Variable kernel_, bias_;
};

class DepthwiseConv1D : public BaseDepthwiseConv {
 public:
  explicit DepthwiseConv1D(const Ints& kernel_size, DepthwiseConvOptions options = {});
  explicit DepthwiseConv1D(std::int64_t kernel_size, DepthwiseConvOptions options = {})
      : DepthwiseConv1D(Ints{kernel_size}, std::move(options)) {}
};

class DepthwiseConv2D : public BaseDepthwiseConv {
 public:
  explicit DepthwiseConv2D(const Ints& kernel_size, DepthwiseConvOptions options = {});
  explicit DepthwiseConv2D(std::int64_t kernel_size, DepthwiseConvOptions options = {})
      : DepthwiseConv2D(Ints{kernel_size}, std::move(options)) {}
};

struct SeparableConvOptions {
  Ints strides{1};
  std::string padding = "valid";
  std::string data_format = "channels_last";
  Ints dilation_rate{1};
  std::int64_t depth_multiplier = 1;
  activations::ActivationArg activation{};
  bool use_bias = true;
  initializers::InitializerArg depthwise_initializer = "glorot_uniform";
  initializers::InitializerArg pointwise_initializer = "glorot_uniform";
  initializers::InitializerArg bias_initializer = "zeros";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  std::optional<regularizers::L1L2> depthwise_regularizer{};
  std::optional<regularizers::L1L2> pointwise_regularizer{};
  std::optional<regularizers::L1L2> bias_regularizer{};
  std::optional<constraints::Constraint> depthwise_constraint{};
  std::optional<constraints::Constraint> pointwise_constraint{};
  std::optional<constraints::Constraint> bias_constraint{};
};

/// A depthwise convolution followed by a 1x1 convolution to `filters` channels — Keras's
/// BaseSeparableConv.
class BaseSeparableConv : public Layer {
 public:
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  const Variable& depthwise_kernel() const { return depthwise_kernel_; }
  const Variable& pointwise_kernel() const { return pointwise_kernel_; }
  const Variable& bias() const { return bias_; }

 protected:
  BaseSeparableConv(int rank, const std::string& class_name, std::int64_t filters, const Ints& kernel_size,
                    SeparableConvOptions options);

 private:
  int rank_;
  std::int64_t filters_, depth_multiplier_;
  Ints kernel_size_, strides_, dilation_rate_;
  std::string padding_, data_format_;
  activations::ActivationArg activation_;
  bool use_bias_;
  initializers::InitializerArg depthwise_initializer_, pointwise_initializer_, bias_initializer_;
  Variable depthwise_kernel_, pointwise_kernel_, bias_;
};

class SeparableConv1D : public BaseSeparableConv {
 public:
  SeparableConv1D(std::int64_t filters, const Ints& kernel_size, SeparableConvOptions options = {});
  /// One kernel size for every spatial dim: SeparableConv1D(32, 3).
  SeparableConv1D(std::int64_t filters, std::int64_t kernel_size, SeparableConvOptions options = {})
      : SeparableConv1D(filters, Ints{kernel_size}, std::move(options)) {}
};

class SeparableConv2D : public BaseSeparableConv {
 public:
  SeparableConv2D(std::int64_t filters, const Ints& kernel_size, SeparableConvOptions options = {});
  /// One kernel size for every spatial dim: SeparableConv2D(32, 3).
  SeparableConv2D(std::int64_t filters, std::int64_t kernel_size, SeparableConvOptions options = {})
      : SeparableConv2D(filters, Ints{kernel_size}, std::move(options)) {}
};

}  // namespace keras::layers
