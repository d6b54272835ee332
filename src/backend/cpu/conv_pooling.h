#pragma once
// Max and average pooling (1 to 3 spatial dims, channels last) on raw pointers, with their
// adjoints and naive reference twins. The geometry is a ConvGeometry with f == c, k the pool
// size and unit dilation:
//   x (n, in0, in1, in2, c) -> y (n, out0, out1, out2, c)
// Window positions in the padding are excluded: a max ignores them, an average divides by
// the number of positions inside the input (TensorFlow's "same" pooling).
// Ties in a max window go to the first position in row-major window order.
//
// relu_mask (max_pool_backward, max_pool_gather): x is a relu's output and the relu's gradient
// is folded in: a window whose maximum is not > 0 passes no gradient (where(x > 0, ., 0) on the
// unmasked result, computed without a pass of its own).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "conv.h"
#include "keras/backend/parallel.h"

namespace keras::backend::cpu {

namespace pool_detail {

// Grow-only, for passes that run on the calling thread only: chunks of a parallel loop lease
// their scratch (scratch.h), since any pool thread may take any chunk.
template <typename T>
T* thread_buffer(std::int64_t elements) {
  thread_local std::vector<T> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < elements) buffer.resize(static_cast<std::size_t>(elements));
  return buffer.data();
}

using conv_detail::load_vec;
using conv_detail::store_vec;

template <typename T>
constexpr std::int64_t kVecLanes =
    static_cast<std::int64_t>(sizeof(typename conv_detail::Vector32<T>::type) / sizeof(T));

// y (c) = the maximum over a window's entries (entry i at xs + off[i]); -inf for none. Whole
// vectors of channels keep the running maximum in a register.
template <typename T>
void window_max(const T* xs, const std::int64_t* off, std::int64_t count, std::int64_t c, T* __restrict y) {
  using Vec = typename conv_detail::Vector32<T>::type;
  constexpr std::int64_t L = kVecLanes<T>;
  std::int64_t j = 0;
  for (; j + L <= c; j += L) {
    Vec m = Vec{} - std::numeric_limits<T>::infinity();
    for (std::int64_t i = 0; i < count; ++i) {
      const Vec v = load_vec(xs + off[i] + j);
      m = v > m ? v : m;
    }
    store_vec(y + j, m);
  }
  for (; j < c; ++j) {
    T m = -std::numeric_limits<T>::infinity();
    for (std::int64_t i = 0; i < count; ++i) m = xs[off[i] + j] > m ? xs[off[i] + j] : m;
    y[j] = m;
  }
}

// For a window of count >= 1 entries and disjoint windows: writes the window's whole dx, dy at
// each channel's argmax entry and zero elsewhere. The argmax is the one window_argmax finds
// (the first maximum), kept in registers for whole vectors of channels.
template <typename T, bool kReluMask>
void window_grad_disjoint(const T* xs, T* dxs, const std::int64_t* off, std::int64_t count, std::int64_t c,
                          const T* __restrict dyr) {
  using Vec = typename conv_detail::Vector32<T>::type;
  constexpr std::int64_t L = kVecLanes<T>;
  std::int64_t j = 0;
  for (; j + L <= c; j += L) {
    Vec best = load_vec(xs + off[0] + j), which = Vec{};
    for (std::int64_t i = 1; i < count; ++i) {
      const Vec v = load_vec(xs + off[i] + j);
      const auto take = v > best;
      best = take ? v : best;
      which = take ? Vec{} + static_cast<T>(i) : which;
    }
    Vec d = load_vec(dyr + j);
    if constexpr (kReluMask) d = best > Vec{} ? d : Vec{};
    for (std::int64_t i = 0; i < count; ++i) store_vec(dxs + off[i] + j, which == static_cast<T>(i) ? d : Vec{});
  }
  for (; j < c; ++j) {
    T best = xs[off[0] + j];
    std::int64_t which = 0;
    for (std::int64_t i = 1; i < count; ++i)
      if (xs[off[i] + j] > best) best = xs[off[i] + j], which = i;
    const T d = !kReluMask || best > T(0) ? dyr[j] : T(0);
    for (std::int64_t i = 0; i < count; ++i) dxs[off[i] + j] = i == which ? d : T(0);
  }
}

template <typename T>
void argmax_update(const T* __restrict xv, T entry, std::int64_t c, T* __restrict best, T* __restrict which) {
  for (std::int64_t j = 0; j < c; ++j) {
    const bool take = xv[j] > best[j];
    best[j] = take ? xv[j] : best[j];
    which[j] = take ? entry : which[j];
  }
}

// For a window with count >= 1 in-bounds positions (entry i at xs + off[i]): which[j] = the
// entry holding channel j's maximum, as a T (exact: windows have far fewer than 2^24
// positions), so that the branch-free select vectorises at the data's width. The first entry
// seeds the maximum and later ones replace it only when strictly greater: ties keep the first.
template <typename T>
void window_argmax(const T* xs, const std::int64_t* off, std::int64_t count, std::int64_t c, T* __restrict best,
                   T* __restrict which) {
  std::copy(xs + off[0], xs + off[0] + c, best);
  std::fill(which, which + c, T(0));
  for (std::int64_t i = 1; i < count; ++i) argmax_update(xs + off[i], static_cast<T>(i), c, best, which);
}

// True when no input position lies in two windows (stride >= window in every dim): then each
// dx element is written once, with no zero-fill and no accumulation.
inline bool windows_disjoint(const ConvGeometry& g) {
  for (int d = 0; d < 3; ++d)
    if (g.stride[d] < g.k[d]) return false;
  return true;
}

// Zeroes the dx positions that no window covers (disjoint windows skip positions when the
// stride exceeds the window, and "valid" pooling drops a trailing remainder).
template <typename T>
void zero_uncovered(const ConvGeometry& g, T* dx) {
  std::vector<char>* covered = thread_buffer<std::vector<char>>(3);
  for (int d = 0; d < 3; ++d) {
    covered[d].assign(static_cast<std::size_t>(g.in[d]), 0);
    for (std::int64_t o = 0; o < g.out[d]; ++o)
      for (std::int64_t t = 0; t < g.k[d]; ++t) {
        const std::int64_t i = o * g.stride[d] - g.pad[d] + t;
        if (i >= 0 && i < g.in[d]) covered[d][static_cast<std::size_t>(i)] = 1;
      }
  }
  bool all = true;
  for (int d = 0; d < 3; ++d) all = all && std::find(covered[d].begin(), covered[d].end(), 0) == covered[d].end();
  if (all) return;  // the usual case (e.g. 2x2 windows over an even size): no walk over dx
  const std::int64_t c = g.c, line = g.in[2] * c;
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t i0 = 0; i0 < g.in[0]; ++i0)
      for (std::int64_t i1 = 0; i1 < g.in[1]; ++i1) {
        T* dl = dx + ((n * g.in[0] + i0) * g.in[1] + i1) * line;
        if (!covered[0][static_cast<std::size_t>(i0)] || !covered[1][static_cast<std::size_t>(i1)]) {
          std::fill(dl, dl + line, T(0));
          continue;
        }
        for (std::int64_t i2 = 0; i2 < g.in[2]; ++i2)
          if (!covered[2][static_cast<std::size_t>(i2)]) std::fill(dl + i2 * c, dl + (i2 + 1) * c, T(0));
      }
}

}  // namespace pool_detail

