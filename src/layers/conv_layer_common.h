#pragma once
// Pieces shared by the convolution layers (conv_layers.cpp, conv_depthwise_layers.cpp).
#include <algorithm>
#include <string>
#include <vector>

#include "keras/layers/convolutional.h"
#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers::detail {

inline std::string layer_label(const Layer& layer) { return "\"" + layer.name() + "\" (" + layer.class_name() + ")"; }

/// An input of rank rank+2; ValueError naming the layer and the shape otherwise.
inline void require_conv_rank(const Layer& layer, const Shape& s, int rank, bool channels_first) {
  if (s.rank() != rank + 2)
    throw ValueError("Input 0 of layer " + layer_label(layer) + " is incompatible with the layer: expected ndim=" +
                     std::to_string(rank + 2) + (channels_first ? " (batch, channels, " : " (batch, ") +
                     std::to_string(rank) + " spatial dims" + (channels_first ? ")" : ", channels)") +
                     ", found ndim=" + std::to_string(s.rank()) + ". Full shape received: " + s.to_string());
}

/// The defined channel count of a conv layer's input.
inline std::int64_t input_channels(const Layer& layer, const Shape& s, int rank, bool channels_first) {
  require_conv_rank(layer, s, rank, channels_first);
  const std::int64_t c = channels_first ? s.dims()[1] : s.dims().back();
  if (c < 0)
    throw ValueError("The channel dimension of the inputs to layer " + layer_label(layer) +
                     " should be defined. Found None. Full shape received: " + s.to_string());
  return c;
}

inline InputSpec channel_spec(int rank, bool channels_first, std::int64_t channels) {
  InputSpec spec;
  spec.min_ndim = rank + 2;
  spec.axes[channels_first ? 1 : -1] = channels;
  return spec;
}

inline void check_strides_and_dilation(const std::vector<std::int64_t>& strides,
                                       const std::vector<std::int64_t>& dilation, const std::string& layer) {
  if (*std::max_element(strides.begin(), strides.end()) > 1 && *std::max_element(dilation.begin(), dilation.end()) > 1)
    throw ValueError("Layer \"" + layer + "\": `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                     "Received: strides=" + ints_string(strides) + " and dilation_rate=" + ints_string(dilation));
}

/// Keras's compute_conv_output_shape, with errors naming the layer.
inline Shape conv_output_shape(const Layer& layer, const Shape& input_shape, int rank, bool channels_first,
                               std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                               const std::vector<std::int64_t>& strides, const std::string& padding,
                               const std::vector<std::int64_t>& dilation) {
  require_conv_rank(layer, input_shape, rank, channels_first);
  std::vector<std::int64_t> spatial = spatial_dims(input_shape, channels_first);
  for (int i = 0; i < rank; ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (spatial[u] < 0) continue;
    if (padding == "valid") {
      const std::int64_t span = spatial[u] - dilation[u] * (kernel_size[u] - 1) - 1;
      const std::int64_t out = span < 0 ? 0 : span / strides[u] + 1;
      if (out <= 0)
        throw ValueError("Layer " + layer_label(layer) +
                         ": computed output size would be zero or negative (the kernel is larger than the input "
                         "with padding=\"valid\"). Received: inputs shape=" + input_shape.to_string() +
                         ", kernel_size=" + ints_string(kernel_size) + ", dilation_rate=" + ints_string(dilation) +
                         ", strides=" + ints_string(strides));
      spatial[u] = out;
    } else {
      spatial[u] = (spatial[u] - 1) / strides[u] + 1;
    }
  }
  return with_spatial(input_shape.dims()[0], spatial, filters, channels_first);
}

/// y + bias along the channel axis.
inline Tensor add_channel_bias(const Tensor& y, const Tensor& bias, bool channels_first) {
  if (!channels_first) return ops::add(y, bias);
  Shape s{bias.shape()[0]};
  for (int i = 2; i < y.rank(); ++i) s.push_back(1);
  return ops::add(y, ops::reshape(bias, s));
}

}  // namespace keras::layers::detail
