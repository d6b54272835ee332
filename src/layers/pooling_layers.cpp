// Max/Average pooling (BasePooling) and global pooling (BaseGlobalPooling) layers.
#include "keras/layers/pooling.h"

#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers {

namespace {

InputSpec rank_spec(int rank) {
  InputSpec spec;
  spec.ndim = rank;
  return spec;
}

std::string layout(int dims, bool channels_first) {
  return channels_first ? "(batch, channels, " + std::to_string(dims) + " spatial dims)"
                        : "(batch, " + std::to_string(dims) + " spatial dims, channels)";
}

}  // namespace

// ---- BasePooling ------------------------------------------------------------------------------

BasePooling::BasePooling(int dims, const std::string& class_name, const std::string& pool_mode,
                         const Ints& pool_size, PoolingOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      dims_(dims), pool_mode_(pool_mode) {
  const std::string& n = name();
  pool_size_ = detail::standardize_tuple(pool_size, dims, "pool_size", n);
  strides_ = detail::standardize_tuple(o.strides.empty() ? pool_size : o.strides, dims, "strides", n);
  padding_ = detail::standardize_padding(o.padding, false, n);
  data_format_ = detail::standardize_data_format(o.data_format, n);
  set_input_spec({rank_spec(dims + 2)});
}

Shape BasePooling::compute_output_shape(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  detail::require_rank(input_shape, dims_ + 2, name(), class_name(), layout(dims_, cf));
  std::vector<std::int64_t> spatial = detail::spatial_dims(input_shape, cf);
  for (int i = 0; i < dims_; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (spatial[u] < 0) continue;
    if (padding_ == "valid") {
      const std::int64_t span = spatial[u] - pool_size_[u];
      if (span < 0)
        throw ValueError("Layer \"" + name() + "\" (" + class_name() +
                         "): computed output size would be zero or negative (the pool window is larger than the "
                         "input with padding=\"valid\"). Received: inputs shape=" + input_shape.to_string() +
                         ", pool_size=" + detail::ints_string(pool_size_) + ", strides=" +
                         detail::ints_string(strides_));
      spatial[u] = span / strides_[u] + 1;
    } else {
      spatial[u] = (spatial[u] - 1) / strides_[u] + 1;
    }
  }
  const std::int64_t channels = cf ? input_shape.dims()[1] : input_shape.dims().back();
  return detail::with_spatial(input_shape.dims()[0], spatial, channels, cf);
}

Tensor BasePooling::call(const Tensor& x) {
  compute_output_shape(x.shape());  // the layer's own error before the op's
  if (pool_mode_ == "max") return ops::max_pool(x, pool_size_, strides_, padding_, data_format_);
  return ops::average_pool(x, pool_size_, strides_, padding_, data_format_);
}

Config BasePooling::get_config() const {
  Config c = base_config();
  c["pool_size"] = detail::ints_json(pool_size_);
  c["padding"] = padding_;
  c["strides"] = detail::ints_json(strides_);
  c["data_format"] = data_format_;
  return c;
}

MaxPooling1D::MaxPooling1D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(1, "MaxPooling1D", "max", pool_size, std::move(o)) {}
MaxPooling2D::MaxPooling2D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(2, "MaxPooling2D", "max", pool_size, std::move(o)) {}
MaxPooling3D::MaxPooling3D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(3, "MaxPooling3D", "max", pool_size, std::move(o)) {}
AveragePooling1D::AveragePooling1D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(1, "AveragePooling1D", "average", pool_size, std::move(o)) {}
AveragePooling2D::AveragePooling2D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(2, "AveragePooling2D", "average", pool_size, std::move(o)) {}
AveragePooling3D::AveragePooling3D(const Ints& pool_size, PoolingOptions o)
    : BasePooling(3, "AveragePooling3D", "average", pool_size, std::move(o)) {}

// ---- BaseGlobalPooling ------------------------------------------------------------------------

BaseGlobalPooling::BaseGlobalPooling(int dims, const std::string& class_name, bool max, GlobalPoolingOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, class_name),
      dims_(dims), max_(max), keepdims_(o.keepdims) {
  data_format_ = detail::standardize_data_format(o.data_format, name());
  set_input_spec({rank_spec(dims + 2)});
}

Shape BaseGlobalPooling::compute_output_shape(const Shape& input_shape) {
  const bool cf = data_format_ == "channels_first";
  detail::require_rank(input_shape, dims_ + 2, name(), class_name(), layout(dims_, cf));
  const std::int64_t channels = cf ? input_shape.dims()[1] : input_shape.dims().back();
  if (!keepdims_) return Shape{input_shape.dims()[0], channels};
  return detail::with_spatial(input_shape.dims()[0], std::vector<std::int64_t>(static_cast<std::size_t>(dims_), 1),
                              channels, cf);
}

Tensor BaseGlobalPooling::call(const Tensor& x) {
  compute_output_shape(x.shape());
  ops::Axes axes;
  const int first = data_format_ == "channels_first" ? 2 : 1;
  for (int i = 0; i < dims_; ++i) axes.push_back(first + i);
  return max_ ? ops::max(x, axes, keepdims_) : ops::mean(x, axes, keepdims_);
}

Config BaseGlobalPooling::get_config() const {
  Config c = base_config();
  c["data_format"] = data_format_;
  c["keepdims"] = keepdims_;
  return c;
}

GlobalMaxPooling1D::GlobalMaxPooling1D(GlobalPoolingOptions o)
    : BaseGlobalPooling(1, "GlobalMaxPooling1D", true, std::move(o)) {}
GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPoolingOptions o)
    : BaseGlobalPooling(2, "GlobalMaxPooling2D", true, std::move(o)) {}
GlobalMaxPooling3D::GlobalMaxPooling3D(GlobalPoolingOptions o)
    : BaseGlobalPooling(3, "GlobalMaxPooling3D", true, std::move(o)) {}
GlobalAveragePooling1D::GlobalAveragePooling1D(GlobalPoolingOptions o)
    : BaseGlobalPooling(1, "GlobalAveragePooling1D", false, std::move(o)) {}
GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPoolingOptions o)
    : BaseGlobalPooling(2, "GlobalAveragePooling2D", false, std::move(o)) {}
GlobalAveragePooling3D::GlobalAveragePooling3D(GlobalPoolingOptions o)
    : BaseGlobalPooling(3, "GlobalAveragePooling3D", false, std::move(o)) {}

}  // namespace keras::layers