template <typename T>
void max_pool_forward(const ConvGeometry& g, const T* x, T* y) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
               [&](std::int64_t begin, std::int64_t end) {
                 for_each_row(g, begin, end,
                              [&](std::int64_t r, std::int64_t count, const std::int64_t*, const std::int64_t* off,
                                  std::int64_t shift) {
                                pool_detail::window_max(x + shift, off, count, c, y + r * c);
                              });
               });
}

// dx = zeros with each dy entry added at its window's argmax (where the maximum is > 0 only,
// with relu_mask).
template <typename T>
void max_pool_backward(const ConvGeometry& g, const T* x, const T* dy, T* dx, bool relu_mask = false) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  if (pool_detail::windows_disjoint(g)) {
    pool_detail::zero_uncovered(g, dx);
    auto grad = [&](auto masked) {
      parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
                   [&](std::int64_t begin, std::int64_t end) {
                     for_each_row(g, begin, end,
                                  [&](std::int64_t r, std::int64_t count, const std::int64_t*,
                                      const std::int64_t* off, std::int64_t shift) {
                                    if (count > 0)
                                      pool_detail::window_grad_disjoint<T, decltype(masked)::value>(
                                          x + shift, dx + shift, off, count, c, dy + r * c);
                                  });
                   });
    };
    if (relu_mask) grad(std::true_type{});
    else grad(std::false_type{});
    return;
  }
  // Overlapping windows add into shared positions: one thread, in row order.
  std::fill(dx, dx + g.n * g.in_positions() * c, T(0));
  T* best = pool_detail::thread_buffer<T>(2 * c);
  T* which = best + c;
  for_each_row(g, 0, rows,
               [&](std::int64_t r, std::int64_t count, const std::int64_t*, const std::int64_t* off,
                   std::int64_t shift) {
                 if (count == 0) return;
                 pool_detail::window_argmax(x + shift, off, count, c, best, which);
                 for (std::int64_t j = 0; j < c; ++j)
                   if (!relu_mask || best[j] > T(0))
                     dx[shift + off[static_cast<std::int64_t>(which[j])] + j] += dy[r * c + j];
               });
}

