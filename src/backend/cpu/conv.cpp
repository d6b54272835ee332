// Convolution kernels: im2col + BLAS gemm, a direct loop for one input channel per group
// (depthwise), and the naive reference twins.
#include "conv.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "keras/backend/parallel.h"
#include "matmul.h"
#include "scratch.h"
#include "wide_isa.h"

namespace keras::backend::cpu {

bool ConvGeometry::is_pointwise() const {
  for (int d = 0; d < 3; ++d)
    if (k[d] != 1 || stride[d] != 1 || pad[d] != 0 || in[d] != out[d]) return false;
  return groups == 1;
}

namespace {

// im2col materializes at most this many elements at a time: large enough for efficient
// gemms, small enough that the columns (1 MiB of float) stay in a 2 MiB L2 between im2col and
// the gemm, and that BLAS's zeroing of a beta = 0 output does not stream through memory.
constexpr std::int64_t kChunkElements = std::int64_t{1} << 18;

// Scratch kinds (scratch.h), one buffer per use (a chunk may hold several at once). New
// elements are zeros, which the input gradient relies on.
enum class Scratch {
  columns,         // im2col's columns
  zeroed_columns,  // all zeros between uses: the input gradient's gemm adds into it (beta = 1:
                   // BLAS skips zeroing its output) and col2im_take zeroes what it consumed
  partials,        // per-chunk kernel gradients: the calling thread leases it, pool threads
                   // write disjoint parts
};

// c (m,n) = op(a) @ op(b) + beta * c with explicit row-major leading dimensions, so that a
// group's channel slice of a wider matrix is used in place.
template <typename T>
void gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
          std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  gemm_strided(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

using conv_detail::load_vec;
using conv_detail::store_vec;
using conv_detail::Vector32;

// Explicit vector moves: GCC turns a plain copy loop into a memmove call, whose dispatch
// costs as much as the copy for runs of a few hundred bytes (the empty asm keeps the loop).
template <typename T>
void copy_channels(T* __restrict dst, const T* __restrict src, std::int64_t n) {
  constexpr std::int64_t kLanes = 32 / sizeof(T);
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    store_vec(dst + j, load_vec(src + j));
    __asm__ volatile("");
  }
  for (; j < n; ++j) {
    dst[j] = src[j];
    __asm__ volatile("");
  }
}

template <typename T>
void add_into(T* __restrict dst, const T* __restrict src, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) dst[j] += src[j];
}

// out[j] += sum of rows [0, rows) of column j (rows ld apart), added in row order into a
// partial that is then added to out: the same sums whichever thread runs it.
template <typename T>
inline void add_column_sums(const T* __restrict src, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                            T* __restrict out) {
  constexpr std::int64_t kBlock = 64;
  T partial[kBlock];
  for (std::int64_t j0 = 0; j0 < cols; j0 += kBlock) {
    const std::int64_t n = std::min(kBlock, cols - j0);
    std::fill(partial, partial + n, T(0));
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < n; ++j) partial[j] += src[r * ld + j0 + j];
    for (std::int64_t j = 0; j < n; ++j) out[j0 + j] += partial[j];
  }
}

// out (cols) = the column sums of src (rows, cols), in blocks of rows added in order; nothing
// when out is null.
template <typename T>
void column_sums(const T* src, std::int64_t rows, std::int64_t cols, T* out) {
  if (!out) return;
  std::fill(out, out + cols, T(0));
  constexpr std::int64_t kRows = 256;
  for (std::int64_t r0 = 0; r0 < rows; r0 += kRows)
    add_column_sums(src + r0 * cols, std::min(kRows, rows - r0), cols, cols, out);
}

// dst += src, then src = 0.
template <typename T>
void take_channels(T* __restrict dst, T* __restrict src, std::int64_t n) {
  constexpr std::int64_t kLanes = 32 / sizeof(T);
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    store_vec(dst + j, load_vec(dst + j) + load_vec(src + j));
    store_vec(src + j, typename Vector32<T>::type{});
  }
  for (; j < n; ++j) {
    dst[j] += src[j];
    src[j] = T(0);
  }
}

// max(v, 0) keeping nan, as the relu op computes it.
template <typename T>
inline T relu_of(T v) {
  return (v > T(0) || v != v) ? v : T(0);
}

template <typename T, bool kBias, bool kRelu>
void epilogue_rows(const T* __restrict bias, std::int64_t rows, std::int64_t f, std::int64_t ld, T* __restrict y) {
  using Vec = typename Vector32<T>::type;
  constexpr std::int64_t kLanes = 32 / sizeof(T);
  for (std::int64_t r = 0; r < rows; ++r) {
    T* __restrict yr = y + r * ld;
    std::int64_t j = 0;
    for (; j + kLanes <= f; j += kLanes) {
      Vec v = load_vec(yr + j);
      if constexpr (kBias) v += load_vec(bias + j);
      if constexpr (kRelu) v = ((v > Vec{}) | (v != v)) ? v : Vec{};
      store_vec(yr + j, v);
    }
    for (; j < f; ++j) {
      T v = yr[j];
      if constexpr (kBias) v += bias[j];
      if constexpr (kRelu) v = relu_of(v);
      yr[j] = v;
    }
  }
}

// The epilogue over rows (f values each, ld apart) of y; `bias` is the epilogue's, offset to
// the first of these filters.
template <typename T>
void apply_epilogue(const ConvEpilogue<T>& e, const T* bias, std::int64_t rows, std::int64_t f, std::int64_t ld,
                    T* y) {
  if (bias && e.relu) epilogue_rows<T, true, true>(bias, rows, f, ld, y);
  else if (bias) epilogue_rows<T, true, false>(bias, rows, f, ld, y);
  else if (e.relu) epilogue_rows<T, false, true>(bias, rows, f, ld, y);
}

