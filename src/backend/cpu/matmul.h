#pragma once
// Matrix products on raw row-major pointers: BLAS for float32/float64, a plain loop for
// tiny products and integer dtypes, and a naive reference twin.
//
//   gemm:  c (m,n) = op(a) @ op(b), with op(a) (m,k) and op(b) (k,n). When ta is set, a is
//          stored as (k,m); when tb is set, b is stored as (n,k). Operands are contiguous.
//   batched_gemm: the same per batch index, with NumPy-broadcast batch dimensions.
// The non-reference kernels allocate nothing (compiled plans run allocation-free).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/core/shape.h"

namespace keras::backend::cpu {

// Below this many multiply-adds a product runs through gemm_small. Measured with OpenBLAS
// 0.3.21 (float32, one thread, all four transpose combinations): the loop wins only for
// about 2x2x2 (~110 ns vs ~210 ns per call) and ties at 4x4x4; from 6x6x6 on, BLAS is 2-4x
// faster. A larger cut-off would only help degenerate shapes like (1, 64) @ (64, 64).
inline constexpr std::int64_t kSmallGemmWork = 4 * 4 * 4;

void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
               float* c);
// c = op(a) @ op(b) + beta * c with explicit row-major leading dimensions. Every BLAS call of
// keras.cpp goes through here: large products are split across keras.cpp's thread pool and
// the BLAS itself runs single-threaded (two pools on the same cores fight).
void gemm_strided(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                  const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void gemm_strided(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
                  const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc);
void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, const double* b,
               double* c);

// Row-at-a-time loop: c's row i accumulates a(i,p) * b's row p, which vectorizes along n.
template <typename T>
void gemm_small(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, const T* b, T* c) {
  for (std::int64_t i = 0; i < m; ++i) {
    T* ci = c + i * n;
    if (tb && !ta) {
      // Both operands are rows here: a dot product per output.
      const T* ai = a + i * k;
      for (std::int64_t j = 0; j < n; ++j) {
        const T* bj = b + j * k;
        T s = T(0);
        for (std::int64_t p = 0; p < k; ++p) s += ai[p] * bj[p];
        ci[j] = s;
      }
      continue;
    }
    for (std::int64_t j = 0; j < n; ++j) ci[j] = T(0);
    for (std::int64_t p = 0; p < k; ++p) {
      const T av = ta ? a[p * m + i] : a[i * k + p];
      if (!tb) {
        const T* bp = b + p * n;
        for (std::int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
      } else {
        for (std::int64_t j = 0; j < n; ++j) ci[j] += av * b[j * k + p];
      }
    }
  }
}

// The kernel an op calls: BLAS for floating dtypes above the small-work cut-off.
template <typename T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, const T* b, T* c) {
  if (m == 0 || n == 0) return;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (m * n * k >= kSmallGemmWork && k > 0) {
      gemm_blas(ta, tb, m, n, k, a, b, c);
      return;
    }
  }
  gemm_small(ta, tb, m, n, k, a, b, c);
}

template <typename T>
void gemm_reference(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, const T* b, T* c) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      Acc s = 0;
      for (std::int64_t p = 0; p < k; ++p)
        s += static_cast<Acc>(ta ? a[p * m + i] : a[i * k + p]) * static_cast<Acc>(tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = static_cast<T>(s);
    }
}

// Batch dimensions of an operand or of the output: a view into a shape's leading dims.
// Views (not Shapes) so that a compiled plan's matmul step touches no heap.
struct BatchDims {
  const std::int64_t* dims = nullptr;
  int rank = 0;
  BatchDims() = default;
  BatchDims(const Shape& shape, int trailing) : dims(shape.dims().data()), rank(shape.rank() - trailing) {}
  std::int64_t count() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
};

// Element offset of output batch index `i` in an operand whose batch dims broadcast to
// `out` (size-1 dims repeat).
inline std::int64_t batch_offset(std::int64_t i, const BatchDims& op, const BatchDims& out, std::int64_t matrix_size) {
  std::int64_t off = 0, stride = matrix_size;
  for (int d = out.rank - 1, od = op.rank - 1; d >= 0; --d, --od) {
    const std::int64_t c = i % out.dims[d];
    i /= out.dims[d];
    if (od < 0) break;
    if (op.dims[od] != 1) off += c * stride;
    stride *= op.dims[od];
  }
  return off;
}

// c (out_batch..., m, n) = op(a) @ op(b) for every batch index; a's and b's batch dims
// broadcast to out_batch (either may be empty).
template <typename T>
void batched_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, BatchDims a_batch,
                  const T* b, BatchDims b_batch, T* c, BatchDims out_batch) {
  const std::int64_t batches = out_batch.count();
  if (batches == 0 || m == 0 || n == 0) return;
  // A shared right operand (a Dense kernel applied to a sequence): fold the batch into m.
  if (!ta && b_batch.count() == 1 && a_batch.count() == batches) {
    gemm(false, tb, batches * m, n, k, a, b, c);
    return;
  }
  const std::int64_t work = m * n * std::max<std::int64_t>(k, 1);
  if (work >= kSmallGemmWork) {
    // BLAS threads internally; our pool stays out of its way.
    for (std::int64_t i = 0; i < batches; ++i)
      gemm(ta, tb, m, n, k, a + batch_offset(i, a_batch, out_batch, m * k),
           b + batch_offset(i, b_batch, out_batch, k * n), c + i * m * n);
    return;
  }
  parallel_for(batches, std::max<std::int64_t>(1, (1 << 15) / work), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i)
      gemm_small(ta, tb, m, n, k, a + batch_offset(i, a_batch, out_batch, m * k),
                 b + batch_offset(i, b_batch, out_batch, k * n), c + i * m * n);
  });
}

template <typename T>
void batched_gemm_reference(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a,
                            BatchDims a_batch, const T* b, BatchDims b_batch, T* c, BatchDims out_batch) {
  // Independent offset arithmetic: explicit per-operand strides, clamped on broadcast dims.
  const int rank = out_batch.rank;
  std::vector<std::int64_t> sa(static_cast<std::size_t>(rank), 0), sb(sa);
  std::int64_t s = m * k;
  for (int i = a_batch.rank - 1; i >= 0; --i) {
    sa[static_cast<std::size_t>(rank - a_batch.rank + i)] = a_batch.dims[i] == 1 ? 0 : s;
    s *= a_batch.dims[i];
  }
  s = k * n;
  for (int i = b_batch.rank - 1; i >= 0; --i) {
    sb[static_cast<std::size_t>(rank - b_batch.rank + i)] = b_batch.dims[i] == 1 ? 0 : s;
    s *= b_batch.dims[i];
  }
  for (std::int64_t i = 0; i < out_batch.count(); ++i) {
    std::int64_t rem = i, oa = 0, ob = 0;
    for (int d = rank - 1; d >= 0; --d) {
      const std::int64_t cidx = rem % out_batch.dims[d];
      rem /= out_batch.dims[d];
      oa += cidx * sa[static_cast<std::size_t>(d)];
      ob += cidx * sb[static_cast<std::size_t>(d)];
    }
    gemm_reference(ta, tb, m, n, k, a + oa, b + ob, c + i * m * n);
  }
}

}  // namespace keras::backend::cpu
