#include "matmul.h"

#include <cblas.h>

namespace keras::backend::cpu {

namespace {
CBLAS_TRANSPOSE flag(bool t) { return t ? CblasTrans : CblasNoTrans; }
}  // namespace

// Row-major leading dimensions: a stored (m,k) or (k,m), b stored (k,n) or (n,k).
void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
               float* c) {
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(ta ? m : k), b, static_cast<blasint>(tb ? k : n),
              0.0f, c, static_cast<blasint>(n));
}

void gemm_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, const double* b,
               double* c) {
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, static_cast<blasint>(ta ? m : k), b, static_cast<blasint>(tb ? k : n),
              0.0, c, static_cast<blasint>(n));
}

}  // namespace keras::backend::cpu
