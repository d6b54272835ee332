// Convolution kernels: im2col + BLAS gemm, a direct loop for one input channel per group
// (depthwise), and the naive reference twins.
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "keras/backend/parallel.h"
#include "matmul.h"

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

// Grow-only per-thread scratch: after the first call of a given size a compiled plan's
// steps allocate nothing.
template <typename T>
T* scratch(std::int64_t elements) {
  thread_local std::vector<T> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < elements) buffer.resize(static_cast<std::size_t>(elements));
  return buffer.data();
}

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
void add_channels(T* __restrict dst, const T* __restrict src, std::int64_t n) {
  constexpr std::int64_t kLanes = 32 / sizeof(T);
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) store_vec(dst + j, load_vec(dst + j) + load_vec(src + j));
  for (; j < n; ++j) dst[j] += src[j];
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

// The adjoint of im2col: adds each column block back onto the input position it came from.
// Samples write disjoint parts of dx, so threads take whole samples; each dx element's terms
// are added in row order whatever the thread count.
template <typename T>
void col2im_add(const ConvGeometry& g, const T* cols, std::int64_t group, std::int64_t r0, std::int64_t r1, T* dx) {
  const std::int64_t cg = g.cg(), width = g.taps() * cg, positions = g.out_positions();
  const std::int64_t n0 = r0 / positions, n1 = (r1 + positions - 1) / positions;
  const std::int64_t grain = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, positions * width));
  parallel_for(n1 - n0, grain, [&](std::int64_t sb, std::int64_t se) {
    const std::int64_t b = std::max(r0, (n0 + sb) * positions), e = std::min(r1, (n0 + se) * positions);
    for_each_row(g, b, e,
                 [&](std::int64_t r, std::int64_t count, const std::int64_t* tap, const std::int64_t* off,
                     std::int64_t shift) {
                   const T* row = cols + (r - r0) * width;
                   T* dxs = dx + shift + group * cg;
                   for_each_run(g, count, tap, off, [&](std::int64_t i, std::int64_t n) {
                     add_channels(dxs + off[i], row + tap[i] * cg, n * cg);
                   });
                 });
  });
}

std::int64_t chunk_rows(const ConvGeometry& g) {
  return std::max<std::int64_t>(1, kChunkElements / std::max<std::int64_t>(1, g.taps() * g.cg()));
}

// ---- one input channel, one group (an image's first layer): register-blocked direct loop ----

// R output positions, position p reading x + p * xstep: y[p * f + j] = sum over taps of
// x[p * xstep + offset] * w[tap, j]. Blocks of filters accumulate in vector registers (GCC/Clang
// vector extensions: left to itself, GCC interchanges these loops into a scalar one) and are
// stored once; two positions share each load of w.
template <typename T, int R>
void one_channel_positions(const T* __restrict x, std::int64_t xstep, const T* __restrict w,
                           const std::int64_t* __restrict taps, const std::int64_t* __restrict offsets, int count,
                           std::int64_t f, T* __restrict y) {
  using Vec = typename Vector32<T>::type;
  constexpr std::int64_t kLanes = static_cast<std::int64_t>(sizeof(Vec) / sizeof(T));
  constexpr int kVecs = 4;
  std::int64_t j0 = 0;
  for (; j0 + kVecs * kLanes <= f; j0 += kVecs * kLanes) {
    Vec acc[R][kVecs];
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) acc[p][v] = Vec{};
    for (int t = 0; t < count; ++t) {
      const T* wt = w + taps[t] * f + j0;
      Vec wv[kVecs];
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) wv[v] = load_vec(wt + v * kLanes);
#pragma GCC unroll 8
      for (int p = 0; p < R; ++p) {
        const T xs = x[p * xstep + offsets[t]];
#pragma GCC unroll 8
        for (int v = 0; v < kVecs; ++v) acc[p][v] += xs * wv[v];
      }
    }
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p)
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) store_vec(y + p * f + j0 + v * kLanes, acc[p][v]);
  }
  for (; j0 + kLanes <= f; j0 += kLanes) {
    Vec acc[R];
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p) acc[p] = Vec{};
    for (int t = 0; t < count; ++t) {
      const Vec wv = load_vec(w + taps[t] * f + j0);
#pragma GCC unroll 8
      for (int p = 0; p < R; ++p) acc[p] += x[p * xstep + offsets[t]] * wv;
    }
