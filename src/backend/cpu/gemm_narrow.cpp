// gemm_narrow: rows of c accumulate broadcast elements of op(a) times whole rows of b, all of
// a block's accumulators in registers.
//
// Every accumulator index below is a compile-time constant (fold expressions over integer
// sequences rather than loops over rows and vectors): with loops, GCC 12 keeps the
// accumulator array in memory and stores all of it on every iteration.
#include "gemm_narrow.h"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "keras/backend/parallel.h"
#include "scratch.h"
#include "wide_isa.h"

#if KERAS_HAS_WIDE_VARIANT
#include <immintrin.h>
#endif

namespace keras::backend::cpu {

#if KERAS_HAS_WIDE_VARIANT
namespace {

constexpr std::int64_t kMaxColumns = 96;  // six 16-float vectors per row
constexpr std::int64_t kSumChunk = 128;
constexpr std::int64_t kSplitSums = 2048;  // sums at least this long run as two halves
enum class NarrowScratch { second_half };

template <int N>
using Seq = std::make_integer_sequence<int, N>;

template <int... I>
KERAS_WIDE_TARGET inline void zero(__m512* acc, std::integer_sequence<int, I...>) {
  ((acc[I] = _mm512_setzero_ps()), ...);
}

// The V vectors of one row of b; the last one masked to the columns that exist.
template <int V, int... I>
KERAS_WIDE_TARGET inline void load_row(__m512* bv, const float* row, __mmask16 last, std::integer_sequence<int, I...>) {
  ((bv[I] = I == V - 1 ? _mm512_maskz_loadu_ps(last, row + 16 * I) : _mm512_loadu_ps(row + 16 * I)), ...);
}

// acc[r * V + v] += av[r] * bv[v] for every (r, v); with a phase stride, acc[I] += av[I / V] * bv[I].
template <int V, int... I>
KERAS_WIDE_TARGET inline void multiply_add(__m512* acc, const __m512* av, const __m512* bv, std::integer_sequence<int, I...>) {
  ((acc[I] = _mm512_fmadd_ps(av[I / V], bv[I % V], acc[I])), ...);
}
template <int V, int... I>
KERAS_WIDE_TARGET inline void multiply_add_phases(__m512* acc, const __m512* av, const __m512* bv,
                                                  std::integer_sequence<int, I...>) {
  ((acc[I] = _mm512_fmadd_ps(av[I / V], bv[I], acc[I])), ...);
}

template <int V>
KERAS_WIDE_TARGET inline void store_vector(__m512 value, float* row, int v, __mmask16 last, float beta) {
  const __mmask16 mask = v == V - 1 ? last : static_cast<__mmask16>(0xffff);
  if (beta != 0.0f) value = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, row + 16 * v), value);
  _mm512_mask_storeu_ps(row + 16 * v, mask, value);
}
template <int V, int... I>
KERAS_WIDE_TARGET inline void store_rows(const __m512* acc, float* c, std::int64_t ldc, __mmask16 last, float beta,
                                         std::integer_sequence<int, I...>) {
  (store_vector<V>(acc[I], c + (I / V) * ldc, I % V, last, beta), ...);
}

// Lambdas would not inherit the target attribute, so these small steps are functions.
template <int... I>
KERAS_WIDE_TARGET inline void broadcast_rows(__m512* av, const float* a, std::int64_t a_row, std::integer_sequence<int, I...>) {
  ((av[I] = _mm512_set1_ps(a[I * a_row])), ...);
}
template <int V, int... P>
KERAS_WIDE_TARGET inline void load_phases(__m512* bv, __m512* av, const float* b, std::int64_t ldb, const float* a,
                                          std::int64_t a_col, __mmask16 last, std::integer_sequence<int, P...>) {
  ((load_row<V>(bv + P * V, b + P * ldb, last, Seq<V>()), av[P] = _mm512_set1_ps(a[P * a_col])), ...);
}
template <int V, int S, int... I>
KERAS_WIDE_TARGET inline void sum_phases(__m512* acc, std::integer_sequence<int, I...>) {
  if constexpr (S >= 4) ((acc[I] = _mm512_add_ps(acc[I], acc[2 * V + I]), acc[V + I] = _mm512_add_ps(acc[V + I], acc[3 * V + I])), ...);
  if constexpr (S >= 2) ((acc[I] = _mm512_add_ps(acc[I], acc[V + I])), ...);
}

struct Operands {
  std::int64_t n, k;
  const float* a;
  std::int64_t a_row, a_col;  // strides of op(a)'s (row, column) in a
  const float* b;
  std::int64_t ldb;
  float beta;
  float* c;
  std::int64_t ldc;
  __mmask16 last;
};

