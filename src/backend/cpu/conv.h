#pragma once
// N-d convolution kernels (1 to 3 spatial dims), channels last, on raw row-major pointers.
//
//   x (n, in0, in1, in2, c)      c = groups * cg
//   w (k0, k1, k2, cg, f)        f = groups * fg (Keras's kernel layout (k..., in/groups, out))
//   y (n, out0, out1, out2, f)
// Output position o reads input position o * stride - pad + t * dilation for tap t; positions
// outside [0, in) read zeros. Fewer than 3 spatial dims are leading size-1 dims, so Conv1D's
// (n, len, c) is (n, 1, 1, len, c).
//
// conv_forward:        y  = conv(x, w)
// conv_backward_input: dx = the adjoint of conv_forward in x, given dy (Keras's conv_transpose)
// conv_backward_kernel: dw = the adjoint of conv_forward in w, given x and dy
// The fast versions go through im2col + BLAS gemm (a direct loop when each group has a single
// input channel, as in depthwise convolutions); each keeps a naive reference twin.
#include <cstdint>

namespace keras::backend::cpu {

struct ConvGeometry {
  std::int64_t n = 0, c = 0, f = 0, groups = 1;
  std::int64_t in[3] = {1, 1, 1};
  std::int64_t out[3] = {1, 1, 1};
  std::int64_t k[3] = {1, 1, 1};
  std::int64_t stride[3] = {1, 1, 1};
  std::int64_t dilation[3] = {1, 1, 1};
  std::int64_t pad[3] = {0, 0, 0};  // leading padding; trailing padding is implied by out

  std::int64_t cg() const { return c / groups; }
  std::int64_t fg() const { return f / groups; }
  std::int64_t in_positions() const { return in[0] * in[1] * in[2]; }
  std::int64_t out_positions() const { return out[0] * out[1] * out[2]; }
  std::int64_t taps() const { return k[0] * k[1] * k[2]; }
  // A 1x1 convolution with unit strides and no padding is a plain matrix product.
  bool is_pointwise() const;
};

// ---- shared by the convolution and pooling kernels ----

// Output row r (one output position of one sample) decoded into sample and position.
struct OutPos {
  std::int64_t n, o[3];
};

inline OutPos decode_row(const ConvGeometry& g, std::int64_t r) {
  OutPos p;
  const std::int64_t positions = g.out_positions();
  p.n = r / positions;
  std::int64_t rem = r % positions;
  p.o[2] = rem % g.out[2];
  rem /= g.out[2];
  p.o[1] = rem % g.out[1];
  p.o[0] = rem / g.out[1];
  return p;
}

// Calls fn(tap_index, input_offset) for each tap of output position p whose input position
// lies inside the input (input_offset counts elements of x, channel 0).
template <typename F>
inline void for_each_tap(const ConvGeometry& g, const OutPos& p, F&& fn) {
  std::int64_t tap = 0;
  for (std::int64_t t0 = 0; t0 < g.k[0]; ++t0) {
    const std::int64_t i0 = p.o[0] * g.stride[0] - g.pad[0] + t0 * g.dilation[0];
    if (i0 < 0 || i0 >= g.in[0]) {
      tap += g.k[1] * g.k[2];
      continue;
    }
    for (std::int64_t t1 = 0; t1 < g.k[1]; ++t1) {
      const std::int64_t i1 = p.o[1] * g.stride[1] - g.pad[1] + t1 * g.dilation[1];
      if (i1 < 0 || i1 >= g.in[1]) {
        tap += g.k[2];
        continue;
      }
      for (std::int64_t t2 = 0; t2 < g.k[2]; ++t2, ++tap) {
        const std::int64_t i2 = p.o[2] * g.stride[2] - g.pad[2] + t2 * g.dilation[2];
        if (i2 < 0 || i2 >= g.in[2]) continue;
        fn(tap, (((p.n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.c);
      }
    }
  }
}

template <typename T>
void conv_forward(const ConvGeometry& g, const T* x, const T* w, T* y);
template <typename T>
void conv_backward_input(const ConvGeometry& g, const T* dy, const T* w, T* dx);
template <typename T>
void conv_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw);

// Reference twins: one multiply-add at a time, accumulated in double.
template <typename T>
void conv_forward_reference(const ConvGeometry& g, const T* x, const T* w, T* y);
template <typename T>
void conv_backward_input_reference(const ConvGeometry& g, const T* dy, const T* w, T* dx);
template <typename T>
void conv_backward_kernel_reference(const ConvGeometry& g, const T* x, const T* dy, T* dw);

}  // namespace keras::backend::cpu