// Calls fn(first entry, entries) for each run of a row's tap list whose input channels are
// contiguous in x (consecutive taps along a unit-dilation last dim, all channels in one group):
// one copy of k2 * c elements instead of k2 copies of c.
template <typename F>
inline void for_each_run(const ConvGeometry& g, std::int64_t count, const std::int64_t* tap, const std::int64_t* off,
                         F&& fn) {
  const bool mergeable = g.groups == 1;
  for (std::int64_t i = 0; i < count;) {
    std::int64_t j = i + 1;
    if (mergeable)
      while (j < count && tap[j] == tap[j - 1] + 1 && off[j] == off[j - 1] + g.c) ++j;
    fn(i, j - i);
    i = j;
  }
}

// cols (r1 - r0, taps * cg): row r holds group `group`'s input channels under every tap of
// output row r, zeros where a tap falls into the padding (only rows with such taps are zeroed).
template <typename T>
void im2col(const ConvGeometry& g, const T* x, std::int64_t group, std::int64_t r0, std::int64_t r1, T* cols) {
  const std::int64_t cg = g.cg(), taps = g.taps(), width = taps * cg;
  const std::int64_t grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(width, 1));
  parallel_for(r1 - r0, grain, [&](std::int64_t begin, std::int64_t end) {
    for_each_row(g, r0 + begin, r0 + end,
                 [&](std::int64_t r, std::int64_t count, const std::int64_t* tap, const std::int64_t* off,
                     std::int64_t shift) {
                   T* row = cols + (r - r0) * width;
                   if (count < taps) std::fill(row, row + width, T(0));
                   const T* xs = x + shift + group * cg;
                   for_each_run(g, count, tap, off, [&](std::int64_t i, std::int64_t n) {
                     copy_channels(row + tap[i] * cg, xs + off[i], n * cg);
                   });
                 });
  });
}

// The adjoint of im2col: adds each column block back onto the input position it came from,
// and leaves cols all zeros (blocks of taps in the padding are cleared too). Samples write
// disjoint parts of dx, so threads take whole samples; each dx element's terms are added in
// row order whatever the thread count.
template <typename T>
void col2im_take(const ConvGeometry& g, T* cols, std::int64_t group, std::int64_t r0, std::int64_t r1, T* dx) {
  const std::int64_t cg = g.cg(), taps = g.taps(), width = taps * cg, positions = g.out_positions();
  const std::int64_t n0 = r0 / positions, n1 = (r1 + positions - 1) / positions;
  const std::int64_t grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, positions * width));
  parallel_for(n1 - n0, grain, [&](std::int64_t sb, std::int64_t se) {
    const std::int64_t b = std::max(r0, (n0 + sb) * positions), e = std::min(r1, (n0 + se) * positions);
    for_each_row(g, b, e,
                 [&](std::int64_t r, std::int64_t count, const std::int64_t* tap, const std::int64_t* off,
                     std::int64_t shift) {
                   T* row = cols + (r - r0) * width;
                   T* dxs = dx + shift + group * cg;
                   for_each_run(g, count, tap, off, [&](std::int64_t i, std::int64_t n) {
                     take_channels(dxs + off[i], row + tap[i] * cg, n * cg);
                   });
                   if (count < taps) std::fill(row, row + width, T(0));
                 });
  });
}

std::int64_t chunk_rows(const ConvGeometry& g) {
  return std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, g.taps() * g.cg()));
}

// `total` items (rows or samples) cut into `count` chunks of at most `most` items whose sizes
// differ by at most one, with an even count when there are several: two threads taking whole
// chunks then get equal work (9 chunks of 910 rows split 5/4; 10 of 7 samples, the last of
// one, split 35/29). Fixed by the shapes alone, not by the thread count.
struct Chunking {
  std::int64_t total = 0, count = 1;
  std::int64_t begin(std::int64_t c) const { return c * total / count; }
  std::int64_t most() const { return (total + count - 1) / count; }
};

Chunking even_chunks(std::int64_t total, std::int64_t most) {
  Chunking ch;
  ch.total = total;
  ch.count = std::max<std::int64_t>(1, (total + most - 1) / most);
  if (ch.count > 1 && ch.count % 2) ++ch.count;
  return ch;
}

// With several threads and several chunks, threads take whole chunks, each with its own
// scratch and one single-threaded product per chunk. (Splitting every chunk's product across
// the threads instead runs half-size products that each pack the shared operand again.)
bool chunks_across_threads(const ConvGeometry& g, std::int64_t chunks) {
  return g.groups == 1 && chunks >= 2 && num_threads() > 1;
}

// ---- one input channel, one group (an image's first layer): register-blocked direct loops ----
//
// Written once for VB-byte vectors (GCC/Clang vector extensions) and compiled for AVX2 (32) and,
// when the CPU has it, for AVX-512 (64, wide_isa.h): these loops are bound by multiply-adds.
// Every output and every kernel-gradient element is the same chain of fused multiply-adds in
// both versions (vector lanes and scalar tails alike: the scalar ones call std::fma, as GCC
// does not always contract them), so results do not depend on the CPU.

// The helpers below pass 64-byte vectors by value, which GCC flags as an ABI change without
// AVX-512; they are always inlined into functions compiled for it, so no call crosses an ABI.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

template <typename T, int VB>
struct VectorN {
  typedef T type __attribute__((vector_size(VB)));
};

