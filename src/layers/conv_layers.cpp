// Conv1D/2D/3D (BaseConv) and Conv1D/2D/3DTranspose (BaseConvTranspose).
#include "conv_layer_common.h"
#include "../ops/conv_params.h"

namespace keras::layers {

using detail::conv_output_shape;

// ---- BaseConv -------------------------------------------------------------------------------

BaseConv::BaseConv(int rank, const std::string& class_name, std::int64_t filters, const Ints& kernel_size,
                   ConvOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      rank_(rank), filters_(filters), groups_(o.groups), activation_(std::move(o.activation)), use_bias_(o.use_bias),
      kernel_initializer_(std::move(o.kernel_initializer)), bias_initializer_(std::move(o.bias_initializer)) {
  set_weight_regularizer("kernel", o.kernel_regularizer);
  set_weight_regularizer("bias", o.bias_regularizer);
  set_weight_constraint("kernel", o.kernel_constraint);
  set_weight_constraint("bias", o.bias_constraint);
  const std::string& n = name();
  kernel_size_ = detail::standardize_tuple(kernel_size, rank, "kernel_size", n);
  strides_ = detail::standardize_tuple(o.strides, rank, "strides", n);
  dilation_rate_ = detail::standardize_tuple(o.dilation_rate, rank, "dilation_rate", n);
  padding_ = detail::standardize_padding(o.padding, /*allow_causal=*/rank == 1, n);
  data_format_ = detail::standardize_data_format(o.data_format, n);
  if (filters_ <= 0)
    throw ValueError("Invalid value for argument `filters` of layer \"" + n +
                     "\". Expected a strictly positive value. Received filters=" + std::to_string(filters_) + ".");
  if (groups_ <= 0)
    throw ValueError("The number of groups of layer \"" + n + "\" must be a positive integer. Received: groups=" +
                     std::to_string(groups_) + ".");
  if (filters_ % groups_ != 0)
    throw ValueError("The number of filters of layer \"" + n +
                     "\" must be evenly divisible by the number of groups. Received: groups=" +
                     std::to_string(groups_) + ", filters=" + std::to_string(filters_) + ".");
  detail::check_strides_and_dilation(strides_, dilation_rate_, n);
  kernel_initializer_.resolve();
  bias_initializer_.resolve("zeros");
  InputSpec spec;
  spec.min_ndim = rank + 2;
  set_input_spec({spec});
}

Shape BaseConv::compute_output_shape(const Shape& input_shape) {
  return conv_output_shape(*this, input_shape, rank_, data_format_ == "channels_first", filters_, kernel_size_,
                           strides_, padding_, dilation_rate_);
}

void BaseConv::build(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  const std::int64_t channels = detail::input_channels(*this, input_shape, rank_, cf);
  if (channels % groups_ != 0)
    throw ValueError("The number of input channels of layer \"" + name() +
                     "\" must be evenly divisible by the number of groups. Received groups=" +
                     std::to_string(groups_) + ", but the input has " + std::to_string(channels) +
                     " channels (full input shape is " + input_shape.to_string() + ").");
  compute_output_shape(input_shape);  // validates before any weight exists
  Shape kernel_shape(kernel_size_);
  kernel_shape.push_back(channels / groups_);
  kernel_shape.push_back(filters_);
  kernel_ = add_weight("kernel", kernel_shape, kernel_initializer_, true);
  if (use_bias_) bias_ = add_weight("bias", {filters_}, bias_initializer_.resolve("zeros"), true);
  set_input_spec({detail::channel_spec(rank_, cf, channels)});
}

Tensor BaseConv::call(const Tensor& x) {
  // relu(conv + bias) or conv + bias as one op: no passes of their own for the bias and relu,
  // forward or backward.
  const bool relu = activation_.name() == "relu";
  if (use_bias_ && data_format_ == "channels_last" && (relu || activation_.is_linear()))
    return ops::detail::conv_bias(x, kernel_, bias_, relu, strides_, padding_, dilation_rate_);
  Tensor y = ops::conv(x, kernel_, strides_, padding_, data_format_, dilation_rate_);
  if (use_bias_) y = detail::add_channel_bias(y, bias_, data_format_ == "channels_first");
  return activation_(y);
}

Config BaseConv::get_config() const {
  Config c = base_config();
  c["filters"] = filters_;
  c["kernel_size"] = detail::ints_json(kernel_size_);
  c["strides"] = detail::ints_json(strides_);
  c["padding"] = padding_;
  c["data_format"] = data_format_;
  c["dilation_rate"] = detail::ints_json(dilation_rate_);
  c["groups"] = groups_;
  c["activation"] = activation_.name();
  c["use_bias"] = use_bias_;
  c["kernel_initializer"] = initializers::serialize(*kernel_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["kernel_regularizer"] = regularizers::to_json(weight_regularizer("kernel"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["activity_regularizer"] = activity_regularizer() ? activity_regularizer()->to_json() : Config(nullptr);
  c["kernel_constraint"] = constraints::to_json(weight_constraint("kernel"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  return c;
}

Conv1D::Conv1D(std::int64_t filters, const Ints& kernel_size, ConvOptions options)
    : BaseConv(1, "Conv1D", filters, kernel_size, std::move(options)) {}
Conv2D::Conv2D(std::int64_t filters, const Ints& kernel_size, ConvOptions options)
    : BaseConv(2, "Conv2D", filters, kernel_size, std::move(options)) {}
Conv3D::Conv3D(std::int64_t filters, const Ints& kernel_size, ConvOptions options)
    : BaseConv(3, "Conv3D", filters, kernel_size, std::move(options)) {}

// ---- BaseConvTranspose ------------------------------------------------------------------------

BaseConvTranspose::BaseConvTranspose(int rank, const std::string& class_name, std::int64_t filters,
                                     const Ints& kernel_size, ConvTransposeOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      rank_(rank), filters_(filters), activation_(std::move(o.activation)), use_bias_(o.use_bias),
      kernel_initializer_(std::move(o.kernel_initializer)), bias_initializer_(std::move(o.bias_initializer)) {
  set_weight_regularizer("kernel", o.kernel_regularizer);
  set_weight_regularizer("bias", o.bias_regularizer);
  set_weight_constraint("kernel", o.kernel_constraint);
  set_weight_constraint("bias", o.bias_constraint);
  const std::string& n = name();
  kernel_size_ = detail::standardize_tuple(kernel_size, rank, "kernel_size", n);
  strides_ = detail::standardize_tuple(o.strides, rank, "strides", n);
  dilation_rate_ = detail::standardize_tuple(o.dilation_rate, rank, "dilation_rate", n);
  padding_ = detail::standardize_padding(o.padding, false, n);
  data_format_ = detail::standardize_data_format(o.data_format, n);
  if (o.output_padding) {
    output_padding_ = detail::standardize_tuple(*o.output_padding, rank, "output_padding", n, /*allow_zero=*/true);
    for (int i = 0; i < rank; ++i)
      if ((*output_padding_)[static_cast<std::size_t>(i)] >= strides_[static_cast<std::size_t>(i)])
        throw ValueError("Layer \"" + n + "\": `output_padding` must be strictly less than `strides` for all "
                         "dimensions. At dimension " + std::to_string(i) + ", `output_padding` is " +
                         std::to_string((*output_padding_)[static_cast<std::size_t>(i)]) + " but `strides` is " +
                         std::to_string(strides_[static_cast<std::size_t>(i)]) + ". Received: output_padding=" +
                         detail::ints_string(*output_padding_) + ", strides=" + detail::ints_string(strides_));
  }
  if (filters_ <= 0)
    throw ValueError("Invalid value for argument `filters` of layer \"" + n +
                     "\". Expected a strictly positive value. Received filters=" + std::to_string(filters_) + ".");
  detail::check_strides_and_dilation(strides_, dilation_rate_, n);
  kernel_initializer_.resolve();
  bias_initializer_.resolve("zeros");
  InputSpec spec;
  spec.min_ndim = rank + 2;
  set_input_spec({spec});
}

Shape BaseConvTranspose::compute_output_shape(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  detail::require_conv_rank(*this, input_shape, rank_, cf);
  std::vector<std::int64_t> spatial = detail::spatial_dims(input_shape, cf);
  for (int i = 0; i < rank_; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (spatial[u] < 0) continue;
    const std::int64_t k = (kernel_size_[u] - 1) * dilation_rate_[u] + 1, s = strides_[u];
    if (!output_padding_)
      spatial[u] = padding_ == "valid" ? spatial[u] * s + std::max<std::int64_t>(k - s, 0) : spatial[u] * s;
    else
      spatial[u] = (spatial[u] - 1) * s + k - 2 * (padding_ == "same" ? k / 2 : 0) + (*output_padding_)[u];
  }
  return detail::with_spatial(input_shape.dims()[0], spatial, filters_, cf);
}

void BaseConvTranspose::build(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  const std::int64_t channels = detail::input_channels(*this, input_shape, rank_, cf);
  Shape kernel_shape(kernel_size_);
  kernel_shape.push_back(filters_);
  kernel_shape.push_back(channels);
  kernel_ = add_weight("kernel", kernel_shape, kernel_initializer_, true);
  if (use_bias_) bias_ = add_weight("bias", {filters_}, bias_initializer_.resolve("zeros"), true);
  set_input_spec({detail::channel_spec(rank_, cf, channels)});
}

Tensor BaseConvTranspose::call(const Tensor& x) {
  Tensor y = ops::conv_transpose(x, kernel_, strides_, padding_, output_padding_.value_or(Ints{}), data_format_,
                                 dilation_rate_);
  if (use_bias_) y = detail::add_channel_bias(y, bias_, data_format_ == "channels_first");
  return activation_(y);
}

Config BaseConvTranspose::get_config() const {
  Config c = base_config();
  c["filters"] = filters_;
  c["kernel_size"] = detail::ints_json(kernel_size_);
  c["strides"] = detail::ints_json(strides_);
  c["padding"] = padding_;
  c["output_padding"] = output_padding_ ? detail::ints_json(*output_padding_) : Config(nullptr);
  c["data_format"] = data_format_;
  c["dilation_rate"] = detail::ints_json(dilation_rate_);
  c["activation"] = activation_.name();
  c["use_bias"] = use_bias_;
  c["kernel_initializer"] = initializers::serialize(*kernel_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["kernel_regularizer"] = regularizers::to_json(weight_regularizer("kernel"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["activity_regularizer"] = activity_regularizer() ? activity_regularizer()->to_json() : Config(nullptr);
  c["kernel_constraint"] = constraints::to_json(weight_constraint("kernel"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  return c;
}

Conv1DTranspose::Conv1DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options)
    : BaseConvTranspose(1, "Conv1DTranspose", filters, kernel_size, std::move(options)) {}
Conv2DTranspose::Conv2DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options)
    : BaseConvTranspose(2, "Conv2DTranspose", filters, kernel_size, std::move(options)) {}
Conv3DTranspose::Conv3DTranspose(std::int64_t filters, const Ints& kernel_size, ConvTransposeOptions options)
    : BaseConvTranspose(3, "Conv3DTranspose", filters, kernel_size, std::move(options)) {}

}  // namespace keras::layers