#pragma GCC unroll 8
    for (int p = 0; p < R; ++p) store_vec(y + p * f + j0, acc[p]);
  }
  for (std::int64_t j = j0; j < f; ++j)
    for (int p = 0; p < R; ++p) {
      T sum = T(0);
      for (int t = 0; t < count; ++t) sum += x[p * xstep + offsets[t]] * w[taps[t] * f + j];
      y[p * f + j] = sum;
    }
}

template <typename T>
void one_channel_forward(const ConvGeometry& g, const T* x, const T* w, T* y) {
  const std::int64_t rows = g.n * g.out_positions(), f = g.f, step = g.stride[2];
  parallel_for(rows, std::max<std::int64_t>(1, 4096 / (f * g.taps())), [&](std::int64_t begin, std::int64_t end) {
    std::int64_t* border_tap = border_buffer(g);
    std::int64_t* border_off = border_tap + g.taps();
    for_each_line(g, begin, end, [&](std::int64_t r, std::int64_t b, std::int64_t e, const TapLine& line) {
      const std::int64_t ib = std::clamp(line.lo, b, e), ie = std::clamp(line.hi, ib, e);
      auto border = [&](std::int64_t o2) {
        const std::int64_t count = border_taps(g, line, o2, border_tap, border_off);
        one_channel_positions<T, 1>(x + o2 * step, step, w, border_tap, border_off, static_cast<int>(count), f,
                                    y + (r + o2 - b) * f);
      };
      for (std::int64_t o2 = b; o2 < ib; ++o2) border(o2);
      const int count = static_cast<int>(line.count);
      std::int64_t o2 = ib;
      for (; o2 + 2 <= ie; o2 += 2)
        one_channel_positions<T, 2>(x + o2 * step, step, w, line.tap, line.off, count, f, y + (r + o2 - b) * f);
      if (o2 < ie)
        one_channel_positions<T, 1>(x + o2 * step, step, w, line.tap, line.off, count, f, y + (r + o2 - b) * f);
      for (o2 = ie; o2 < e; ++o2) border(o2);
    });
  });
}

// dw (taps, f) for one input channel: dw[tap, j] = sum over rows of x[row's tap] * dy[row, j].
// Filters go in units of one vector (the last unit may be shorter); a unit's sums run in a
// fixed order whichever thread takes it, so results do not depend on the thread count. Each
// line's interior positions accumulate in registers, KT taps at a time.
// UB whole vectors of filters x KT taps of accumulators: with UB = 2, KT <= 6 (12 accumulators,
// 2 dy vectors and a broadcast: 15 of 16 registers) each broadcast of x feeds two FMAs.
template <typename T, int UB, int KT>
void one_channel_dw_block(const T* __restrict xs, const std::int64_t* __restrict off,
                          const std::int64_t* __restrict tap, std::int64_t step, const T* __restrict dyr,
                          std::int64_t f, std::int64_t positions, T* __restrict dw) {
  using Vec = typename Vector32<T>::type;
  constexpr std::int64_t kLanes = static_cast<std::int64_t>(sizeof(Vec) / sizeof(T));
  Vec acc[UB][KT];
#pragma GCC unroll 16
  for (int u = 0; u < UB; ++u)
#pragma GCC unroll 16
    for (int t = 0; t < KT; ++t) acc[u][t] = Vec{};
  for (std::int64_t p = 0; p < positions; ++p) {
    Vec d[UB];
#pragma GCC unroll 16
    for (int u = 0; u < UB; ++u) d[u] = load_vec(dyr + p * f + u * kLanes);
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
      T* at = dw + tap[t] * f + u * kLanes;
      store_vec(at, load_vec(at) + acc[u][t]);
    }
}

// The same sums for a last, partial vector of `lanes` filters, one lane at a time.
template <typename T>
void one_channel_dw_lanes(const T* xs, const std::int64_t* off, const std::int64_t* tap, std::int64_t count,
                          std::int64_t step, const T* dyr, std::int64_t f, std::int64_t positions, std::int64_t lanes,
                          T* dw) {
  for (std::int64_t l = 0; l < lanes; ++l)
    for (std::int64_t t = 0; t < count; ++t) {
      T acc = T(0);
      for (std::int64_t p = 0; p < positions; ++p) acc += xs[p * step + off[t]] * dyr[p * f + l];
      dw[tap[t] * f + l] += acc;
    }
}

