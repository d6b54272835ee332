// DepthwiseConv1D/2D (BaseDepthwiseConv) and SeparableConv1D/2D (BaseSeparableConv).
#include "conv_layer_common.h"

namespace keras::layers {

namespace {

void check_depth_multiplier(std::int64_t m, const std::string& layer) {
  if (m <= 0)
    throw ValueError("Invalid value for argument `depth_multiplier` of layer \"" + layer +
                     "\". Expected a strictly positive value. Received depth_multiplier=" + std::to_string(m) + ".");
}

}  // namespace

// ---- BaseDepthwiseConv -------------------------------------------------------------------------

BaseDepthwiseConv::BaseDepthwiseConv(int rank, const std::string& class_name, const Ints& kernel_size,
                                     DepthwiseConvOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      rank_(rank), depth_multiplier_(o.depth_multiplier), activation_(std::move(o.activation)), use_bias_(o.use_bias),
      depthwise_initializer_(std::move(o.depthwise_initializer)), bias_initializer_(std::move(o.bias_initializer)) {
  set_weight_regularizer("depthwise", o.depthwise_regularizer);
  set_weight_regularizer("bias", o.bias_regularizer);
  set_weight_constraint("depthwise", o.depthwise_constraint);
  set_weight_constraint("bias", o.bias_constraint);
  const std::string& n = name();
  kernel_size_ = detail::standardize_tuple(kernel_size, rank, "kernel_size", n);
  strides_ = detail::standardize_tuple(o.strides, rank, "strides", n);
  dilation_rate_ = detail::standardize_tuple(o.dilation_rate, rank, "dilation_rate", n);
  padding_ = detail::standardize_padding(o.padding, false, n);
  data_format_ = detail::standardize_data_format(o.data_format, n);
  check_depth_multiplier(depth_multiplier_, n);
  detail::check_strides_and_dilation(strides_, dilation_rate_, n);
  depthwise_initializer_.resolve();
  bias_initializer_.resolve("zeros");
  InputSpec spec;
  spec.min_ndim = rank + 2;
  set_input_spec({spec});
}

Shape BaseDepthwiseConv::compute_output_shape(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  detail::require_conv_rank(*this, input_shape, rank_, cf);
  const std::int64_t c = cf ? input_shape.dims()[1] : input_shape.dims().back();
  return detail::conv_output_shape(*this, input_shape, rank_, cf, c < 0 ? -1 : c * depth_multiplier_, kernel_size_,
                                   strides_, padding_, dilation_rate_);
}

void BaseDepthwiseConv::build(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  const std::int64_t channels = detail::input_channels(*this, input_shape, rank_, cf);
  compute_output_shape(input_shape);
  Shape kernel_shape(kernel_size_);
  kernel_shape.push_back(channels);
  kernel_shape.push_back(depth_multiplier_);
  kernel_ = add_weight("kernel", kernel_shape, depthwise_initializer_, true);
  bind_weight_argument(kernel_, "depthwise");  // Keras's depthwise_regularizer/_constraint
  if (use_bias_) bias_ = add_weight("bias", {channels * depth_multiplier_}, bias_initializer_.resolve("zeros"), true);
  set_input_spec({detail::channel_spec(rank_, cf, channels)});
}

Tensor BaseDepthwiseConv::call(const Tensor& x) {
  Tensor y = ops::depthwise_conv(x, kernel_, strides_, padding_, data_format_, dilation_rate_);
  if (use_bias_) y = detail::add_channel_bias(y, bias_, data_format_ == "channels_first");
  return activation_(y);
}

Config BaseDepthwiseConv::get_config() const {
  Config c = base_config();
  c["depth_multiplier"] = depth_multiplier_;
  c["kernel_size"] = detail::ints_json(kernel_size_);
  c["strides"] = detail::ints_json(strides_);
  c["padding"] = padding_;
  c["data_format"] = data_format_;
  c["dilation_rate"] = detail::ints_json(dilation_rate_);
  c["activation"] = activation_.name();
  c["use_bias"] = use_bias_;
  c["depthwise_initializer"] = initializers::serialize(*depthwise_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["depthwise_regularizer"] = regularizers::to_json(weight_regularizer("depthwise"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["activity_regularizer"] = activity_regularizer() ? activity_regularizer()->to_json() : Config(nullptr);
  c["depthwise_constraint"] = constraints::to_json(weight_constraint("depthwise"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  return c;
}

DepthwiseConv1D::DepthwiseConv1D(const Ints& kernel_size, DepthwiseConvOptions options)
    : BaseDepthwiseConv(1, "DepthwiseConv1D", kernel_size, std::move(options)) {}
DepthwiseConv2D::DepthwiseConv2D(const Ints& kernel_size, DepthwiseConvOptions options)
    : BaseDepthwiseConv(2, "DepthwiseConv2D", kernel_size, std::move(options)) {}

// ---- BaseSeparableConv -------------------------------------------------------------------------

BaseSeparableConv::BaseSeparableConv(int rank, const std::string& class_name, std::int64_t filters,
                                     const Ints& kernel_size, SeparableConvOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      rank_(rank), filters_(filters), depth_multiplier_(o.depth_multiplier), activation_(std::move(o.activation)),
      use_bias_(o.use_bias), depthwise_initializer_(std::move(o.depthwise_initializer)),
      pointwise_initializer_(std::move(o.pointwise_initializer)), bias_initializer_(std::move(o.bias_initializer)) {
  set_weight_regularizer("depthwise", o.depthwise_regularizer);
  set_weight_regularizer("pointwise", o.pointwise_regularizer);
  set_weight_regularizer("bias", o.bias_regularizer);
  set_weight_constraint("depthwise", o.depthwise_constraint);
  set_weight_constraint("pointwise", o.pointwise_constraint);
  set_weight_constraint("bias", o.bias_constraint);
  const std::string& n = name();
  kernel_size_ = detail::standardize_tuple(kernel_size, rank, "kernel_size", n);
  strides_ = detail::standardize_tuple(o.strides, rank, "strides", n);
  dilation_rate_ = detail::standardize_tuple(o.dilation_rate, rank, "dilation_rate", n);
  padding_ = detail::standardize_padding(o.padding, false, n);
  data_format_ = detail::standardize_data_format(o.data_format, n);
  check_depth_multiplier(depth_multiplier_, n);
  if (filters_ <= 0)
    throw ValueError("Invalid value for argument `filters` of layer \"" + n +
                     "\". Expected a strictly positive value. Received filters=" + std::to_string(filters_) + ".");
  detail::check_strides_and_dilation(strides_, dilation_rate_, n);
  depthwise_initializer_.resolve();
  pointwise_initializer_.resolve();
  bias_initializer_.resolve("zeros");
  InputSpec spec;
  spec.min_ndim = rank + 2;
  set_input_spec({spec});
}

Shape BaseSeparableConv::compute_output_shape(const Shape& input_shape) {
  return detail::conv_output_shape(*this, input_shape, rank_, data_format_ == "channels_first", filters_,
                                   kernel_size_, strides_, padding_, dilation_rate_);
}

void BaseSeparableConv::build(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  const std::int64_t channels = detail::input_channels(*this, input_shape, rank_, cf);
  compute_output_shape(input_shape);
  Shape depthwise_shape(kernel_size_);
  depthwise_shape.push_back(channels);
  depthwise_shape.push_back(depth_multiplier_);
  Shape pointwise_shape(std::vector<std::int64_t>(static_cast<std::size_t>(rank_), 1));
  pointwise_shape.push_back(channels * depth_multiplier_);
  pointwise_shape.push_back(filters_);
  depthwise_kernel_ = add_weight("depthwise_kernel", depthwise_shape, depthwise_initializer_, true);
  pointwise_kernel_ = add_weight("pointwise_kernel", pointwise_shape, pointwise_initializer_, true);
  if (use_bias_) bias_ = add_weight("bias", {filters_}, bias_initializer_.resolve("zeros"), true);
  set_input_spec({detail::channel_spec(rank_, cf, channels)});
}

Tensor BaseSeparableConv::call(const Tensor& x) {
  Tensor y =
      ops::separable_conv(x, depthwise_kernel_, pointwise_kernel_, strides_, padding_, data_format_, dilation_rate_);
  if (use_bias_) y = detail::add_channel_bias(y, bias_, data_format_ == "channels_first");
  return activation_(y);
}

Config BaseSeparableConv::get_config() const {
  Config c = base_config();
  c["depth_multiplier"] = depth_multiplier_;
  c["filters"] = filters_;
  c["kernel_size"] = detail::ints_json(kernel_size_);
  c["strides"] = detail::ints_json(strides_);
  c["padding"] = padding_;
  c["data_format"] = data_format_;
  c["dilation_rate"] = detail::ints_json(dilation_rate_);
  c["activation"] = activation_.name();
  c["use_bias"] = use_bias_;
  c["depthwise_initializer"] = initializers::serialize(*depthwise_initializer_.resolve());
  c["pointwise_initializer"] = initializers::serialize(*pointwise_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["depthwise_regularizer"] = regularizers::to_json(weight_regularizer("depthwise"));
  c["pointwise_regularizer"] = regularizers::to_json(weight_regularizer("pointwise"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["activity_regularizer"] = activity_regularizer() ? activity_regularizer()->to_json() : Config(nullptr);
  c["depthwise_constraint"] = constraints::to_json(weight_constraint("depthwise"));
  c["pointwise_constraint"] = constraints::to_json(weight_constraint("pointwise"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  return c;
}

SeparableConv1D::SeparableConv1D(std::int64_t filters, const Ints& kernel_size, SeparableConvOptions options)
    : BaseSeparableConv(1, "SeparableConv1D", filters, kernel_size, std::move(options)) {}
SeparableConv2D::SeparableConv2D(std::int64_t filters, const Ints& kernel_size, SeparableConvOptions options)
    : BaseSeparableConv(2, "SeparableConv2D", filters, kernel_size, std::move(options)) {}

}  // namespace keras::layers
