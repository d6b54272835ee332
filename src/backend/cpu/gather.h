#pragma once
// Gather along one axis (ops.take) and its adjoint, scatter-add (take's gradient).
//
// Both view the big tensor as (outer, axis_size, inner) and the small one as
// (outer, num_indices, inner). Indices are already wrapped into [0, axis_size) and
// validated by the op; kernels never see a bad index.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "keras/backend/parallel.h"

namespace keras::backend::cpu {

// x (outer, axis_size, inner), idx (n) -> out (outer, n, inner); out[o, j, :] = x[o, idx[j], :].
// Moves rows with memcpy; threads over (o, j) rows.
inline void gather_rows(const void* x, std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                        const std::int64_t* idx, std::int64_t n, void* out, std::size_t elem_size) {
  const std::size_t row = static_cast<std::size_t>(inner) * elem_size;
  const auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(out);
  parallel_for(outer * n, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t r = lo; r < hi; ++r) {
                   const std::int64_t o = r / n, j = r % n;
                   std::memcpy(dst + static_cast<std::size_t>(r) * row,
                               src + static_cast<std::size_t>(o * axis_size + idx[j]) * row, row);
                 }
               });
}

inline void gather_rows_reference(const void* x, std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                                  const std::int64_t* idx, std::int64_t n, void* out, std::size_t elem_size) {
  const auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(out);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < inner; ++i)
        std::memcpy(dst + ((o * n + j) * inner + i) * static_cast<std::int64_t>(elem_size),
                    src + ((o * axis_size + idx[j]) * inner + i) * static_cast<std::int64_t>(elem_size), elem_size);
}

// g (outer, n, inner), idx (n) -> out (outer, axis_size, inner), zero-filled first;
// out[o, idx[j], :] += g[o, j, :]. Repeated indices accumulate. Threads over `outer` only,
// so that two threads never add into the same output row.
template <typename T>
void scatter_add_rows(const T* g, std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                      const std::int64_t* idx, std::int64_t n, T* out) {
  std::fill(out, out + outer * axis_size * inner, T(0));
  parallel_for(outer, std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(n * inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 for (std::int64_t o = lo; o < hi; ++o)
                   for (std::int64_t j = 0; j < n; ++j) {
                     const T* src = g + (o * n + j) * inner;
                     T* dst = out + (o * axis_size + idx[j]) * inner;
                     for (std::int64_t i = 0; i < inner; ++i) dst[i] += src[i];
                   }
               });
}

template <typename T>
void scatter_add_rows_reference(const T* g, std::int64_t outer, std::int64_t axis_size, std::int64_t inner,
                                const std::int64_t* idx, std::int64_t n, T* out) {
  for (std::int64_t k = 0; k < outer * axis_size * inner; ++k) out[k] = T(0);
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t i = 0; i < inner; ++i) out[(o * axis_size + idx[j]) * inner + i] += g[(o * n + j) * inner + i];
}

}  // namespace keras::backend::cpu