template <typename V, typename T>
[[gnu::always_inline]] inline V load_n(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <typename V, typename T>
[[gnu::always_inline]] inline void store_n(T* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

// R output positions, position p reading x + p * xstep: y[p * f + j] = sum over taps of
// x[p * xstep + offset] * w[tap, j]. Blocks of KV vectors of filters accumulate in registers
// and are stored once; the R positions share each load of w.
template <typename T, int VB, int R, int KV>
[[gnu::always_inline]] inline void one_channel_positions(const T* __restrict x, std::int64_t xstep,
                                                         const T* __restrict w, const std::int64_t* __restrict taps,
                                                         const std::int64_t* __restrict offsets, int count,
                                                         std::int64_t f, T* __restrict y) {
  using Vec = typename VectorN<T, VB>::type;
  constexpr std::int64_t L = VB / static_cast<std::int64_t>(sizeof(T));
  std::int64_t j0 = 0;
  for (; j0 + KV * L <= f; j0 += KV * L) {
    Vec acc[R][KV];
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < KV; ++v) acc[p][v] = Vec{};
    for (int t = 0; t < count; ++t) {
      const T* wt = w + taps[t] * f + j0;
      Vec wv[KV];
#pragma GCC unroll 8
      for (int v = 0; v < KV; ++v) wv[v] = load_n<Vec>(wt + v * L);
#pragma GCC unroll 8
      for (int p = 0; p < R; ++p) {
        const T xs = x[p * xstep + offsets[t]];
#pragma GCC unroll 8
        for (int v = 0; v < KV; ++v) acc[p][v] += xs * wv[v];
      }
    }
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < KV; ++v) store_n(y + p * f + j0 + v * L, acc[p][v]);
  }
  for (; j0 + L <= f; j0 += L) {
    Vec acc[R];
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p) acc[p] = Vec{};
    for (int t = 0; t < count; ++t) {
      const Vec wv = load_n<Vec>(w + taps[t] * f + j0);
#pragma GCC unroll 8
      for (int p = 0; p < R; ++p) acc[p] += x[p * xstep + offsets[t]] * wv;
    }
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p) store_n(y + p * f + j0, acc[p]);
  }
  for (std::int64_t j = j0; j < f; ++j)
    for (int p = 0; p < R; ++p) {
      T sum = T(0);
      for (int t = 0; t < count; ++t) sum = std::fma(x[p * xstep + offsets[t]], w[taps[t] * f + j], sum);
      y[p * f + j] = sum;
    }
}

// Output rows [begin, end): border positions one at a time with their in-bounds taps, interior
// ones R at a time.
// The epilogue runs on each line's rows just written (in L1), not in the register blocks:
// there it made GCC schedule the blocks far worse.
template <typename T, int VB, int R, int KV>
[[gnu::always_inline]] inline void one_channel_forward_rows(const ConvGeometry& g, const T* x, const T* w, T* y,
                                                            const ConvEpilogue<T>& epilogue, std::int64_t begin,
                                                            std::int64_t end) {
  const std::int64_t f = g.f, step = g.stride[2];
  const BorderLease border = border_buffer(g);
  std::int64_t* border_tap = border.data();
  std::int64_t* border_off = border_tap + g.taps();
  for_each_line(g, begin, end, [&](std::int64_t r, std::int64_t b, std::int64_t e, const TapLine& line) {
    const std::int64_t ib = std::clamp(line.lo, b, e), ie = std::clamp(line.hi, ib, e);
    for (std::int64_t o2 = b; o2 < e; ++o2) {
      if (o2 == ib && ie > ib) {  // the interior, R positions at a time
        const int count = static_cast<int>(line.count);
        for (; o2 + R <= ie; o2 += R)
          one_channel_positions<T, VB, R, KV>(x + o2 * step, step, w, line.tap, line.off, count, f,
                                              y + (r + o2 - b) * f);
        for (; o2 < ie; ++o2)
          one_channel_positions<T, VB, 1, KV>(x + o2 * step, step, w, line.tap, line.off, count, f,
                                              y + (r + o2 - b) * f);
        if (o2 == e) break;
      }
      const std::int64_t count = border_taps(g, line, o2, border_tap, border_off);
      one_channel_positions<T, VB, 1, KV>(x + o2 * step, step, w, border_tap, border_off, static_cast<int>(count),
                                          f, y + (r + o2 - b) * f);
    }
    apply_epilogue(epilogue, epilogue.bias, e - b, f, f, y + r * f);
  });
}

// UB vectors of filters x KT taps of accumulators, summed over a line's interior positions.
template <typename T, int VB, int UB, int KT>
[[gnu::always_inline]] inline void one_channel_dw_block(const T* __restrict xs, const std::int64_t* __restrict off,
                                                        const std::int64_t* __restrict tap, std::int64_t step,
                                                        const T* __restrict dyr, std::int64_t f,
                                                        std::int64_t positions, T* __restrict dw) {
  using Vec = typename VectorN<T, VB>::type;
  constexpr std::int64_t L = VB / static_cast<std::int64_t>(sizeof(T));
  Vec acc[UB][KT];
#pragma GCC unroll 16
  for (int u = 0; u < UB; ++u)
#pragma GCC unroll 16
    for (int t = 0; t < KT; ++t) acc[u][t] = Vec{};
  for (std::int64_t p = 0; p < positions; ++p) {
    Vec d[UB];
#pragma GCC unroll 16
    for (int u = 0; u < UB; ++u) d[u] = load_n<Vec>(dyr + p * f + u * L);
    const T* xp = xs + p * step;
#pragma GCC unroll 16
    for (int t = 0; t < KT; ++t) {
      const T xv = xp[off[t]];
#pragma GCC unroll 16
      for (int u = 0; u < UB; ++u) acc[u][t] += xv * d[u];
    }
  }
#pragma GCC unroll 16
  for (int u = 0; u < UB; ++u)
#pragma GCC unroll 16
    for (int t = 0; t < KT; ++t) {
      T* at = dw + tap[t] * f + u * L;
      store_n(at, load_n<Vec>(at) + acc[u][t]);
    }
}