// out (shaped like y) = h read at each window's argmax (zero where the maximum is not > 0, with
// relu_mask): the adjoint of max_pool_backward in dy.
template <typename T>
void max_pool_gather(const ConvGeometry& g, const T* x, const T* h, T* out, bool relu_mask = false) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
               [&](std::int64_t begin, std::int64_t end) {
                 const ScratchLease<T, 0> lease(static_cast<std::size_t>(2 * c));  // scratch.h
                 T* best = lease.data();
                 T* which = best + c;
                 for_each_row(g, begin, end,
                              [&](std::int64_t r, std::int64_t count, const std::int64_t*, const std::int64_t* off,
                                  std::int64_t shift) {
                                T* o = out + r * c;
                                if (count == 0) return std::fill(o, o + c, T(0));
                                pool_detail::window_argmax(x + shift, off, count, c, best, which);
                                for (std::int64_t j = 0; j < c; ++j)
                                  o[j] = !relu_mask || best[j] > T(0)
                                             ? h[shift + off[static_cast<std::int64_t>(which[j])] + j]
                                             : T(0);
                              });
               });
}

template <typename T>
void avg_pool_forward(const ConvGeometry& g, const T* x, T* y) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
               [&](std::int64_t begin, std::int64_t end) {
                 for_each_row(g, begin, end,
                              [&](std::int64_t r, std::int64_t count, const std::int64_t*, const std::int64_t* off,
                                  std::int64_t shift) {
                                T* __restrict yr = y + r * c;
                                std::fill(yr, yr + c, T(0));
                                for (std::int64_t i = 0; i < count; ++i) {
                                  const T* __restrict xv = x + shift + off[i];
                                  for (std::int64_t j = 0; j < c; ++j) yr[j] += xv[j];
                                }
                                const T scale = count > 0 ? T(1) / static_cast<T>(count) : T(0);
                                for (std::int64_t j = 0; j < c; ++j) yr[j] *= scale;
                              });
               });
}

// dx = each dy entry spread evenly over the in-bounds positions of its window.
template <typename T>
void avg_pool_backward(const ConvGeometry& g, const T* dy, T* dx) {
  const std::int64_t positions = g.out_positions(), c = g.c;
  std::fill(dx, dx + g.n * g.in_positions() * c, T(0));
  // Samples write disjoint parts of dx.
  parallel_for(g.n, 1, [&](std::int64_t begin, std::int64_t end) {
    for_each_row(g, begin * positions, end * positions,
                 [&](std::int64_t r, std::int64_t count, const std::int64_t*, const std::int64_t* off,
                     std::int64_t shift) {
                   if (count == 0) return;
                   const T scale = T(1) / static_cast<T>(count);
                   const T* __restrict dyr = dy + r * c;
                   for (std::int64_t i = 0; i < count; ++i) {
                     T* __restrict dxv = dx + shift + off[i];
                     for (std::int64_t j = 0; j < c; ++j) dxv[j] += dyr[j] * scale;
                   }
                 });
  });
}

// ---- reference twins: one output element at a time, explicit window bounds ----------------

