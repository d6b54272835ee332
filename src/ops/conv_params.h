#pragma once
// What the convolution and pooling ops (src/ops/conv.cpp, src/ops/pooling.cpp) keep in their
// attrs, and the window arithmetic they share with their kernels.
//
// attrs.ints = {d, groups, mode, stride[d], dilation[d], pad_lo[d], pad_hi[d], size[d]}
//   d: spatial dims (1..3); mode: how the padding of a window over an input of length `in`
//   is found (valid: none; same: TensorFlow's, extra on the right; causal: all on the left;
//   explicit: pad_lo / pad_hi as stored). `size` is op-specific: the input spatial shape an
//   op produces (conv_transpose), or the kernel / pool window (conv_kernel_grad, pooling).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "../backend/cpu/conv.h"
#include "keras/core/errors.h"
#include "keras/core/shape.h"
#include "keras/core/tensor.h"

namespace keras::ops::detail {

enum PadMode : std::int64_t { kPadValid = 0, kPadSame = 1, kPadCausal = 2, kPadExplicit = 3 };

struct ConvParams {
  int d = 0;
  std::int64_t groups = 1;
  std::int64_t mode = kPadValid;
  std::int64_t stride[3] = {1, 1, 1};
  std::int64_t dilation[3] = {1, 1, 1};
  std::int64_t pad_lo[3] = {0, 0, 0};
  std::int64_t pad_hi[3] = {0, 0, 0};
  std::int64_t size[3] = {0, 0, 0};
};

inline void pack(const ConvParams& p, Attrs& attrs) {
  auto& v = attrs.ints;
  v.clear();
  v.push_back(p.d);
  v.push_back(p.groups);
  v.push_back(p.mode);
  for (const std::int64_t* field : {p.stride, p.dilation, p.pad_lo, p.pad_hi, p.size})
    for (int i = 0; i < p.d; ++i) v.push_back(field[i]);
}

// Reads the attrs without allocating (kernels call it on every run of a compiled plan).
inline ConvParams unpack(const Attrs& attrs) {
  ConvParams p;
  const auto& v = attrs.ints;
  p.d = static_cast<int>(v[0]);
  p.groups = v[1];
  p.mode = v[2];
  std::size_t at = 3;
  for (std::int64_t* field : {p.stride, p.dilation, p.pad_lo, p.pad_hi, p.size})
    for (int i = 0; i < p.d; ++i) field[i] = v[at++];
  return p;
}

inline std::int64_t effective_window(std::int64_t k, std::int64_t dilation) { return (k - 1) * dilation + 1; }

// Leading and trailing padding of dim i for an input of known length `in`.
inline void resolve_padding(const ConvParams& p, int i, std::int64_t in, std::int64_t window, std::int64_t& lo,
                            std::int64_t& hi) {
  const std::int64_t eff = effective_window(window, p.dilation[i]);
  switch (p.mode) {
    case kPadValid: lo = hi = 0; return;
    case kPadCausal: lo = eff - 1, hi = 0; return;
    case kPadSame: {
      const std::int64_t out = (in + p.stride[i] - 1) / p.stride[i];
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * p.stride[i] + eff - in);
      lo = total / 2;
      hi = total - lo;
      return;
    }
    default: lo = p.pad_lo[i], hi = p.pad_hi[i]; return;
  }
}

// Output length of a window sweep, or -1 when `in` is unknown. May be <= 0 (callers check).
inline std::int64_t window_output_length(const ConvParams& p, int i, std::int64_t in, std::int64_t window) {
  if (in < 0) return -1;
  std::int64_t lo = 0, hi = 0;
  resolve_padding(p, i, in, window, lo, hi);
  const std::int64_t span = in + lo + hi - effective_window(window, p.dilation[i]);
  return span < 0 ? 0 : span / p.stride[i] + 1;
}