// A line's entries through the register blocks, CHUNK taps at a time. Each (tap, filter) sum
// runs over the positions in order whatever the blocking, so blocking does not change results.
template <typename T, int VB, int UB, int CHUNK>
[[gnu::always_inline]] inline void one_channel_dw_entries(std::int64_t count, const T* xs, const std::int64_t* off,
                                                          const std::int64_t* tap, std::int64_t step, const T* dyr,
                                                          std::int64_t f, std::int64_t positions, T* dw) {
  static_assert(CHUNK >= 1 && CHUNK <= 9);
  for (std::int64_t e0 = 0; e0 < count; e0 += CHUNK) {
    const std::int64_t n = std::min<std::int64_t>(CHUNK, count - e0);
    const std::int64_t* o = off + e0;
    const std::int64_t* t = tap + e0;
    switch (n) {
#define KERAS_DW_CASE(K)                                                                      \
  case K:                                                                                     \
    if constexpr (K <= CHUNK) one_channel_dw_block<T, VB, UB, K>(xs, o, t, step, dyr, f, positions, dw); \
    break;
      KERAS_DW_CASE(1) KERAS_DW_CASE(2) KERAS_DW_CASE(3) KERAS_DW_CASE(4) KERAS_DW_CASE(5)
      KERAS_DW_CASE(6) KERAS_DW_CASE(7) KERAS_DW_CASE(8) KERAS_DW_CASE(9)
#undef KERAS_DW_CASE
      default:
        break;
    }
  }
}

// dw columns of filter units [ub, ue) (VB-byte vectors; the last unit may be shorter):
// dw[tap, j] += sum over all rows of x[row's tap] * dy[row, j]. Per line: border positions
// added directly, the interior through register blocks (pairs of units when both are whole),
// a partial unit lane by lane in the same order.
// With db, also db[j] += the line's sum of dy[., j] (rows in order), while its rows are in L1.
template <typename T, int VB, int CHUNK2, int CHUNK1>
[[gnu::always_inline]] inline void one_channel_dw_units(const ConvGeometry& g, const T* x, const T* dy, T* dw,
                                                        T* db, std::int64_t ub, std::int64_t ue, std::int64_t r0,
                                                        std::int64_t r1) {
  constexpr std::int64_t L = VB / static_cast<std::int64_t>(sizeof(T));
  const std::int64_t f = g.f, step = g.stride[2];
  for_each_line(g, r0, r1, [&](std::int64_t r, std::int64_t b, std::int64_t e, const TapLine& line) {
    const std::int64_t ib = std::clamp(line.lo, b, e), ie = std::clamp(line.hi, ib, e);
    const std::int64_t j0 = ub * L, j1 = std::min(f, ue * L);
    if (db) add_column_sums(dy + r * f + j0, e - b, j1 - j0, f, db + j0);
    auto border = [&](std::int64_t o2) {
      const T* dyr = dy + (r + o2 - b) * f;
      for (std::int64_t i = 0; i < line.count; ++i) {
        const std::int64_t i2 = o2 * step + line.t2[i];
        if (i2 < 0 || i2 >= g.in[2]) continue;
        const T xv = x[line.off[i] + o2 * step];
        T* dwt = dw + line.tap[i] * f;
        for (std::int64_t j = j0; j < j1; ++j) dwt[j] = std::fma(xv, dyr[j], dwt[j]);
      }
    };
    for (std::int64_t o2 = b; o2 < ib; ++o2) border(o2);
    if (ie > ib) {
      const T* xs = x + ib * step;
      const T* dyr = dy + (r + ib - b) * f;
      const std::int64_t positions = ie - ib;
      for (std::int64_t u = ub; u < ue;) {
        const std::int64_t j = u * L;
        if (u + 1 < ue && j + 2 * L <= f) {
          one_channel_dw_entries<T, VB, 2, CHUNK2>(line.count, xs, line.off, line.tap, step, dyr + j, f, positions,
                                                   dw + j);
          u += 2;
          continue;
        }
        if (j + L <= f) {
          one_channel_dw_entries<T, VB, 1, CHUNK1>(line.count, xs, line.off, line.tap, step, dyr + j, f, positions,
                                                   dw + j);
        } else {
          for (std::int64_t l = j; l < f; ++l)
            for (std::int64_t t = 0; t < line.count; ++t) {
              T acc = T(0);
              for (std::int64_t p = 0; p < positions; ++p)
                acc = std::fma(xs[p * step + line.off[t]], dyr[p * f + l], acc);
              dw[line.tap[t] * f + l] += acc;
            }
        }
        ++u;
      }
    }
    for (std::int64_t o2 = ie; o2 < e; ++o2) border(o2);
  });
}

// AVX2: 2 positions x 4 vectors (8 accumulators); pairs of units take 6 taps at a time (12
// accumulators, 2 dy vectors, a broadcast: 15 of 16 registers), single units 9.
template <typename T>
void one_channel_forward_narrow(const ConvGeometry& g, const T* x, const T* w, T* y, const ConvEpilogue<T>& epilogue,
                                std::int64_t b, std::int64_t e) {
  one_channel_forward_rows<T, 32, 2, 4>(g, x, w, y, epilogue, b, e);
}
template <typename T>
void one_channel_dw_narrow(const ConvGeometry& g, const T* x, const T* dy, T* dw, T* db, std::int64_t ub,
                           std::int64_t ue, std::int64_t r0, std::int64_t r1) {
  one_channel_dw_units<T, 32, 6, 9>(g, x, dy, dw, db, ub, ue, r0, r1);
}