// Rows i .. i + R of c.
template <int R, int V>
KERAS_WIDE_TARGET inline void row_block(const Operands& o, std::int64_t i) {
  __m512 acc[R * V];
  zero(acc, Seq<R * V>());
  const float* a = o.a + i * o.a_row;
  for (std::int64_t p = 0; p < o.k; ++p) {
    __m512 bv[V], av[R];
    load_row<V>(bv, o.b + p * o.ldb, o.last, Seq<V>());
    broadcast_rows(av, a + p * o.a_col, o.a_row, Seq<R>());
    multiply_add<V>(acc, av, bv, Seq<R * V>());
  }
  store_rows<V>(acc, o.c + i * o.ldc, o.ldc, o.last, o.beta, Seq<R * V>());
}

// One row: S interleaved partial sums over p (one chain would wait on the FMA latency),
// added pairwise at the end.
template <int V, int S>
KERAS_WIDE_TARGET inline void single_row(const Operands& o, std::int64_t i) {
  __m512 acc[S * V];
  zero(acc, Seq<S * V>());
  const float* a = o.a + i * o.a_row;
  std::int64_t p = 0;
  for (; p + S <= o.k; p += S) {
    __m512 bv[S * V], av[S];
    load_phases<V>(bv, av, o.b + p * o.ldb, o.ldb, a + p * o.a_col, o.a_col, o.last, Seq<S>());
    multiply_add_phases<V>(acc, av, bv, Seq<S * V>());
  }
  for (; p < o.k; ++p) {
    __m512 bv[V];
    const __m512 av = _mm512_set1_ps(a[p * o.a_col]);
    load_row<V>(bv, o.b + p * o.ldb, o.last, Seq<V>());
    multiply_add<V>(acc, &av, bv, Seq<V>());
  }
  sum_phases<V, S>(acc, Seq<V>());
  store_rows<V>(acc, o.c + i * o.ldc, o.ldc, o.last, o.beta, Seq<V>());
}

// The r < 8 rows from row i, as one block (each element one sequential sum over p).
template <int V>
KERAS_WIDE_TARGET void last_rows(const Operands& o, std::int64_t i, std::int64_t r) {
  switch (r) {
    case 1: return row_block<1, V>(o, i);
    case 2: return row_block<2, V>(o, i);
    case 3: return row_block<3, V>(o, i);
    case 4: return row_block<4, V>(o, i);
    case 5: return row_block<5, V>(o, i);
    case 6: return row_block<6, V>(o, i);
    default: return row_block<7, V>(o, i);
  }
}

template <int V>
KERAS_WIDE_TARGET void all_rows(const Operands& o, std::int64_t m) {
  // Rows per block: the accumulators (R * V) and a row of b (V) fit the 32 vector registers.
  constexpr int R = V <= 2 ? 8 : V <= 4 ? 4 : 3;
  constexpr int S = V <= 2 ? 4 : 2;
  if (m < R) {
    // Fewer rows than a block (a Dense layer at batch 1): split sums hide the FMA latency.
    // Such products are never split across threads (split_gemm hands out >= 16 rows).
    for (std::int64_t i = 0; i < m; ++i) single_row<V, S>(o, i);
    return;
  }
  // Every element below is one sequential sum over p, whether its row falls in a full block
  // or the last one: the bits do not depend on how the caller split the rows.
  std::int64_t i = 0;
  for (; i + R <= m; i += R) row_block<R, V>(o, i);
  if (i < m) last_rows<V>(o, i, m - i);
}

// body(V) with V, the 16-float vectors per row of `columns` (1 to 6), as a constant.
template <typename Body>
void by_vectors(std::int64_t columns, const Body& body) {
  switch ((columns + 15) / 16) {
    case 1: return body(std::integral_constant<int, 1>{});
    case 2: return body(std::integral_constant<int, 2>{});
    case 3: return body(std::integral_constant<int, 3>{});
    case 4: return body(std::integral_constant<int, 4>{});
    case 5: return body(std::integral_constant<int, 5>{});
    default: return body(std::integral_constant<int, 6>{});
  }
}

Operands operands(bool ta, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* b,
                  std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  const std::int64_t vectors = (n + 15) / 16;
  const int tail = static_cast<int>(n - 16 * (vectors - 1));
  return Operands{n,    k,   a, ta ? 1 : lda, ta ? lda : 1, b, ldb, beta, c, ldc,
                  static_cast<__mmask16>(tail >= 16 ? 0xffff : (1u << tail) - 1)};
}

