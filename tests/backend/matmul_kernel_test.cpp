// BLAS-backed and loop GEMMs against the naive reference, on random sizes (1x1, odd,
// around the small/BLAS cut-off), every transpose combination, and broadcast batches.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cpu/gemm_narrow.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/wide_isa.h"

using namespace keras;
namespace cpu = keras::backend::cpu;

namespace {

template <typename T>
std::vector<T> random_values(std::int64_t n, std::mt19937& rng) {
  std::vector<T> v(static_cast<std::size_t>(n));
  if constexpr (std::is_floating_point_v<T>) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (auto& x : v) x = static_cast<T>(dist(rng));
  } else {
    for (auto& x : v) x = static_cast<T>(static_cast<int>(rng() % 11) - 5);
  }
  return v;
}

template <typename T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i])), tol) << what << " at " << i;
}

struct Dims {
  std::int64_t m, n, k;
};

std::vector<Dims> sizes() {
  std::vector<Dims> out = {{1, 1, 1}, {1, 7, 3}, {5, 1, 4}, {3, 3, 1}, {7, 5, 3}, {8, 8, 8}, {9, 8, 8}, {17, 13, 11},
                           {64, 33, 70}, {128, 96, 65}, {2, 3, 0},
                           // row and outer-product shapes (gemm_small below kRowGemmWork, BLAS above)
                           {1, 75, 75}, {75, 75, 1}, {1, 3, 75}, {1, 200, 100},
                           // split across the thread pool by rows, and by columns (n > m)
                           {300, 40, 64}, {40, 300, 64},
                           // gemm_narrow's shapes (one or two rows, k <= 2, thin outputs over long rows)
                           {1, 96, 513}, {2, 17, 40}, {1, 1, 1000}, {33, 80, 2}, {128, 10, 512}, {64, 16, 1600},
                           {13, 9, 64},
                           // a sum of three outer products; few columns from a transposed operand
                           {512, 75, 3}, {75, 3, 700}};
  std::mt19937 rng(11);
  auto dim = [&] { return static_cast<std::int64_t>(1 + rng() % 40); };
  for (int i = 0; i < 20; ++i) out.push_back({dim(), dim(), dim()});
  return out;
}

template <typename T>
void check_all_paths(double tol) {
  std::mt19937 rng(3);
  for (const Dims& d : sizes())
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const auto a = random_values<T>(d.m * d.k, rng);
        const auto b = random_values<T>(d.k * d.n, rng);
        std::vector<T> ref(static_cast<std::size_t>(d.m * d.n)), got(ref.size(), T(99)), small(ref.size(), T(99));
        cpu::gemm_reference(ta, tb, d.m, d.n, d.k, a.data(), b.data(), ref.data());
        cpu::gemm(ta, tb, d.m, d.n, d.k, a.data(), b.data(), got.data());
        cpu::gemm_small(ta, tb, d.m, d.n, d.k, a.data(), b.data(), small.data());
        const std::string what = "m=" + std::to_string(d.m) + " n=" + std::to_string(d.n) + " k=" +
                                 std::to_string(d.k) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb);
        expect_close(got, ref, tol * static_cast<double>(d.k + 1), "gemm " + what);
        expect_close(small, ref, tol * static_cast<double>(d.k + 1), "gemm_small " + what);
        if constexpr (std::is_floating_point_v<T>) {
          if (d.k > 0) {
            std::vector<T> blas(ref.size());
            cpu::gemm_blas(ta, tb, d.m, d.n, d.k, a.data(), b.data(), blas.data());
            expect_close(blas, ref, tol * static_cast<double>(d.k + 1), "gemm_blas " + what);
          }
        }
      }
}

}  // namespace

