#pragma once
// Max and average pooling (1 to 3 spatial dims, channels last) on raw pointers, with their
// adjoints and naive reference twins. The geometry is a ConvGeometry with f == c, k the pool
// size and unit dilation:
//   x (n, in0, in1, in2, c) -> y (n, out0, out1, out2, c)
// Window positions in the padding are excluded: a max ignores them, an average divides by
// the number of positions inside the input (TensorFlow's "same" pooling).
// Ties in a max window go to the first position in row-major window order.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "conv.h"
#include "keras/backend/parallel.h"

namespace keras::backend::cpu {

namespace pool_detail {

template <typename T>
std::vector<T>& thread_buffer() {
  thread_local std::vector<T> buffer;
  return buffer;
}

// The channel loops as functions of their own: restrict-qualified parameters let them
// vectorise (inside the tap callbacks GCC must assume the pointers alias).
template <typename T>
void argmax_start(const T* __restrict xv, std::int64_t offset, std::int64_t c, T* __restrict best,
                  std::int64_t* __restrict where) {
  for (std::int64_t j = 0; j < c; ++j) {
    best[j] = xv[j];
    where[j] = offset + j;
  }
}

template <typename T>
void argmax_update(const T* __restrict xv, std::int64_t offset, std::int64_t c, T* __restrict best,
                   std::int64_t* __restrict where) {
  for (std::int64_t j = 0; j < c; ++j) {
    const bool take = xv[j] > best[j];
    best[j] = take ? xv[j] : best[j];
    where[j] = take ? offset + j : where[j];
  }
}

template <typename T>
void max_into(const T* __restrict xv, std::int64_t c, T* __restrict y) {
  for (std::int64_t j = 0; j < c; ++j) y[j] = xv[j] > y[j] ? xv[j] : y[j];
}

// For output row r: best[j] = the window maximum of channel j and where[j] its input offset
// (-1 for a window entirely in the padding). The first in-bounds position seeds the maximum
// and later ones replace it only when strictly greater, so ties keep the first; the update is
// a branch-free select, which vectorizes over the channels.
template <typename T>
void window_argmax(const ConvGeometry& g, std::int64_t r, const T* x, T* __restrict best,
                   std::int64_t* __restrict where) {
  bool first = true;
  for_each_tap(g, decode_row(g, r), [&](std::int64_t, std::int64_t offset) {
    if (first) argmax_start(x + offset, offset, g.c, best, where);
    else argmax_update(x + offset, offset, g.c, best, where);
    first = false;
  });
  if (first) std::fill(where, where + g.c, std::int64_t{-1});
}

}  // namespace pool_detail

template <typename T>
void max_pool_forward(const ConvGeometry& g, const T* x, T* y) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) {
                   T* yr = y + r * c;
                   std::fill(yr, yr + c, -std::numeric_limits<T>::infinity());
                   for_each_tap(g, decode_row(g, r),
                                [&](std::int64_t, std::int64_t offset) { pool_detail::max_into(x + offset, c, yr); });
                 }
               });
}

// dx = zeros with each dy entry added at its window's argmax.
template <typename T>
void max_pool_backward(const ConvGeometry& g, const T* x, const T* dy, T* dx) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  std::fill(dx, dx + g.n * g.in_positions() * c, T(0));
  auto& best = pool_detail::thread_buffer<T>();
  auto& where = pool_detail::thread_buffer<std::int64_t>();
  if (static_cast<std::int64_t>(best.size()) < c) best.resize(static_cast<std::size_t>(c));
  if (static_cast<std::int64_t>(where.size()) < c) where.resize(static_cast<std::size_t>(c));
  for (std::int64_t r = 0; r < rows; ++r) {
    pool_detail::window_argmax(g, r, x, best.data(), where.data());
    for (std::int64_t j = 0; j < c; ++j)
      if (where[static_cast<std::size_t>(j)] >= 0) dx[where[static_cast<std::size_t>(j)]] += dy[r * c + j];
  }
}

// out (shaped like y) = h read at each window's argmax: the adjoint of max_pool_backward in dy.
template <typename T>
void max_pool_gather(const ConvGeometry& g, const T* x, const T* h, T* out) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  auto& best = pool_detail::thread_buffer<T>();
  auto& where = pool_detail::thread_buffer<std::int64_t>();
  if (static_cast<std::int64_t>(best.size()) < c) best.resize(static_cast<std::size_t>(c));
  if (static_cast<std::int64_t>(where.size()) < c) where.resize(static_cast<std::size_t>(c));
  for (std::int64_t r = 0; r < rows; ++r) {
    pool_detail::window_argmax(g, r, x, best.data(), where.data());
    for (std::int64_t j = 0; j < c; ++j) {
      const std::int64_t at = where[static_cast<std::size_t>(j)];
      out[r * c + j] = at >= 0 ? h[at] : T(0);
    }
  }
}

template <typename T>
void avg_pool_forward(const ConvGeometry& g, const T* x, T* y) {
  const std::int64_t rows = g.n * g.out_positions(), c = g.c;
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(1, c * g.taps())),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t r = begin; r < end; ++r) {
                   T* yr = y + r * c;
                   std::fill(yr, yr + c, T(0));
                   std::int64_t count = 0;
                   for_each_tap(g, decode_row(g, r), [&](std::int64_t, std::int64_t offset) {
                     const T* xv = x + offset;
                     for (std::int64_t j = 0; j < c; ++j) yr[j] += xv[j];
                     ++count;
                   });
                   const T scale = count > 0 ? T(1) / static_cast<T>(count) : T(0);
                   for (std::int64_t j = 0; j < c; ++j) yr[j] *= scale;
                 }
               });
}

// dx = each dy entry spread evenly over the in-bounds positions of its window.
template <typename T>
void avg_pool_backward(const ConvGeometry& g, const T* dy, T* dx) {
  const std::int64_t positions = g.out_positions(), c = g.c;
  std::fill(dx, dx + g.n * g.in_positions() * c, T(0));
  // Samples write disjoint parts of dx.
  parallel_for(g.n, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin * positions; r < end * positions; ++r) {
      const OutPos p = decode_row(g, r);
      std::int64_t count = 0;
      for_each_tap(g, p, [&](std::int64_t, std::int64_t) { ++count; });
      if (count == 0) continue;
      const T scale = T(1) / static_cast<T>(count);
      const T* dyr = dy + r * c;
      for_each_tap(g, p, [&](std::int64_t, std::int64_t offset) {
        T* dxv = dx + offset;
        for (std::int64_t j = 0; j < c; ++j) dxv[j] += dyr[j] * scale;
      });
    }
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
void max_pool_backward_reference(const ConvGeometry& g, const T* x, const T* dy, T* dx) {
  const std::int64_t ny = g.n * g.out_positions() * g.c;
  std::vector<T> y(static_cast<std::size_t>(ny));
  std::vector<std::int64_t> argmax(static_cast<std::size_t>(ny));
  max_pool_reference(g, x, y.data(), argmax.data());
  std::fill(dx, dx + g.n * g.in_positions() * g.c, T(0));
  for (std::int64_t i = 0; i < ny; ++i)
    if (argmax[static_cast<std::size_t>(i)] >= 0) dx[argmax[static_cast<std::size_t>(i)]] += dy[i];
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