// A few output columns from a transposed left operand over long sums: the kernel gradient of
// a narrow layer (dW (75,3) = h^T (75,4096) @ g (4096,3)). Broadcasting a(p, i) against a row
// of b would fill 3 of 16 lanes; the transposed product c^T (n,m) = b^T @ a runs whole
// vectors along m instead (a's stored rows), then c takes its transpose.
constexpr std::int64_t kMaxTransposedColumns = 4;

// Products with k at most this are sums of a few outer products: the input gradient of a
// narrow layer (g (4096,3) @ W^T (3,75)), where b arrives transposed and is copied into rows.
constexpr std::int64_t kMaxPackedRows = 4;

bool transposed_applies(bool ta, std::int64_t m, std::int64_t n, std::int64_t k) {
  return ta && n <= kMaxTransposedColumns && m > kMaxTransposedColumns && m <= kMaxColumns && k >= 64;
}

void transposed_product(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                        const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  float ct[kMaxTransposedColumns * kMaxColumns];
  const Operands o = operands(/*ta=*/true, m, k, b, ldb, a, lda, 0.0f, ct, m);
  // All n (<= 4) rows of c^T in one block: every element is one sequential sum over p,
  // whatever m is, so a caller splitting c's rows across threads gets the same bits.
  by_vectors(m, [&](auto v) { last_rows<decltype(v)::value>(o, 0, n); });
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      float& out = c[i * ldc + j];
      out = beta != 0.0f ? ct[j * m + i] + beta * out : ct[j * m + i];
    }
}

// One row of a times a contiguous b of N <= 4 columns (a Dense layer of a few units at batch
// 1). Rows of b would fill N of 16 lanes, so b is read as flat vectors instead: 16 rows of b
// are N whole vectors, and vector t of them is multiplied by a's 16 values permuted so that
// lane l holds a[(16t + l) / N]. Lane l of accumulator t then collects column (16t + l) % N;
// the columns' lanes are added at the end.
constexpr std::int64_t kMaxFlatColumns = 4;

template <int N, int... T>
KERAS_WIDE_TARGET inline void flat_multiply_add(__m512* acc, const __m512i* index, __m512 av, const float* b,
                                                int floats, std::integer_sequence<int, T...>) {
  // floats: how many of the 16 N values from b exist (16 N except in the last rows).
  ((acc[T] = _mm512_fmadd_ps(_mm512_permutexvar_ps(index[T], av),
                             floats >= 16 * (T + 1)
                                 ? _mm512_loadu_ps(b + 16 * T)
                                 : _mm512_maskz_loadu_ps(
                                       static_cast<__mmask16>(floats <= 16 * T ? 0u : (1u << (floats - 16 * T)) - 1u),
                                       b + 16 * T),
                             acc[T])),
   ...);
}

// The lanes of acc[t] that hold column j ((16t + l) % N == j), added across t.
constexpr __mmask16 column_mask(int n, int t, int j) {
  unsigned mask = 0;
  for (int l = 0; l < 16; ++l)
    if ((16 * t + l) % n == j) mask |= 1u << l;
  return static_cast<__mmask16>(mask);
}
template <int N, int... T>
KERAS_WIDE_TARGET inline __m512 column_lanes(const __m512* acc, int j, std::integer_sequence<int, T...>) {
  __m512 sum = _mm512_setzero_ps();
  ((sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(column_mask(N, T, j), acc[T]))), ...);
  return sum;
}

template <int N>
KERAS_WIDE_TARGET void row_times_flat(std::int64_t k, const float* a, const float* b, float beta, float* c) {
  __m512 acc[N];
  __m512i index[N];
  zero(acc, Seq<N>());
  for (int t = 0; t < N; ++t) {
    alignas(64) int lanes[16];
    for (int l = 0; l < 16; ++l) lanes[l] = (16 * t + l) / N;
    index[t] = _mm512_load_si512(lanes);
  }
  std::int64_t p = 0;
  for (; p + 16 <= k; p += 16) flat_multiply_add<N>(acc, index, _mm512_loadu_ps(a + p), b + p * N, 16 * N, Seq<N>());
  if (p < k) {
    const int rows = static_cast<int>(k - p);
    const __m512 av = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << rows) - 1u), a + p);
    flat_multiply_add<N>(acc, index, av, b + p * N, rows * N, Seq<N>());
  }
  for (int j = 0; j < N; ++j) {
    const float sum = _mm512_reduce_add_ps(column_lanes<N>(acc, j, Seq<N>()));
    c[j] = beta != 0.0f ? sum + beta * c[j] : sum;
  }
}

bool flat_applies(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t ldb) {
  return m == 1 && !ta && !tb && n <= kMaxFlatColumns && ldb == n && k >= 16;
}