#if KERAS_HAS_WIDE_VARIANT
// AVX-512 (32 registers): 4 positions x 2 vectors; pairs of units take 9 taps (18 accumulators).
// flatten compiles everything they call (the line walk, its lambdas) for AVX-512 as well.
template <typename T>
KERAS_WIDE_TARGET [[gnu::flatten]] void one_channel_forward_wide(const ConvGeometry& g, const T* x, const T* w, T* y,
                                                                 const ConvEpilogue<T>& epilogue, std::int64_t b,
                                                                 std::int64_t e) {
  one_channel_forward_rows<T, 64, 4, 2>(g, x, w, y, epilogue, b, e);
}
template <typename T>
KERAS_WIDE_TARGET [[gnu::flatten]] void one_channel_dw_wide(const ConvGeometry& g, const T* x, const T* dy, T* dw, T* db,
                                                            std::int64_t ub, std::int64_t ue, std::int64_t r0,
                                                            std::int64_t r1) {
  one_channel_dw_units<T, 64, 9, 9>(g, x, dy, dw, db, ub, ue, r0, r1);
}
#endif

#pragma GCC diagnostic pop

std::atomic<bool> wide_allowed{true};

bool use_wide() {
#if KERAS_HAS_WIDE_VARIANT
  return wide_allowed.load(std::memory_order_relaxed) && wide_isa_available();
#else
  return false;
#endif
}

template <typename T>
void one_channel_forward(const ConvGeometry& g, const T* x, const T* w, T* y, const ConvEpilogue<T>& epilogue) {
  const std::int64_t rows = g.n * g.out_positions();
  const bool wide = use_wide();
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / (g.f * g.taps())), [&](std::int64_t b, std::int64_t e) {
#if KERAS_HAS_WIDE_VARIANT
    if (wide) return one_channel_forward_wide(g, x, w, y, epilogue, b, e);
#endif
    one_channel_forward_narrow(g, x, w, y, epilogue, b, e);
  });
}

// dw (taps, f) for one input channel. The work is cut, by the shapes alone, into chunks of
// samples times pairs of filter units (a pair shares each load of dy); each chunk sums into
// its own partial, and the partials are added in chunk order, so results do not depend on the
// thread count. (Units alone gave two threads a single unit each, without the pairs' reuse.)
template <typename T>
void one_channel_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw, T* db) {
  const bool wide = use_wide();
  const std::int64_t lanes = (wide ? 64 : 32) / static_cast<std::int64_t>(sizeof(T));
  const std::int64_t units = (g.f + lanes - 1) / lanes, unit_groups = (units + 1) / 2;
  const std::int64_t samples = (g.n + 7) / 8, chunks = (g.n + samples - 1) / samples;
  const std::int64_t positions = g.out_positions(), size = g.taps() * g.f + g.f;
  ScratchLease<T, Scratch::partials> partial_lease(static_cast<std::size_t>(chunks > 1 ? chunks * size : 0));
  T* partial = chunks > 1 ? partial_lease.data() : nullptr;
  parallel_for(chunks * unit_groups, 1, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      const std::int64_t c = t / unit_groups, ub = (t % unit_groups) * 2, ue = std::min(units, ub + 2);
      T* cdw = chunks > 1 ? partial + c * size : dw;
      T* cdb = !db ? nullptr : chunks > 1 ? cdw + g.taps() * g.f : db;
      const std::int64_t j0 = ub * lanes, j1 = std::min(g.f, ue * lanes);
      for (std::int64_t tap = 0; tap < g.taps(); ++tap) std::fill(cdw + tap * g.f + j0, cdw + tap * g.f + j1, T(0));
      if (cdb) std::fill(cdb + j0, cdb + j1, T(0));
      const std::int64_t r0 = c * samples * positions, r1 = std::min(g.n, (c + 1) * samples) * positions;
#if KERAS_HAS_WIDE_VARIANT
      if (wide) {
        one_channel_dw_wide(g, x, dy, cdw, cdb, ub, ue, r0, r1);
        continue;
      }
#endif
      one_channel_dw_narrow(g, x, dy, cdw, cdb, ub, ue, r0, r1);
    }
  });
  if (chunks > 1) {
    std::copy(partial, partial + g.taps() * g.f, dw);
    for (std::int64_t c = 1; c < chunks; ++c) add_into(dw, partial + c * size, g.taps() * g.f);
    if (db) {
      std::copy(partial + g.taps() * g.f, partial + size, db);
      for (std::int64_t c = 1; c < chunks; ++c) add_into(db, partial + c * size + g.taps() * g.f, g.f);
    }
  }
}

// ---- one input channel per group (depthwise): direct loops over the output channels ------

template <typename T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, T* y, const ConvEpilogue<T>& epilogue) {
  const std::int64_t rows = g.n * g.out_positions(), f = g.f, fg = g.fg();
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / (f * g.taps())), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      T* __restrict yr = y + r * f;
      std::fill(yr, yr + f, T(0));
      for_each_tap(g, decode_row(g, r), [&](std::int64_t tap, std::int64_t offset) {
        const T* __restrict xv = x + offset;
        const T* __restrict wt = w + tap * f;
        if (fg == 1) {  // depthwise: output channel j reads input channel j
          for (std::int64_t j = 0; j < f; ++j) yr[j] += xv[j] * wt[j];
        } else if (g.c == 1) {  // one input channel: every filter reads it
          const T xs = xv[0];
          for (std::int64_t j = 0; j < f; ++j) yr[j] += xs * wt[j];
        } else {
          for (std::int64_t ci = 0; ci < g.c; ++ci) {
            const T xs = xv[ci];
            T* __restrict yc = yr + ci * fg;
            const T* __restrict wc = wt + ci * fg;
            for (std::int64_t m = 0; m < fg; ++m) yc[m] += xs * wc[m];
          }
        }
      });
      apply_epilogue(epilogue, epilogue.bias, 1, f, f, yr);
    }
  });
}

