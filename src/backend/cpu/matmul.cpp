#include "matmul.h"

#include <cblas.h>

#include <type_traits>
#include <vector>

#include "gemm_narrow.h"

namespace keras::backend::cpu {

namespace {
CBLAS_TRANSPOSE flag(bool t) { return t ? CblasTrans : CblasNoTrans; }

// Below this many multiply-adds one thread does the whole product: splitting costs a
// hand-off, and OpenBLAS's own kernels are fastest on whole panels.
constexpr std::int64_t kParallelGemmWork = std::int64_t{1} << 18;

// keras.cpp's pool runs the BLAS's work: OpenBLAS's own threads and ours on the same cores
// slow each other down several times (both spin between jobs), so OpenBLAS runs on one thread
// per call and a large product is split into row (or column) blocks across the pool.
void single_threaded_blas() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

// OpenBLAS also allocates a thread's work buffers on that thread's first product. Any pool
// thread may compute any chunk of any run, so every pool thread runs one product when it
// starts (large enough to skip OpenBLAS's small-matrix path, which needs no buffers): a
// compiled plan's later runs then allocate nothing even where a thread computes a product
// for the first time.
void first_product_on_this_thread() {
  single_threaded_blas();
  constexpr int kSide = 128;
  std::vector<float> a(kSide * kSide, 1.0f), c(kSide * kSide);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kSide, kSide, kSide, 1.0f, a.data(), kSide, a.data(), kSide,
              0.0f, c.data(), kSide);
}
[[maybe_unused]] const bool registered = [] {
  on_pool_thread_start(first_product_on_this_thread);
  return true;
}();

template <typename T, typename Gemm>
void split_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
                const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc, Gemm blas) {
  single_threaded_blas();
  if (m * n * k < kParallelGemmWork || num_threads() <= 1 ||
      (std::is_same_v<T, float> && gemm_narrow_applies(ta, tb, m, n, k) && gemm_narrow_splits_sums(ta, tb, m, n, k))) {
    blas(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m >= n) {
    // Row blocks of c: rows of op(a).
    parallel_for(m, 16, [&](std::int64_t lo, std::int64_t hi) {
      const T* a_block = ta ? a + lo : a + lo * lda;
      blas(ta, tb, hi - lo, n, k, a_block, lda, b, ldb, beta, c + lo * ldc, ldc);
    });
  } else {
    // Column blocks of c: columns of op(b).
    parallel_for(n, 16, [&](std::int64_t lo, std::int64_t hi) {
      const T* b_block = tb ? b + lo * ldb : b + lo;
      blas(ta, tb, m, hi - lo, k, a, lda, b_block, ldb, beta, c + lo, ldc);
    });
  }
}

void sgemm_call(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (gemm_narrow_applies(ta, tb, m, n, k)) return gemm_narrow(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void dgemm_call(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
                const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}
}  // namespace

void gemm_strided(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                  const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  split_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, sgemm_call);
}

void gemm_strided(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
                  const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  split_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, dgemm_call);
}

// Row-major leading dimensions: a stored (m,k) or (k,m), b stored (k,n) or (n,k).
void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
               float* c) {
  const std::int64_t lda = ta ? m : k, ldb = tb ? k : n;
  // A product too small to split that gemm_narrow takes (a Dense layer at batch 1): straight
  // there, where the way through split_gemm costs ~10% of the product.
  if (m * n * k < kParallelGemmWork && gemm_narrow_applies(ta, tb, m, n, k))
    return gemm_narrow(ta, tb, m, n, k, a, lda, b, ldb, 0.0f, c, n);
  gemm_strided(ta, tb, m, n, k, a, lda, b, ldb, 0.0f, c, n);
}

void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, const double* b,
               double* c) {
  gemm_strided(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, 0.0, c, n);
}

}  // namespace keras::backend::cpu
