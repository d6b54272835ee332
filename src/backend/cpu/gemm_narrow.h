#pragma once
// A register-blocked float32 matrix product for narrow outputs (at most 96 columns), with
// AVX-512 (wide_isa.h; chosen at run time). Where it beats the BLAS (measured against
// OpenBLAS 0.3.21's SkylakeX kernels, one thread): a single row (1 x 75 x 75: 0.15 vs 0.22 us;
// a Dense layer at batch 1), outer products (75 x 75 x 1: 0.29 vs 0.48 us; the kernel
// gradient at batch 1), one row times a contiguous b of 1-4 columns (1 x 3 x 75, read as
// flat vectors) and thin outputs over long rows (64 x 10 x 1600: 23 vs 40 us; a classifier
// head). Also sums of a few outer products (k <= 4: 4096 x 75 x 3, the input
// gradient of a 3-unit layer) and, through the transposed product, a few columns of a
// transposed operand over long sums (75 x 3 x 4096 with a transposed: the kernel gradient of
// a 3-unit layer). On wider blocks of rows the BLAS's packed kernels are faster, so
// gemm_narrow_applies() admits only the shapes above.
//
//   c (m,n) = op(a) @ b + beta * c; op(a) is (m,k): a stored (m,k) with leading dimension
//   lda, or (k,m) when ta; b stored (k,n) with leading dimension ldb, or (n,k) when tb (only
//   for k <= 4); c leading dimension ldc.
#include <cstdint>

namespace keras::backend::cpu {

/// Whether gemm_narrow runs here (the CPU has AVX-512) and is the faster kernel for this shape.
bool gemm_narrow_applies(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k);

/// Whether gemm_narrow splits this product's sum into two fixed halves that run on two
/// threads (a kernel gradient over many rows): the caller should not split its rows too.
bool gemm_narrow_splits_sums(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k);

/// Requires the wide ISA, n <= 96 and, when tb, k <= 4 (every shape gemm_narrow_applies()
/// admits). Rows of c are computed independently, each with the same summation order
/// whatever the row range (of at least 8 rows), so callers may split rows across threads.
void gemm_narrow(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                 const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

}  // namespace keras::backend::cpu