// Runs the line's entries through the register blocks, `UB == 2 ? 6 : 9` taps at a time.
// Every (tap, filter) sum runs over the positions in order whatever the blocking, so the
// blocking does not change the results.
template <typename T, int UB>
void one_channel_dw_entries(std::int64_t count, const T* xs, const std::int64_t* off, const std::int64_t* tap,
                            std::int64_t step, const T* dyr, std::int64_t f, std::int64_t positions, T* dw) {
  constexpr std::int64_t kChunk = UB == 2 ? 6 : 9;
  for (std::int64_t e0 = 0; e0 < count; e0 += kChunk) {
    const std::int64_t n = std::min(kChunk, count - e0);
    const std::int64_t* o = off + e0;
    const std::int64_t* t = tap + e0;
    switch (n) {
#define KERAS_DW_CASE(K)                                                              \
  case K:                                                                             \
    if constexpr (K <= kChunk) one_channel_dw_block<T, UB, K>(xs, o, t, step, dyr, f, positions, dw); \
    break;
      KERAS_DW_CASE(1) KERAS_DW_CASE(2) KERAS_DW_CASE(3) KERAS_DW_CASE(4) KERAS_DW_CASE(5)
      KERAS_DW_CASE(6) KERAS_DW_CASE(7) KERAS_DW_CASE(8) KERAS_DW_CASE(9)
#undef KERAS_DW_CASE
      default:
        break;
    }
  }
}

// dw (taps, f) for one input channel: dw[tap, j] = sum over rows of x[row's tap] * dy[row, j].
// Filters go in units of one vector (the last unit may be shorter); each dw element's sum runs
// in a fixed order (per line: border positions and the interior's register-held partial sum,
// in position order) whichever thread takes its unit, so results do not depend on the thread
// count.
template <typename T>
void one_channel_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  using Vec = typename Vector32<T>::type;
  constexpr std::int64_t kLanes = static_cast<std::int64_t>(sizeof(Vec) / sizeof(T));
  const std::int64_t rows = g.n * g.out_positions(), f = g.f, step = g.stride[2];
  const std::int64_t units = (f + kLanes - 1) / kLanes;
  std::fill(dw, dw + g.taps() * f, T(0));
  parallel_for(units, 1, [&](std::int64_t ub, std::int64_t ue) {
    for_each_line(g, 0, rows, [&](std::int64_t r, std::int64_t b, std::int64_t e, const TapLine& line) {
      const std::int64_t ib = std::clamp(line.lo, b, e), ie = std::clamp(line.hi, ib, e);
      // Border positions of units [u0, u1): their in-bounds taps, added to dw directly.
      auto border = [&](std::int64_t o2, std::int64_t u0, std::int64_t u1) {
        const std::int64_t j0 = u0 * kLanes, j1 = std::min(f, u1 * kLanes);
        const T* dyr = dy + (r + o2 - b) * f;
        for (std::int64_t i = 0; i < line.count; ++i) {
          const std::int64_t i2 = o2 * step + line.t2[i];
          if (i2 < 0 || i2 >= g.in[2]) continue;
          const T xv = x[line.off[i] + o2 * step];
          T* dwt = dw + line.tap[i] * f;
          for (std::int64_t j = j0; j < j1; ++j) dwt[j] += xv * dyr[j];
        }
      };
      for (std::int64_t o2 = b; o2 < ib; ++o2) border(o2, ub, ue);
      if (ie > ib) {
        const T* xs = x + ib * step;
        const T* dyr = dy + (r + ib - b) * f;
        for (std::int64_t u = ub; u < ue;) {
          const std::int64_t j0 = u * kLanes, lanes = std::min(kLanes, f - j0);
          if (u + 1 < ue && j0 + 2 * kLanes <= f) {
            one_channel_dw_entries<T, 2>(line.count, xs, line.off, line.tap, step, dyr + j0, f, ie - ib, dw + j0);
            u += 2;
          } else if (lanes == kLanes) {
            one_channel_dw_entries<T, 1>(line.count, xs, line.off, line.tap, step, dyr + j0, f, ie - ib, dw + j0);
            ++u;
          } else {
            one_channel_dw_lanes(xs, line.off, line.tap, line.count, step, dyr + j0, f, ie - ib, lanes, dw + j0);
            ++u;
          }
        }
      }
      for (std::int64_t o2 = ie; o2 < e; ++o2) border(o2, ub, ue);
    });
  });
}

// ---- one input channel per group (depthwise): direct loops over the output channels ------