// gemm_narrow on every shape it takes (1 to 6 vectors per row, full and masked last vectors,
// row blocks and left-over rows, split partial sums and their remainder), with sub-matrix
// leading dimensions and beta = 0, 1 and 0.5 (the convolution's accumulating products), the
// transposed product for a few columns (ta, n <= 4, m up to 96, k >= 64) and a transposed b
// of a few rows (tb, k <= 4).
TEST(MatmulKernel, NarrowKernelMatchesReference) {
  if (!cpu::wide_isa_available()) GTEST_SKIP() << "gemm_narrow needs AVX-512, which this CPU lacks";
  std::mt19937 rng(21);
  for (std::int64_t n : {1, 3, 16, 17, 32, 33, 48, 64, 75, 80, 96})
    for (std::int64_t m : {1, 2, 3, 4, 7, 8, 9, 13, 75, 96})
      for (std::int64_t k : {1, 2, 3, 4, 5, 75, 200})
        for (bool ta : {false, true})
          for (bool tb : {false, true})
            for (float beta : {0.0f, 1.0f, 0.5f}) {
              if (tb && k > 4) continue;  // a transposed b only as a few rows
              const std::int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2;
              const auto a = random_values<float>((ta ? k : m) * lda, rng);
              const auto b = random_values<float>((tb ? n : k) * ldb, rng);
              const auto c0 = random_values<float>(m * ldc, rng);
              // The reference on dense copies, then beta * c0 added in double.
              std::vector<float> ad(static_cast<std::size_t>(m * k)), bd(static_cast<std::size_t>(k * n));
              for (std::int64_t r = 0; r < (ta ? k : m); ++r)
                for (std::int64_t q = 0; q < (ta ? m : k); ++q) ad[r * (ta ? m : k) + q] = a[r * lda + q];
              for (std::int64_t p = 0; p < k; ++p)
                for (std::int64_t j = 0; j < n; ++j) bd[p * n + j] = tb ? b[j * ldb + p] : b[p * ldb + j];
              std::vector<float> ref(static_cast<std::size_t>(m * n));
              cpu::gemm_reference(ta, false, m, n, k, ad.data(), bd.data(), ref.data());
              std::vector<float> got = c0;
              cpu::gemm_narrow(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, beta, got.data(), ldc);
              const std::string what = "m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                       " k=" + std::to_string(k) + " ta=" + std::to_string(ta) +
                                       " tb=" + std::to_string(tb) + " beta=" + std::to_string(beta);
              for (std::int64_t i = 0; i < m; ++i) {
                for (std::int64_t j = 0; j < n; ++j) {
                  const double want = static_cast<double>(ref[i * n + j]) + beta * static_cast<double>(c0[i * ldc + j]);
                  ASSERT_NEAR(got[i * ldc + j], want, 1e-5 * static_cast<double>(k + 1))
                      << what << " at " << i << "," << j;
                }
                // Columns between n and ldc belong to someone else: untouched.
                for (std::int64_t j = n; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], c0[i * ldc + j]) << what;
              }
            }
}

// One row times a dense b of 1 to 4 columns (read as flat vectors, not row by row), on sums
// shorter and longer than one vector and with a partial last vector.
TEST(MatmulKernel, NarrowRowTimesFewColumnsMatchesReference) {
  if (!cpu::wide_isa_available()) GTEST_SKIP() << "gemm_narrow needs AVX-512, which this CPU lacks";
  std::mt19937 rng(22);
  for (std::int64_t n : {1, 2, 3, 4})
    for (std::int64_t k : {15, 16, 17, 31, 32, 33, 75, 200})
      for (float beta : {0.0f, 1.0f, 0.5f}) {
        const auto a = random_values<float>(k, rng);
        const auto b = random_values<float>(k * n, rng);
        const auto c0 = random_values<float>(n + 1, rng);
        std::vector<float> ref(static_cast<std::size_t>(n));
        cpu::gemm_reference(false, false, 1, n, k, a.data(), b.data(), ref.data());
        std::vector<float> got = c0;
        cpu::gemm_narrow(false, false, 1, n, k, a.data(), k, b.data(), n, beta, got.data(), n);
        for (std::int64_t j = 0; j < n; ++j)
          ASSERT_NEAR(got[j], static_cast<double>(ref[j]) + beta * static_cast<double>(c0[j]), 1e-5 * static_cast<double>(k + 1))
              << "n=" << n << " k=" << k << " beta=" << beta << " column " << j;
        ASSERT_EQ(got[n], c0[n]) << "n=" << n << " k=" << k << ": wrote past the row";
      }
}