void row_times_flat(std::int64_t n, std::int64_t k, const float* a, const float* b, float beta, float* c) {
  switch (n) {
    case 1: return row_times_flat<1>(k, a, b, beta, c);
    case 2: return row_times_flat<2>(k, a, b, beta, c);
    case 3: return row_times_flat<3>(k, a, b, beta, c);
    default: return row_times_flat<4>(k, a, b, beta, c);
  }
}

// Long sums run in chunks of kSumChunk rows of b (accumulating into c), so that a chunk of b
// stays in L1 across all of c's row blocks: over 4096 rows, 1.5x faster.
void chunked_sums(bool ta, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                  const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  for (std::int64_t p0 = 0; p0 < k; p0 += kSumChunk) {
    const std::int64_t kc = std::min(kSumChunk, k - p0);
    const float* ap = ta ? a + p0 * lda : a + p0;
    const Operands o = operands(ta, n, kc, ap, lda, b + p0 * ldb, ldb, p0 == 0 ? beta : 1.0f, c, ldc);
    by_vectors(n, [&](auto v) { all_rows<decltype(v)::value>(o, m); });
  }
}

}  // namespace
#endif

bool gemm_narrow_applies(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k) {
#if KERAS_HAS_WIDE_VARIANT
  if (n < 1 || m < 1 || k < 1 || !wide_isa_available()) return false;
  // A transposed b is copied into rows first, which pays only when b is a few rows.
  if (tb) return k <= kMaxPackedRows && n <= kMaxColumns;
  if (transposed_applies(ta, m, n, k)) return true;
  if (n > kMaxColumns) return false;
  if (m <= 2 || k <= kMaxPackedRows) return true;  // a row (or two), an outer product, a sum of a few of them
  // A few rows of a transposed operand over long sums (a kernel gradient: 9 x 32 x 43264 is
  // 2x faster than the BLAS's packed kernel; 75 x 75 x 4096 in a training step 1.1-1.4x;
  // 96 x 96 loses).
  if (ta) return k >= 256 && (m <= 16 || (m <= 32 && n <= 32) || (k >= 1024 && m <= 80 && n <= 80));
  if (n <= 16) return k >= 64 && m <= 512;  // a thin output over long rows
  return k <= 80 && m >= 1024;              // many rows, short sums (4096 x 75 x 75: 1.15-1.4x)
#else
  (void)ta, (void)tb, (void)m, (void)n, (void)k;
  return false;
#endif
}

bool gemm_narrow_splits_sums(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k) {
#if KERAS_HAS_WIDE_VARIANT
  return ta && !tb && k >= kSplitSums && m <= kMaxColumns && n <= kMaxColumns && n > kMaxTransposedColumns;
#else
  (void)ta, (void)tb, (void)m, (void)n, (void)k;
  return false;
#endif
}

void gemm_narrow(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
                 const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
#if KERAS_HAS_WIDE_VARIANT
  if (flat_applies(ta, tb, m, n, k, ldb)) return row_times_flat(n, k, a, b, beta, c);
  float rows[kMaxPackedRows * kMaxColumns];
  if (tb) {
    // b is stored (n,k): its k columns become rows of length n.
    for (std::int64_t p = 0; p < k; ++p)
      for (std::int64_t j = 0; j < n; ++j) rows[p * n + j] = b[j * ldb + p];
    b = rows;
    ldb = n;
  }
  if (transposed_applies(ta, m, n, k)) return transposed_product(m, n, k, a, lda, b, ldb, beta, c, ldc);
  if (gemm_narrow_splits_sums(ta, tb, m, n, k)) {
    // Two fixed halves of the sum, at any thread count (so the same bits at any): the first
    // into c, the second into scratch, then added. Two threads each stream half of a and b
    // instead of all of both.
    const std::int64_t half = (k / 2 + kSumChunk - 1) / kSumChunk * kSumChunk;
    const ScratchLease<float, NarrowScratch::second_half> second(static_cast<std::size_t>(m * n));
    parallel_for(2, 1, [&](std::int64_t h0, std::int64_t h1) {
      for (std::int64_t h = h0; h < h1; ++h) {
        const std::int64_t p0 = h ? half : 0, kc = h ? k - half : half;
        const float* ap = ta ? a + p0 * lda : a + p0;
        if (h == 0) chunked_sums(ta, m, n, kc, ap, lda, b, ldb, beta, c, ldc);
        else chunked_sums(ta, m, n, kc, ap, lda, b + p0 * ldb, ldb, 0.0f, second.data(), n);
      }
    });
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] += second.data()[i * n + j];
    return;
  }
  chunked_sums(ta, m, n, k, a, lda, b, ldb, beta, c, ldc);
#else
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c,
      (void)ldc;
#endif
}

}  // namespace keras::backend::cpu