template <typename T>
void depthwise_forward(const ConvGeometry& g, const T* x, const T* w, T* y) {
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

// ---- im2col + gemm ---------------------------------------------------------------------------

template <typename T>
void conv_forward(const ConvGeometry& g, const T* x, const T* w, T* y) {
  const std::int64_t rows = g.n * g.out_positions();
  if (rows == 0 || g.f == 0) return;
  if (g.c == 0) return std::fill(y, y + rows * g.f, T(0));
  if (g.c == 1 && g.groups == 1) return one_channel_forward(g, x, w, y);
  if (g.cg() == 1) return depthwise_forward(g, x, w, y);
  const std::int64_t cg = g.cg(), fg = g.fg(), width = g.taps() * cg;
  if (g.is_pointwise()) {
    gemm(false, false, rows, g.f, g.c, x, g.c, w, g.f, T(0), y, g.f);
    return;
  }
  const std::int64_t step = chunk_rows(g);
  T* cols = scratch<T>(std::min(step, rows) * width);
  for (std::int64_t r0 = 0; r0 < rows; r0 += step) {
    const std::int64_t r1 = std::min(rows, r0 + step);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      im2col(g, x, grp, r0, r1, cols);
      // y[r0:r1, group's filters] = cols @ w[:, group's filters]
      gemm(false, false, r1 - r0, fg, width, cols, width, w + grp * fg, g.f, T(0), y + r0 * g.f + grp * fg, g.f);
    }
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
  std::fill(dx, dx + g.n * g.in_positions() * g.c, T(0));
  const std::int64_t step = chunk_rows(g);
  T* cols = scratch<T>(std::min(step, rows) * width);
  for (std::int64_t r0 = 0; r0 < rows; r0 += step) {
    const std::int64_t r1 = std::min(rows, r0 + step);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      // cols = dy[r0:r1, group's filters] @ w[:, group's filters]^T, then scattered back.
      gemm(false, true, r1 - r0, width, fg, dy + r0 * g.f + grp * fg, g.f, w + grp * fg, g.f, T(0), cols, width);
      col2im_add(g, cols, grp, r0, r1, dx);
    }
  }
}

template <typename T>
void conv_backward_kernel(const ConvGeometry& g, const T* x, const T* dy, T* dw) {
  const std::int64_t rows = g.n * g.out_positions();
  if (rows == 0 || g.f == 0 || g.c == 0) return std::fill(dw, dw + g.taps() * g.cg() * g.f, T(0));
  if (g.cg() == 1 && g.groups > 1) return depthwise_backward_kernel(g, x, dy, dw);
  if (g.c == 1 && g.groups == 1 && !g.is_pointwise()) return one_channel_backward_kernel(g, x, dy, dw);
  const std::int64_t cg = g.cg(), fg = g.fg(), width = g.taps() * cg;
  if (g.is_pointwise()) {
    gemm(true, false, g.c, g.f, rows, x, g.c, dy, g.f, T(0), dw, g.f);
    return;
  }
  std::fill(dw, dw + width * g.f, T(0));
  const std::int64_t step = chunk_rows(g);
  T* cols = scratch<T>(std::min(step, rows) * width);
  for (std::int64_t r0 = 0; r0 < rows; r0 += step) {
    const std::int64_t r1 = std::min(rows, r0 + step);
    for (std::int64_t grp = 0; grp < g.groups; ++grp) {
      im2col(g, x, grp, r0, r1, cols);
      // dw[:, group's filters] += cols^T @ dy[r0:r1, group's filters]
      gemm(true, false, width, fg, r1 - r0, cols, width, dy + r0 * g.f + grp * fg, g.f, T(1), dw + grp * fg, g.f);
    }
  }
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
  template void conv_forward<T>(const ConvGeometry&, const T*, const T*, T*);                    \
  template void conv_backward_input<T>(const ConvGeometry&, const T*, const T*, T*);             \
  template void conv_backward_kernel<T>(const ConvGeometry&, const T*, const T*, T*);            \
  template void conv_forward_reference<T>(const ConvGeometry&, const T*, const T*, T*);          \
  template void conv_backward_input_reference<T>(const ConvGeometry&, const T*, const T*, T*);   \
  template void conv_backward_kernel_reference<T>(const ConvGeometry&, const T*, const T*, T*);
KERAS_CONV_INSTANTIATE(float)
KERAS_CONV_INSTANTIATE(double)
#undef KERAS_CONV_INSTANTIATE

}  // namespace keras::backend::cpu
