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
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "scratch.h"

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

// One line of output rows: the positions that differ only in the last spatial dim. Every
// position of a line sees the same in-bounds taps in the leading dims, so the line's tap list
// is built once: entry i is tap `tap[i]`, reading x at off[i] + o2 * stride[2] * c (channel 0)
// for position o2 when that input position, o2 * stride[2] + t2[i], lies inside [0, in[2]).
// Positions in [lo, hi) are interior: every entry is in bounds there.
struct TapLine {
  std::int64_t count = 0, lo = 0, hi = 0;
  const std::int64_t* tap = nullptr;
  const std::int64_t* off = nullptr;
  const std::int64_t* t2 = nullptr;
};

namespace conv_detail {
// 32 bytes of T as a GCC/Clang vector extension type (left to itself, GCC often interchanges
// the kernels' register-blocked loops into scalar ones); loads and stores are unaligned.
template <typename T>
struct Vector32;
template <>
struct Vector32<float> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Vector32<double> {
  typedef double type __attribute__((vector_size(32)));
};

template <typename T>
inline typename Vector32<T>::type load_vec(const T* p) {
  typename Vector32<T>::type v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <typename T>
inline void store_vec(T* p, typename Vector32<T>::type v) {
  std::memcpy(p, &v, sizeof(v));
}

// Leased scratch (scratch.h) for a line's tap list and for one border row's filtered copy.
enum class WalkScratch { line, border };
}  // namespace conv_detail

// Visits output rows [r0, r1) in order, a line at a time: fn(r, o2_begin, o2_end, line)
// covers rows r .. r + (o2_end - o2_begin) - 1, positions o2_begin .. o2_end - 1 of the line.
// Rows are decoded once (no division per row) and tap lists built once per line.
template <typename F>
void for_each_line(const ConvGeometry& g, std::int64_t r0, std::int64_t r1, F&& fn) {
  if (r0 >= r1) return;
  const ScratchLease<std::int64_t, conv_detail::WalkScratch::line> walk(static_cast<std::size_t>(3 * g.taps()));
  std::int64_t* buf = walk.data();
  std::int64_t* tap = buf;
  std::int64_t* off = buf + g.taps();
  std::int64_t* t2 = buf + 2 * g.taps();
  OutPos p = decode_row(g, r0);
  // Interior positions along the last dim: o2 * s - pad >= 0 and o2 * s - pad + (k - 1) * dil < in.
  const std::int64_t s2 = g.stride[2], reach = (g.k[2] - 1) * g.dilation[2];
  const std::int64_t lo = std::min(g.out[2], (g.pad[2] + s2 - 1) / s2);
  const std::int64_t last = g.in[2] - 1 - reach + g.pad[2];
  const std::int64_t hi = std::max(lo, last < 0 ? std::int64_t{0} : std::min(g.out[2], last / s2 + 1));
  for (std::int64_t r = r0; r < r1;) {
    TapLine line;
    line.tap = tap, line.off = off, line.t2 = t2, line.lo = lo, line.hi = hi;
    std::int64_t count = 0, index = 0;
    for (std::int64_t a = 0; a < g.k[0]; ++a) {
      const std::int64_t i0 = p.o[0] * g.stride[0] - g.pad[0] + a * g.dilation[0];
      for (std::int64_t b = 0; b < g.k[1]; ++b) {
        const std::int64_t i1 = p.o[1] * g.stride[1] - g.pad[1] + b * g.dilation[1];
        const bool inside = i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1];
        for (std::int64_t t = 0; t < g.k[2]; ++t, ++index) {
          if (!inside) continue;
          const std::int64_t rel = t * g.dilation[2] - g.pad[2];
          tap[count] = index;
          off[count] = (((p.n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + rel) * g.c;
          t2[count++] = rel;
        }
      }
    }
    line.count = count;
    const std::int64_t end = std::min(g.out[2], p.o[2] + (r1 - r));
    fn(r, p.o[2], end, static_cast<const TapLine&>(line));
    r += end - p.o[2];
    p.o[2] = 0;
    if (++p.o[1] == g.out[1]) {
      p.o[1] = 0;
      if (++p.o[0] == g.out[0]) p.o[0] = 0, ++p.n;
    }
  }
}

// The entries of `line` in bounds at position o2 (one not in [lo, hi)), copied to tap/off.
inline std::int64_t border_taps(const ConvGeometry& g, const TapLine& line, std::int64_t o2, std::int64_t* tap,
                                std::int64_t* off) {
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < line.count; ++i) {
    const std::int64_t i2 = o2 * g.stride[2] + line.t2[i];
    if (i2 < 0 || i2 >= g.in[2]) continue;
    tap[count] = line.tap[i];
    off[count++] = line.off[i];
  }
  return count;
}

// Scratch for one border position's entries: (tap, off), each g.taps() long.
using BorderLease = ScratchLease<std::int64_t, conv_detail::WalkScratch::border>;
inline BorderLease border_buffer(const ConvGeometry& g) { return BorderLease(static_cast<std::size_t>(2 * g.taps())); }

// Visits output rows [r0, r1) in order: fn(r, count, tap, off, shift), where row r's in-bounds
// taps are tap[0..count) reading x at off[i] + shift (channel 0).
template <typename F>
void for_each_row(const ConvGeometry& g, std::int64_t r0, std::int64_t r1, F&& fn) {
  const BorderLease border = border_buffer(g);
  std::int64_t* border_tap = border.data();
  std::int64_t* border_off = border_tap + g.taps();
  for_each_line(g, r0, r1, [&](std::int64_t r, std::int64_t b, std::int64_t e, const TapLine& line) {
    const std::int64_t step = g.stride[2] * g.c;
    for (std::int64_t o2 = b; o2 < e; ++o2, ++r) {
      if (o2 >= line.lo && o2 < line.hi) {
        fn(r, line.count, line.tap, line.off, o2 * step);
        continue;
      }
      const std::int64_t count = border_taps(g, line, o2, border_tap, border_off);
      fn(r, count, static_cast<const std::int64_t*>(border_tap), static_cast<const std::int64_t*>(border_off),
         o2 * step);
    }
  });
}

// What conv_forward applies to each output element once its sum is complete (while the row
// is still in registers or cache): y = relu(y + bias[j]) for filter j; no bias when null, no
// relu unless set. The same roundings as a separate add and relu, so the same values.
template <typename T>
struct ConvEpilogue {
  const T* bias = nullptr;  // (f)
  bool relu = false;        // max(y, 0), keeping nan (as the relu op does)
};

template <typename T>
void conv_forward(const ConvGeometry& g, const T* x, const T* w, T* y, ConvEpilogue<T> epilogue = {});
template <typename T>
void conv_backward_input(const ConvGeometry& g, const T* dy, const T* w, T* dx);
// With db (f), also db = the sums of dy over its rows: the gradient of a bias added to y,
// taken while dy's rows are in cache for dw.
template <typename T>
void conv_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw, T* db = nullptr);

// Tests only: false makes the one-input-channel kernels use their AVX2 versions even where
// AVX-512 is available (both compute the same values; the tests check that they do).
void conv_allow_wide_isa(bool allow);

// Reference twins: one multiply-add at a time, accumulated in double.
template <typename T>
void conv_forward_reference(const ConvGeometry& g, const T* x, const T* w, T* y);
template <typename T>
void conv_backward_input_reference(const ConvGeometry& g, const T* dy, const T* w, T* dx);
template <typename T>
void conv_backward_kernel_reference(const ConvGeometry& g, const T* x, const T* dy, T* dw);

}  // namespace keras::backend::cpu