template <typename T>
void depthwise_backward_input(const ConvGeometry& g, const T* dy, const T* w, T* dx) {
  const std::int64_t positions = g.out_positions(), f = g.f, fg = g.fg();
  std::fill(dx, dx + g.n * g.in_positions() * g.c, T(0));
  // Samples write disjoint parts of dx, so they run in parallel.
  parallel_for(g.n, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin * positions; r < end * positions; ++r) {
      const T* dyr = dy + r * f;
      for_each_tap(g, decode_row(g, r), [&](std::int64_t tap, std::int64_t offset) {
        T* dxv = dx + offset;
        const T* wt = w + tap * f;
        if (fg == 1) {
          for (std::int64_t j = 0; j < f; ++j) dxv[j] += dyr[j] * wt[j];
        } else {
          for (std::int64_t ci = 0; ci < g.c; ++ci) {
            T s = T(0);
            for (std::int64_t m = 0; m < fg; ++m) s += dyr[ci * fg + m] * wt[ci * fg + m];
            dxv[ci] += s;
          }
        }
      });
    }
  });
}

template <typename T>
void depthwise_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  const std::int64_t rows = g.n * g.out_positions(), f = g.f, fg = g.fg();
  std::fill(dw, dw + g.taps() * f, T(0));
  // Threads take disjoint ranges of output channels, so the sums over rows need no merging.
  parallel_for(f, std::max<std::int64_t>(1, f / 4), [&](std::int64_t jb, std::int64_t je) {
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* __restrict dyr = dy + r * f;
      for_each_tap(g, decode_row(g, r), [&](std::int64_t tap, std::int64_t offset) {
        const T* __restrict xv = x + offset;
        T* __restrict dwt = dw + tap * f;
        if (fg == 1) {
          for (std::int64_t j = jb; j < je; ++j) dwt[j] += xv[j] * dyr[j];
        } else {
          for (std::int64_t j = jb; j < je; ++j) dwt[j] += xv[j / fg] * dyr[j];
        }
      });
    }
  });
}

}  // namespace

void conv_allow_wide_isa(bool allow) { wide_allowed.store(allow, std::memory_order_relaxed); }

// ---- im2col + gemm ---------------------------------------------------------------------------

template <typename T>
void conv_forward(const ConvGeometry& g, const T* x, const T* w, T* y, ConvEpilogue<T> epilogue) {
  const std::int64_t rows = g.n * g.out_positions();
  if (rows == 0 || g.f == 0) return;
  // Rows of y are independent and the epilogue is per element: applying it to a chunk's rows
  // right after their product (still in cache) gives the values of a separate pass.
  auto finish = [&](std::int64_t r0, std::int64_t r1) {
    apply_epilogue(epilogue, epilogue.bias, r1 - r0, g.f, g.f, y + r0 * g.f);
  };
  if (g.c == 0) {
    std::fill(y, y + rows * g.f, T(0));
    return finish(0, rows);
  }
  if (g.c == 1 && g.groups == 1) return one_channel_forward(g, x, w, y, epilogue);
  if (g.cg() == 1) return depthwise_forward(g, x, w, y, epilogue);
  const std::int64_t cg = g.cg(), fg = g.fg(), width = g.taps() * cg;
  if (g.is_pointwise()) {
    gemm(false, false, rows, g.f, g.c, x, g.c, w, g.f, T(0), y, g.f);
    if (epilogue.bias || epilogue.relu)
      parallel_for(rows, std::max<std::int64_t>(1, 16384 / g.f), finish);
    return;
  }
  const Chunking ch = even_chunks(rows, chunk_rows(g));
  if (chunks_across_threads(g, ch.count)) {
    // Rows of y are independent: the same values whichever thread computes a chunk.
    parallel_for(ch.count, 1, [&](std::int64_t c0, std::int64_t c1) {
      ScratchLease<T, Scratch::columns> cols_lease(static_cast<std::size_t>(ch.most() * width));
      T* cols = cols_lease.data();
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t r0 = ch.begin(c), r1 = ch.begin(c + 1);
        im2col(g, x, 0, r0, r1, cols);
        gemm(false, false, r1 - r0, g.f, width, cols, width, w, g.f, T(0), y + r0 * g.f, g.f);
        finish(r0, r1);
      }
    });
    return;
  }
  ScratchLease<T, Scratch::columns> cols_lease(static_cast<std::size_t>(ch.most() * width));
  T* cols = cols_lease.data();
  for (std::int64_t c = 0; c < ch.count; ++c) {
    const std::int64_t r0 = ch.begin(c), r1 = ch.begin(c + 1);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      im2col(g, x, grp, r0, r1, cols);
      // y[r0:r1, group's filters] = cols @ w[:, group's filters]
      gemm(false, false, r1 - r0, fg, width, cols, width, w + grp * fg, g.f, T(0), y + r0 * g.f + grp * fg, g.f);
    }
    finish(r0, r1);
  }
}