// Narrow-kernel products large enough to be split across the pool give the same bits at 1
// and 2 threads: leftover rows of a thread's range sum in the same order as full blocks.
// (The BLAS makes no such promise for column splits.)
TEST(MatmulKernel, NarrowSplitProductsDoNotDependOnThreadCount) {
  if (!cpu::wide_isa_available()) GTEST_SKIP() << "gemm_narrow needs AVX-512, which this CPU lacks";
  std::mt19937 rng(8);
  const int saved = keras::backend::num_threads();
  struct Case {
    Dims d;
    bool ta;
  };
  for (const Case& c : std::vector<Case>{{{4096, 75, 75}, false},
                                         {{4099, 33, 40}, false},
                                         {{1030, 75, 3}, false},
                                         {{75, 3, 4096}, true},
                                         {{16, 32, 2048}, true},
                                         {{75, 75, 4096}, true}}) {
    const Dims& d = c.d;
    ASSERT_TRUE(cpu::gemm_narrow_applies(c.ta, false, d.m, d.n, d.k)) << d.m << "x" << d.n << "x" << d.k;
    const auto a = random_values<float>(d.m * d.k, rng);
    const auto b = random_values<float>(d.k * d.n, rng);
    std::vector<float> one(static_cast<std::size_t>(d.m * d.n)), two(one.size());
    keras::backend::set_num_threads(1);
    cpu::gemm_blas(c.ta, false, d.m, d.n, d.k, a.data(), b.data(), one.data());
    keras::backend::set_num_threads(2);
    cpu::gemm_blas(c.ta, false, d.m, d.n, d.k, a.data(), b.data(), two.data());
    for (std::size_t i = 0; i < one.size(); ++i)
      ASSERT_EQ(one[i], two[i]) << "m=" << d.m << " n=" << d.n << " k=" << d.k << " ta=" << c.ta << " at " << i;
  }
  keras::backend::set_num_threads(saved);
}

TEST(MatmulKernel, Float32MatchesReference) { check_all_paths<float>(1e-6); }
TEST(MatmulKernel, Float64MatchesReference) { check_all_paths<double>(1e-14); }
TEST(MatmulKernel, Int32IsExact) { check_all_paths<std::int32_t>(0); }
TEST(MatmulKernel, Int64IsExact) { check_all_paths<std::int64_t>(0); }

TEST(MatmulKernel, BatchedBroadcastMatchesReference) {
  std::mt19937 rng(5);
  struct BatchCase {
    Shape a_batch, b_batch, out_batch;
    Dims d;
  };
  const std::vector<BatchCase> cases = {
      {{3}, {3}, {3}, {4, 5, 6}},                  // plain batch
      {{2, 1}, {1, 3}, {2, 3}, {3, 2, 4}},         // both broadcast
      {{4}, {}, {4}, {5, 7, 3}},                   // shared right operand (folded into m)
      {{}, {4}, {4}, {5, 7, 3}},                   // shared left operand
      {{2, 3}, {3}, {2, 3}, {1, 1, 1}},            // 1x1 matrices
      {{4}, {2, 1}, {2, 4}, {3, 5, 2}},            // ranks differ, broadcast on both sides
      {{6}, {1}, {6}, {40, 40, 40}},               // BLAS path per batch
      {{32}, {}, {32}, {2, 2, 2}},                 // threaded small path / fold
      {{64}, {64}, {64}, {3, 3, 3}},               // threaded small path
  };
  for (const auto& c : cases)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const auto a = random_values<float>(std::max<std::int64_t>(1, c.a_batch.num_elements()) * c.d.m * c.d.k, rng);
        const auto b = random_values<float>(std::max<std::int64_t>(1, c.b_batch.num_elements()) * c.d.k * c.d.n, rng);
        const std::size_t n_out = static_cast<std::size_t>(c.out_batch.num_elements() * c.d.m * c.d.n);
        std::vector<float> ref(n_out), got(n_out);
        const cpu::BatchDims ab(c.a_batch, 0), bb(c.b_batch, 0), ob(c.out_batch, 0);
        cpu::batched_gemm_reference(ta, tb, c.d.m, c.d.n, c.d.k, a.data(), ab, b.data(), bb, ref.data(), ob);
        cpu::batched_gemm(ta, tb, c.d.m, c.d.n, c.d.k, a.data(), ab, b.data(), bb, got.data(), ob);
        expect_close(got, ref, 1e-5, "batch " + c.a_batch.to_string() + " x " + c.b_batch.to_string() +
                                         " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb));
      }
}