namespace pool_detail {

// Calls fn(y_index, x_index) for each in-bounds window element of every output element.
template <typename F>
void for_each_window_element(const ConvGeometry& g, F&& fn) {
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t o0 = 0; o0 < g.out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < g.out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < g.out[2]; ++o2)
          for (std::int64_t j = 0; j < g.c; ++j) {
            const std::int64_t yi = (((n * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2) * g.c + j;
            fn(yi, std::int64_t{-1});  // start of a window
            for (std::int64_t t0 = 0; t0 < g.k[0]; ++t0)
              for (std::int64_t t1 = 0; t1 < g.k[1]; ++t1)
                for (std::int64_t t2 = 0; t2 < g.k[2]; ++t2) {
                  const std::int64_t i0 = o0 * g.stride[0] - g.pad[0] + t0;
                  const std::int64_t i1 = o1 * g.stride[1] - g.pad[1] + t1;
                  const std::int64_t i2 = o2 * g.stride[2] - g.pad[2] + t2;
                  if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) continue;
                  fn(yi, (((n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.c + j);
                }
          }
}

}  // namespace pool_detail

template <typename T>
void max_pool_reference(const ConvGeometry& g, const T* x, T* y, std::int64_t* argmax = nullptr) {
  pool_detail::for_each_window_element(g, [&](std::int64_t yi, std::int64_t xi) {
    if (xi < 0) {
      y[yi] = -std::numeric_limits<T>::infinity();
      if (argmax) argmax[yi] = -1;
    } else if (x[xi] > y[yi] || (argmax && argmax[yi] < 0)) {
      y[yi] = x[xi];
      if (argmax) argmax[yi] = xi;
    }
  });
}

template <typename T>
void max_pool_backward_reference(const ConvGeometry& g, const T* x, const T* dy, T* dx, bool relu_mask = false) {
  const std::int64_t ny = g.n * g.out_positions() * g.c;
  std::vector<T> y(static_cast<std::size_t>(ny));
  std::vector<std::int64_t> argmax(static_cast<std::size_t>(ny));
  max_pool_reference(g, x, y.data(), argmax.data());
  std::fill(dx, dx + g.n * g.in_positions() * g.c, T(0));
  for (std::int64_t i = 0; i < ny; ++i)
    if (argmax[static_cast<std::size_t>(i)] >= 0) dx[argmax[static_cast<std::size_t>(i)]] += dy[i];
  if (relu_mask)  // relu's gradient, as its own pass
    for (std::int64_t i = 0; i < g.n * g.in_positions() * g.c; ++i)
      if (!(x[i] > T(0))) dx[i] = T(0);
}

template <typename T>
void avg_pool_reference(const ConvGeometry& g, const T* x, T* y) {
  std::vector<double> sum(static_cast<std::size_t>(g.n * g.out_positions() * g.c), 0.0);
  std::vector<std::int64_t> count(sum.size(), 0);
  pool_detail::for_each_window_element(g, [&](std::int64_t yi, std::int64_t xi) {
    if (xi < 0) return;
    sum[static_cast<std::size_t>(yi)] += static_cast<double>(x[xi]);
    ++count[static_cast<std::size_t>(yi)];
  });
  for (std::size_t i = 0; i < sum.size(); ++i) y[i] = count[i] ? static_cast<T>(sum[i] / count[i]) : T(0);
}

template <typename T>
void avg_pool_backward_reference(const ConvGeometry& g, const T* dy, T* dx) {
  const std::size_t ny = static_cast<std::size_t>(g.n * g.out_positions() * g.c);
  std::vector<std::int64_t> count(ny, 0);
  pool_detail::for_each_window_element(g, [&](std::int64_t yi, std::int64_t xi) {
    if (xi >= 0) ++count[static_cast<std::size_t>(yi)];
  });
  std::vector<double> acc(static_cast<std::size_t>(g.n * g.in_positions() * g.c), 0.0);
  pool_detail::for_each_window_element(g, [&](std::int64_t yi, std::int64_t xi) {
    if (xi >= 0) acc[static_cast<std::size_t>(xi)] += static_cast<double>(dy[yi]) / count[static_cast<std::size_t>(yi)];
  });
  for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<T>(acc[i]);
}

}  // namespace keras::backend::cpu