template <typename T>
void conv_backward_input(const ConvGeometry& g, const T* dy, const T* w, T* dx) {
  const std::int64_t rows = g.n * g.out_positions();
  if (rows == 0 || g.f == 0 || g.c == 0) return std::fill(dx, dx + g.n * g.in_positions() * g.c, T(0));
  if (g.cg() == 1) return depthwise_backward_input(g, dy, w, dx);
  const std::int64_t cg = g.cg(), fg = g.fg(), width = g.taps() * cg;
  if (g.is_pointwise()) {
    gemm(false, true, rows, g.c, g.f, dy, g.f, w, g.f, T(0), dx, g.c);
    return;
  }
  const std::int64_t positions = g.out_positions(), in_sample = g.in_positions() * g.c;
  // Chunks of whole samples write disjoint parts of dx, so threads can take whole chunks. The
  // chunks (and so every product's rows) are the same at any thread count, and each dx element
  // gets its terms in row order: the values do not depend on the thread count.
  const std::int64_t samples_per_chunk = chunk_rows(g) / positions;
  if (g.groups == 1 && samples_per_chunk > 0) {
    const Chunking ch = even_chunks(g.n, samples_per_chunk);
    parallel_for(ch.count, 1, [&](std::int64_t c0, std::int64_t c1) {
      ScratchLease<T, Scratch::zeroed_columns> cols_lease(
          static_cast<std::size_t>(ch.most() * positions * width));
      T* cols = cols_lease.data();
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t n0 = ch.begin(c), n1 = ch.begin(c + 1);
        std::fill(dx + n0 * in_sample, dx + n1 * in_sample, T(0));
        const std::int64_t r0 = n0 * positions, r1 = n1 * positions;
        gemm(false, true, r1 - r0, width, g.f, dy + r0 * g.f, g.f, w, g.f, T(1), cols, width);
        col2im_take(g, cols, 0, r0, r1, dx);
      }
    });
    return;
  }
  std::fill(dx, dx + g.n * in_sample, T(0));
  const std::int64_t step = chunk_rows(g);
  ScratchLease<T, Scratch::zeroed_columns> cols_lease(static_cast<std::size_t>(std::min(step, rows) * width));
  T* cols = cols_lease.data();
  for (std::int64_t r0 = 0; r0 < rows; r0 += step) {
    const std::int64_t r1 = std::min(rows, r0 + step);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      // cols (zeros) += dy[r0:r1, group's filters] @ w[:, group's filters]^T, then scattered
      // back, which zeroes cols again.
      gemm(false, true, r1 - r0, width, fg, dy + r0 * g.f + grp * fg, g.f, w + grp * fg, g.f, T(1), cols, width);
      col2im_take(g, cols, grp, r0, r1, dx);
    }
  }
}

template <typename T>
void conv_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw, T* db) {
  const std::int64_t rows = g.n * g.out_positions();
  if (rows == 0 || g.f == 0 || g.c == 0) {
    if (db) std::fill(db, db + g.f, T(0));
    return std::fill(dw, dw + g.taps() * g.cg() * g.f, T(0));
  }
  if (g.c == 1 && g.groups == 1 && !g.is_pointwise()) return one_channel_backward_kernel(g, x, dy, dw, db);
  if (g.cg() == 1 && g.groups > 1) {
    depthwise_backward_kernel(g, x, dy, dw);
    return column_sums(dy, rows, g.f, db);
  }
  const std::int64_t cg = g.cg(), fg = g.fg(), width = g.taps() * cg;
  if (g.is_pointwise()) {
    gemm(true, false, g.c, g.f, rows, x, g.c, dy, g.f, T(0), dw, g.f);
    return column_sums(dy, rows, g.f, db);
  }
  const std::int64_t step = chunk_rows(g), size = width * g.f;
  if (g.groups == 1) {
    const Chunking ch = even_chunks(rows, step);
    const std::int64_t chunks = ch.count;
    // Each chunk's product goes to its own slice, and the slices are added in chunk order: the
    // chunks are fixed by the shapes alone, so the sum is the same whatever the thread count.
    // The bias's column sums likewise, each taken right after its chunk's product (dy's rows
    // still in cache).
    ScratchLease<T, Scratch::partials> partial_lease(static_cast<std::size_t>(chunks > 1 ? chunks * (size + g.f) : 0));
    T* partial = chunks > 1 ? partial_lease.data() : dw;
    T* partial_db = chunks > 1 ? partial + chunks * size : db;
    auto chunk_product = [&](std::int64_t c0, std::int64_t c1) {
      ScratchLease<T, Scratch::columns> cols_lease(static_cast<std::size_t>(ch.most() * width));
      T* cols = cols_lease.data();
      for (std::int64_t c = c0; c < c1; ++c) {
        const std::int64_t r0 = ch.begin(c), r1 = ch.begin(c + 1);
        im2col(g, x, 0, r0, r1, cols);
        gemm(true, false, width, g.f, r1 - r0, cols, width, dy + r0 * g.f, g.f, T(0), partial + c * size, g.f);
        if (db) column_sums(dy + r0 * g.f, r1 - r0, g.f, partial_db + c * g.f);
      }
    };
    if (chunks_across_threads(g, chunks)) parallel_for(chunks, 1, chunk_product);
    else chunk_product(0, chunks);
    if (chunks > 1) {
      std::copy(partial, partial + size, dw);
      for (std::int64_t c = 1; c < chunks; ++c) add_into(dw, partial + c * size, size);
      if (db) {
        std::copy(partial_db, partial_db + g.f, db);
        for (std::int64_t c = 1; c < chunks; ++c) add_into(db, partial_db + c * g.f, g.f);
      }
    }
    return;
  }
  std::fill(dw, dw + width * g.f, T(0));
  ScratchLease<T, Scratch::columns> cols_lease(static_cast<std::size_t>(std::min(step, rows) * width));
  T* cols = cols_lease.data();
  for (std::int64_t r0 = 0; r0 < rows; r0 += step) {
    const std::int64_t r1 = std::min(rows, r0 + step);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      im2col(g, x, grp, r0, r1, cols);
      // dw[:, group's filters] += cols^T @ dy[r0:r1, group's filters]
      gemm(true, false, width, fg, r1 - r0, cols, width, dy + r0 * g.f + grp * fg, g.f, T(1), dw + grp * fg, g.f);
    }
  }
  column_sums(dy, rows, g.f, db);
}

