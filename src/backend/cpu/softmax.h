#pragma once
// Softmax and log-softmax along one axis, with naive reference twins.
//
// The input is viewed as (outer, n, inner) with the normalised axis in the middle: inner == 1
// is the usual last-axis case (contiguous rows); inner > 1 normalises across strided
// columns, processed a block of columns at a time so that the inner loops stay contiguous.
// Both subtract the maximum first, so large logits neither overflow nor lose precision.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "keras/backend/parallel.h"
#include "unary_math.h"

namespace keras::backend::cpu {

namespace softmax_detail {

inline constexpr int kLanes = 8;          // independent accumulators: lets GCC vectorise reductions
inline constexpr std::int64_t kColumnBlock = 256;

template <typename T>
T row_max(const T* x, std::int64_t n) {
  T lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = -std::numeric_limits<T>::infinity();
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
  T m = -std::numeric_limits<T>::infinity();
  for (int l = 0; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

template <typename T>
T row_sum(const T* x, std::int64_t n) {
  T lanes[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += x[i + l];
  T s = 0;
  for (int l = 0; l < kLanes; ++l) s += lanes[l];
  for (; i < n; ++i) s += x[i];
  return s;
}

// One contiguous row of length n.
template <typename T, bool Log>
void softmax_row(const T* x, T* out, std::int64_t n) {
  const T m = row_max(x, n);
  for (std::int64_t i = 0; i < n; ++i) out[i] = fast_exp(x[i] - m);
  const T s = row_sum(out, n);
  if constexpr (Log) {
    // (x - m) - log(s), not x - (m + log(s)): m + log(s) would round away log(s)'s digits
    // when |m| is large.
    const T log_s = std::log(s);
    for (std::int64_t i = 0; i < n; ++i) out[i] = (x[i] - m) - log_s;
  } else {
    const T scale = T(1) / s;
    for (std::int64_t i = 0; i < n; ++i) out[i] *= scale;
  }
}

// Columns [0, width) of one (n, inner) slab; x and out point at the first column.
template <typename T, bool Log>
void softmax_columns(const T* x, T* out, std::int64_t n, std::int64_t inner, std::int64_t width) {
  T m[kColumnBlock], s[kColumnBlock];
  for (std::int64_t j = 0; j < width; ++j) {
    m[j] = -std::numeric_limits<T>::infinity();
    s[j] = 0;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const T* xi = x + i * inner;
    for (std::int64_t j = 0; j < width; ++j) m[j] = xi[j] > m[j] ? xi[j] : m[j];
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const T* xi = x + i * inner;
    T* oi = out + i * inner;
    for (std::int64_t j = 0; j < width; ++j) {
      oi[j] = fast_exp(xi[j] - m[j]);
      s[j] += oi[j];
    }
  }
  if constexpr (Log) {
    for (std::int64_t j = 0; j < width; ++j) s[j] = std::log(s[j]);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < width; ++j) out[i * inner + j] = (x[i * inner + j] - m[j]) - s[j];
  } else {
    for (std::int64_t j = 0; j < width; ++j) s[j] = T(1) / s[j];
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < width; ++j) out[i * inner + j] *= s[j];
  }
}

}  // namespace softmax_detail

// x, out: (outer, n, inner) row-major; normalises along n. Log selects log_softmax.
// out must not alias x (log_softmax reads x again after writing exponentials into out).
template <typename T, bool Log>
void softmax(const T* x, T* out, std::int64_t outer, std::int64_t n, std::int64_t inner) {
  using namespace softmax_detail;
  if (outer * n * inner == 0) return;
  if (inner == 1) {
    parallel_for(outer, std::max<std::int64_t>(1, (1 << 14) / n), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t r = lo; r < hi; ++r) softmax_row<T, Log>(x + r * n, out + r * n, n);
    });
    return;
  }
  const std::int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const std::int64_t work_per_task = n * std::min(inner, kColumnBlock);
  parallel_for(outer * blocks, std::max<std::int64_t>(1, (1 << 14) / work_per_task),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t t = lo; t < hi; ++t) {
                   const std::int64_t o = t / blocks, j0 = (t % blocks) * kColumnBlock;
                   const std::int64_t width = std::min(kColumnBlock, inner - j0);
                   const std::int64_t base = o * n * inner + j0;
                   softmax_columns<T, Log>(x + base, out + base, n, inner, width);
                 }
               });
}

// Reference twin: one (outer, inner) position at a time, accumulating in double with std::exp.
template <typename T, bool Log>
void softmax_reference(const T* x, T* out, std::int64_t outer, std::int64_t n, std::int64_t inner) {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < inner; ++j) {
      const T* xs = x + o * n * inner + j;
      T* os = out + o * n * inner + j;
      double m = -std::numeric_limits<T>::infinity();
      for (std::int64_t i = 0; i < n; ++i) m = std::max(m, static_cast<double>(xs[i * inner]));
      double s = 0;
      for (std::int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(xs[i * inner]) - m);
      for (std::int64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(xs[i * inner]) - m;
        os[i * inner] = static_cast<T>(Log ? v - std::log(s) : std::exp(v) / s);
      }
    }
}

}  // namespace keras::backend::cpu