// The kernel geometry: x (n, in..., c), windows `window`, y (n, out..., f). Spatial dims sit
// right-aligned in the three slots. Shapes here are concrete.
inline backend::cpu::ConvGeometry make_geometry(const ConvParams& p, const Shape& x, const std::int64_t* window,
                                                const Shape& y, std::int64_t groups) {
  backend::cpu::ConvGeometry g;
  g.n = x.dims()[0];
  g.c = x.dims().back();
  g.f = y.dims().back();
  g.groups = groups;
  for (int i = 0; i < p.d; ++i) {
    const int slot = 3 - p.d + i;
    g.in[slot] = x.dims()[static_cast<std::size_t>(1 + i)];
    g.out[slot] = y.dims()[static_cast<std::size_t>(1 + i)];
    g.k[slot] = window[i];
    g.stride[slot] = p.stride[i];
    g.dilation[slot] = p.dilation[i];
    std::int64_t hi = 0;
    resolve_padding(p, i, g.in[slot], window[i], g.pad[slot], hi);
  }
  return g;
}

inline std::string tuple_string(const std::int64_t* v, int n) {
  std::string s = "(";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (n == 1 ? ",)" : ")");
}

inline std::string tuple_string(const std::vector<std::int64_t>& v) {
  return tuple_string(v.data(), static_cast<int>(v.size()));
}

// "valid" / "same" / "causal" (any case) -> PadMode; ValueError naming the argument otherwise.
inline PadMode parse_padding(const std::string& padding, bool allow_causal, const std::string& op) {
  std::string s;
  for (char ch : padding) s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (s == "valid") return kPadValid;
  if (s == "same") return kPadSame;
  if (s == "causal" && allow_causal) return kPadCausal;
  throw ValueError(std::string("Op '") + op + "': the `padding` argument must be one of 'valid', 'same'" +
                   (allow_causal ? ", 'causal'" : "") + ". Received: padding=" + padding);
}

// One value for every spatial dim, or one per dim; each strictly positive.
inline void expand_tuple(const std::vector<std::int64_t>& v, int d, const char* name, const std::string& op,
                         std::int64_t* out) {
  if (v.size() != 1 && v.size() != static_cast<std::size_t>(d))
    throw ValueError("Op '" + op + "': the `" + name + "` argument must be an int or a tuple of " +
                     std::to_string(d) + " integers. Received: " + name + "=" + tuple_string(v));
  for (int i = 0; i < d; ++i) {
    out[i] = v.size() == 1 ? v[0] : v[static_cast<std::size_t>(i)];
    if (out[i] <= 0)
      throw ValueError("Op '" + op + "': the `" + name + "` argument must contain strictly positive integers. "
                       "Received: " + name + "=" + tuple_string(v));
  }
}

// ---- the conv layers' fused op (internal: Keras has no public op for it) ----

/// relu(conv(inputs, kernel) + bias) when `relu`, else conv(inputs, kernel) + bias, channels
/// last, as one op: the bias and relu are applied as each output row is finished, and the
/// gradient masks the output gradient once (folded into a max-pooling gradient when the
/// output feeds one). Arguments as ops::conv's; bias (filters).
Tensor conv_bias(const Tensor& inputs, const Tensor& kernel, const Tensor& bias, bool relu,
                 const std::vector<std::int64_t>& strides, const std::string& padding,
                 const std::vector<std::int64_t>& dilation_rate);

/// The gradient of y = relu(z) given the gradient in y: where(y > 0, grad, 0), or one masked
/// max-pooling gradient when `grad` is a traced max_pool_grad(y, dy) (pooling.cpp).
Tensor relu_gradient(const Tensor& grad, const Tensor& y);

// "channels_last" -> false, "channels_first" -> true; ValueError otherwise.
inline bool parse_channels_first(const std::string& data_format) {
  if (data_format == "channels_last") return false;
  if (data_format == "channels_first") return true;
  throw ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: "
                   "data_format=" + data_format);
}

}  // namespace keras::ops::detail