// ---- reference twins -------------------------------------------------------------------------

namespace {

// Calls fn(n, output offset (channel 0), tap, input offset (channel 0)) for every in-bounds
// (output position, tap) pair, in plain nested order.
template <typename F>
void for_each_pair_reference(const ConvGeometry& g, F&& fn) {
  for (std::int64_t n = 0; n < g.n; ++n)
    for (std::int64_t o0 = 0; o0 < g.out[0]; ++o0)
      for (std::int64_t o1 = 0; o1 < g.out[1]; ++o1)
        for (std::int64_t o2 = 0; o2 < g.out[2]; ++o2) {
          const std::int64_t yoff = (((n * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2) * g.f;
          for (std::int64_t t0 = 0; t0 < g.k[0]; ++t0)
            for (std::int64_t t1 = 0; t1 < g.k[1]; ++t1)
              for (std::int64_t t2 = 0; t2 < g.k[2]; ++t2) {
                const std::int64_t i0 = o0 * g.stride[0] - g.pad[0] + t0 * g.dilation[0];
                const std::int64_t i1 = o1 * g.stride[1] - g.pad[1] + t1 * g.dilation[1];
                const std::int64_t i2 = o2 * g.stride[2] - g.pad[2] + t2 * g.dilation[2];
                if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 || i2 >= g.in[2]) continue;
                const std::int64_t xoff = (((n * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2) * g.c;
                fn(yoff, (t0 * g.k[1] + t1) * g.k[2] + t2, xoff);
              }
        }
}

}  // namespace

template <typename T>
void conv_forward_reference(const ConvGeometry& g, const T* x, const T* w, T* y) {
  const std::int64_t cg = g.cg(), fg = g.fg();
  std::vector<double> acc(static_cast<std::size_t>(g.n * g.out_positions() * g.f), 0.0);
  for_each_pair_reference(g, [&](std::int64_t yoff, std::int64_t tap, std::int64_t xoff) {
    for (std::int64_t j = 0; j < g.f; ++j) {
      const std::int64_t grp = j / fg;
      for (std::int64_t ci = 0; ci < cg; ++ci)
        acc[static_cast<std::size_t>(yoff + j)] +=
            static_cast<double>(x[xoff + grp * cg + ci]) * static_cast<double>(w[(tap * cg + ci) * g.f + j]);
    }
  });
  for (std::size_t i = 0; i < acc.size(); ++i) y[i] = static_cast<T>(acc[i]);
}

template <typename T>
void conv_backward_input_reference(const ConvGeometry& g, const T* dy, const T* w, T* dx) {
  const std::int64_t cg = g.cg(), fg = g.fg();
  std::vector<double> acc(static_cast<std::size_t>(g.n * g.in_positions() * g.c), 0.0);
  for_each_pair_reference(g, [&](std::int64_t yoff, std::int64_t tap, std::int64_t xoff) {
    for (std::int64_t j = 0; j < g.f; ++j) {
      const std::int64_t grp = j / fg;
      for (std::int64_t ci = 0; ci < cg; ++ci)
        acc[static_cast<std::size_t>(xoff + grp * cg + ci)] +=
            static_cast<double>(dy[yoff + j]) * static_cast<double>(w[(tap * cg + ci) * g.f + j]);
    }
  });
  for (std::size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<T>(acc[i]);
}

template <typename T>
void conv_backward_kernel_reference(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  const std::int64_t cg = g.cg(), fg = g.fg();
  std::vector<double> acc(static_cast<std::size_t>(g.taps() * cg * g.f), 0.0);
  for_each_pair_reference(g, [&](std::int64_t yoff, std::int64_t tap, std::int64_t xoff) {
    for (std::int64_t j = 0; j < g.f; ++j) {
      const std::int64_t grp = j / fg;
      for (std::int64_t ci = 0; ci < cg; ++ci)
        acc[static_cast<std::size_t>((tap * cg + ci) * g.f + j)] +=
            static_cast<double>(x[xoff + grp * cg + ci]) * static_cast<double>(dy[yoff + j]);
    }
  });
  for (std::size_t i = 0; i < acc.size(); ++i) dw[i] = static_cast<T>(acc[i]);
}

#define KERAS_CONV_INSTANTIATE(T)                                                                \
  template void conv_forward<T>(const ConvGeometry&, const T*, const T*, T*, ConvEpilogue<T>);   \
  template void conv_backward_input<T>(const ConvGeometry&, const T*, const T*, T*);             \
  template void conv_backward_kernel<T>(const ConvGeometry&, const T*, const T*, T*, T*);        \
  template void conv_forward_reference<T>(const ConvGeometry&, const T*, const T*, T*);          \
  template void conv_backward_input_reference<T>(const ConvGeometry&, const T*, const T*, T*);   \
  template void conv_backward_kernel_reference<T>(const ConvGeometry&, const T*, const T*, T*);
KERAS_CONV_INSTANTIATE(float)
KERAS_CONV_INSTANTIATE(double)
#undef KERAS_CONV_INSTANTIATE

}  // namespace keras::backend::cpu
