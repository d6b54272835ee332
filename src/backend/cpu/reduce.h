#pragma once
// Reduction kernels on raw pointers, with naive reference twins.
//
// Every reduction views its input as (outer, reduce, inner) blocks:
//   reduce over the last axes      -> (rows, R, 1)   contiguous rows
//   reduce over the leading axes   -> (1, R, cols)   column accumulation
//   reduce over everything         -> (1, R, 1)      chunked, combined in a fixed order
// Size-1 axes are ignored and neighbouring axes of the same kind merge, so (B, T, C)
// reduced over (1, 2) is a row reduction. Axes that do not form one block (e.g. 0 and 2
// of a 3-D input) are first gathered into a (kept..., reduced...) copy.
//
// Output order is always the row-major order of the kept axes, i.e. the layout of the
// keepdims result. Axes are sorted and unique (the op's infer normalized them).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/core/shape.h"

namespace keras::backend::cpu {

inline constexpr std::int64_t kReduceGrain = 1 << 14;      // elements per thread, at least
inline constexpr std::int64_t kReduceChunk = 1 << 15;      // all-reduce chunk (fixed: results do not depend on threads)
inline constexpr std::int64_t kReduceColumnBlock = 256;    // columns accumulated together

inline bool axis_reduced(const std::vector<std::int64_t>& axes, std::int64_t d) {
  return std::binary_search(axes.begin(), axes.end(), d);
}

// A short list of dims held inline (ranks above 8 spill to the heap): kernels run by a
// compiled plan must not allocate.
class InlineDims {
 public:
  InlineDims() = default;
  explicit InlineDims(int n) {
    for (int i = 0; i < n; ++i) push_back(0);
  }
  void push_back(std::int64_t v) {
    if (size_ < kInline) inline_[size_] = v;
    else {
      if (heap_.empty()) heap_.assign(inline_, inline_ + kInline);
      heap_.push_back(v);
    }
    ++size_;
  }
  std::int64_t& operator[](int i) { return size_ <= kInline ? inline_[i] : heap_[static_cast<std::size_t>(i)]; }
  std::int64_t operator[](int i) const { return size_ <= kInline ? inline_[i] : heap_[static_cast<std::size_t>(i)]; }
  int size() const { return size_; }

 private:
  static constexpr int kInline = 8;
  std::int64_t inline_[kInline] = {};
  std::vector<std::int64_t> heap_;
  int size_ = 0;
};

// The (outer, reduce, inner) view of an input, plus the gather needed when the reduced
// axes do not form one block.
struct ReduceGeometry {
  std::int64_t outer = 1, reduce = 1, inner = 1;
  bool permuted = false;
  // For the permuted case: input dims/strides listed kept-first then reduced, size-1 dims dropped.
  InlineDims perm_dims, perm_strides;
};

inline ReduceGeometry reduce_geometry(const Shape& xs, const std::vector<std::int64_t>& axes) {
  ReduceGeometry g;
  // Segments of merged axes: (size, reduced?), ignoring size-1 axes. Only up to three
  // matter; more means the gathered case. Held inline: compiled plans run allocation-free.
  std::int64_t seg_size[3] = {1, 1, 1};
  bool seg_reduced[3] = {false, false, false};
  int segs = 0;
  for (int d = 0; d < xs.rank() && segs <= 3; ++d) {
    const std::int64_t n = xs.dims()[d];
    const bool r = axis_reduced(axes, d);
    if (n == 1) continue;
    if (segs > 0 && seg_reduced[segs - 1] == r) {
      seg_size[segs - 1] *= n;
    } else if (segs < 3) {
      seg_size[segs] = n, seg_reduced[segs] = r;
      ++segs;
    } else {
      segs = 4;
    }
  }
  if (segs == 0) return g;
  if (segs == 1) {
    (seg_reduced[0] ? g.reduce : g.outer) = seg_size[0];
    return g;
  }
  if (segs == 2) {
    if (seg_reduced[0]) g.reduce = seg_size[0], g.inner = seg_size[1];
    else g.outer = seg_size[0], g.reduce = seg_size[1];
    return g;
  }
  if (segs == 3 && !seg_reduced[0]) {
    g.outer = seg_size[0], g.reduce = seg_size[1], g.inner = seg_size[2];
    return g;
  }
  g.permuted = true;
  g.outer = 1;
  g.reduce = 1;
  for (int pass = 0; pass < 2; ++pass)
    for (int d = 0; d < xs.rank(); ++d) {
      const bool r = axis_reduced(axes, d);
      if (xs.dims()[d] == 1 || r != (pass == 1)) continue;
      std::int64_t stride = 1;
      for (int e = d + 1; e < xs.rank(); ++e) stride *= xs.dims()[e];
      g.perm_dims.push_back(xs.dims()[d]);
      g.perm_strides.push_back(stride);
      (r ? g.reduce : g.outer) *= xs.dims()[d];
    }
  return g;
}

// Copies x into (kept..., reduced...) order (gather) or back (scatter). The last listed
// axis runs as a tight strided loop (often stride 1); an odometer walks the rest.
template <typename T>
void permute_for_reduce(const T* src, T* dst, const ReduceGeometry& g, bool scatter) {
  const int rank = g.perm_dims.size();
  const std::int64_t n = g.outer * g.reduce;
  if (n == 0) return;
  const std::int64_t run = g.perm_dims[rank - 1], step = g.perm_strides[rank - 1];
  InlineDims idx(rank);
  std::int64_t off = 0;
  for (std::int64_t i = 0; i < n; i += run) {
    if (scatter)
      for (std::int64_t j = 0; j < run; ++j) dst[off + j * step] = src[i + j];
    else
      for (std::int64_t j = 0; j < run; ++j) dst[i + j] = src[off + j * step];
    for (int d = rank - 2; d >= 0; --d) {
      off += g.perm_strides[d];
      if (++idx[d] < g.perm_dims[d]) break;
      off -= g.perm_strides[d] * g.perm_dims[d];
      idx[d] = 0;
    }
  }
}

// Grow-only per-thread scratch for gathered copies: the first run of a compiled plan sizes
// it and later runs reuse it, so steady-state runs do not allocate. Requests above
// kScratchKeep bytes are not kept (the caller allocates them per call instead).
inline constexpr std::size_t kScratchKeep = std::size_t(64) << 20;

inline void* reduce_scratch(int slot, std::size_t bytes) {
  thread_local std::vector<std::max_align_t> buffers[2];
  auto& b = buffers[slot];
  const std::size_t words = (bytes + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
  if (b.size() < words) b.resize(words);
  return b.data();
}

// Room for n elements of T: the thread's scratch slot, or `owned` for very large requests.
template <typename T>
T* scratch_for(int slot, std::int64_t n, std::unique_ptr<T[]>& owned) {
  const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(T);
  if (bytes > kScratchKeep) {
    owned = std::make_unique<T[]>(static_cast<std::size_t>(n));
    return owned.get();
  }
  return static_cast<T*>(reduce_scratch(slot, bytes));
}

// A contiguous (outer, reduce, inner) view; points at a gathered copy when one was needed.
template <typename T>
struct ReduceView {
  const T* data = nullptr;
  std::int64_t outer = 1, reduce = 1, inner = 1;
  std::unique_ptr<T[]> owned;  // only for gathers too large for the scratch
};

template <typename T>
ReduceView<T> make_reduce_view(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes) {
  ReduceView<T> v;
  const ReduceGeometry g = reduce_geometry(xs, axes);
  v.outer = g.outer, v.reduce = g.reduce, v.inner = g.inner;
  if (!g.permuted) {
    v.data = x;
    return v;
  }
  T* copy = scratch_for(0, g.outer * g.reduce, v.owned);
  permute_for_reduce(x, copy, g, /*scatter=*/false);
  v.data = copy;
  return v;
}

// ---- reducers ------------------------------------------------------------------------------
// A reducer has: Acc, init(), step(Acc&, T value, std::int64_t out_index), combine(Acc&, Acc),
// finish(Acc, std::int64_t count, std::int64_t out_index) -> output value.

template <typename T>
using wide_t = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

template <typename T, typename R>
struct SumReducer {
  using Acc = wide_t<T>;
  Acc init() const { return Acc(0); }
  void step(Acc& a, T v, std::int64_t) const { a += static_cast<Acc>(v); }
  void combine(Acc& a, Acc b) const { a += b; }
  R finish(Acc a, std::int64_t, std::int64_t) const { return static_cast<R>(a); }
};

template <typename T, typename R>
struct MeanReducer : SumReducer<T, R> {
  R finish(double a, std::int64_t n, std::int64_t) const { return static_cast<R>(n ? a / static_cast<double>(n) : NAN); }
};

template <typename T, typename R>
struct ProdReducer {
  using Acc = wide_t<T>;
  Acc init() const { return Acc(1); }
  void step(Acc& a, T v, std::int64_t) const { a *= static_cast<Acc>(v); }
  void combine(Acc& a, Acc b) const { a *= b; }
  R finish(Acc a, std::int64_t, std::int64_t) const { return static_cast<R>(a); }
};

// NaN wins, as in NumPy: once the running extreme is NaN no comparison replaces it. One
// select with a non-short-circuit `|` keeps the step vectorizable.
template <typename T, bool IsMax>
struct ExtremeReducer {
  using Acc = T;
  Acc init() const {
    if constexpr (std::is_floating_point_v<T>)
      return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  void step(Acc& a, T v, std::int64_t) const {
    if constexpr (std::is_floating_point_v<T>) a = ((IsMax ? v > a : v < a) | (v != v)) ? v : a;
    else a = (IsMax ? v > a : v < a) ? v : a;
  }
  void combine(Acc& a, Acc b) const { step(a, b, 0); }
  T finish(Acc a, std::int64_t, std::int64_t) const { return a; }
};

// Population variance around a per-output centre c (an approximate mean): with d = x - c,
// var = mean(d^2) - mean(d)^2, the corrected two-pass formula, exact up to rounding even
// when c is the mean rounded to the output type.
template <typename T, typename R, typename C>
struct CenteredSquareReducer {
  struct Acc {
    double s1, s2;
  };
  const C* centre;
  bool take_sqrt;
  Acc init() const { return {0.0, 0.0}; }
  void step(Acc& a, T v, std::int64_t o) const {
    const double d = static_cast<double>(v) - static_cast<double>(centre[o]);
    a.s1 += d;
    a.s2 += d * d;
  }
  void combine(Acc& a, const Acc& b) const { a.s1 += b.s1, a.s2 += b.s2; }
  R finish(const Acc& a, std::int64_t n, std::int64_t) const {
    if (n == 0) return static_cast<R>(NAN);
    const double m1 = a.s1 / static_cast<double>(n);
    const double var = std::max(0.0, a.s2 / static_cast<double>(n) - m1 * m1);
    return static_cast<R>(take_sqrt ? std::sqrt(var) : var);
  }
};

// log(sum(exp(v - shift))) + shift with a per-output shift (the slice maximum).
template <typename T>
struct ShiftedExpReducer {
  using Acc = double;
  const T* shift;
  Acc init() const { return 0.0; }
  void step(Acc& a, T v, std::int64_t o) const { a += std::exp(static_cast<double>(v) - safe_shift(o)); }
  void combine(Acc& a, Acc b) const { a += b; }
  T finish(Acc a, std::int64_t, std::int64_t o) const { return static_cast<T>(std::log(a) + safe_shift(o)); }
  // An infinite maximum would give inf - inf = NaN; shifting by 0 there yields the right ±inf.
  double safe_shift(std::int64_t o) const { return std::isfinite(shift[o]) ? static_cast<double>(shift[o]) : 0.0; }
};

// ---- the blocked driver ------------------------------------------------------------------

// Reduces p[0, n) for output o. The accumulators form a small array updated by an inner
// loop, which the compiler's loop vectorizer handles for every reducer here (unrolled
// scalar lanes left the NaN-aware max/min scalar: measured 3-4x slower).
inline constexpr int kReduceLanes = 32;

template <typename T, typename Red>
typename Red::Acc reduce_run(const Red& red, const T* p, std::int64_t n, std::int64_t o) {
  if (n < kReduceLanes) {
    // Short rows (a (batch, 3) prod, 10 class scores): lane set-up would dominate.
    typename Red::Acc a = red.init();
    for (std::int64_t r = 0; r < n; ++r) red.step(a, p[r], o);
    return a;
  }
  typename Red::Acc lanes[kReduceLanes];
  for (auto& l : lanes) l = red.init();
  std::int64_t r = 0;
  for (; r + kReduceLanes <= n; r += kReduceLanes) {
    const T* q = p + r;
    for (int l = 0; l < kReduceLanes; ++l) red.step(lanes[l], q[l], o);
  }
  for (; r < n; ++r) red.step(lanes[0], p[r], o);
  for (int l = 1; l < kReduceLanes; ++l) red.combine(lanes[0], lanes[l]);
  return lanes[0];
}

template <typename T, typename R, typename Red>
void reduce_view(const ReduceView<T>& v, R* out, const Red& red) {
  using Acc = typename Red::Acc;
  const T* x = v.data;
  const std::int64_t O = v.outer, N = v.reduce, I = v.inner;
  if (O * I == 0) return;
  if (I == 1 && O == 1 && N > kReduceChunk) {
    // All-reduce: fixed-size chunks reduced in parallel, partials combined in chunk order
    // (so the result does not depend on the thread count), a group of chunks at a time.
    constexpr std::int64_t kGroup = 64;
    Acc partial[kGroup];
    Acc total = red.init();
    for (std::int64_t g0 = 0; g0 < N; g0 += kGroup * kReduceChunk) {
      const std::int64_t chunks = std::min(kGroup, (N - g0 + kReduceChunk - 1) / kReduceChunk);
      parallel_for(chunks, 1, [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t c = lo; c < hi; ++c) {
          const std::int64_t b = g0 + c * kReduceChunk, e = std::min(N, b + kReduceChunk);
          partial[c] = reduce_run(red, x + b, e - b, 0);
        }
      });
      for (std::int64_t c = 0; c < chunks; ++c) red.combine(total, partial[c]);
    }
    out[0] = red.finish(total, N, 0);
    return;
  }
  if (I == 1) {
    // Rows: independent lane accumulators vectorize without reassociating a serial sum.
    parallel_for(O, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(N, 1)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t o = lo; o < hi; ++o) out[o] = red.finish(reduce_run(red, x + o * N, N, o), N, o);
                 });
    return;
  }
  // Columns: tiles of (one outer index, a block of inner columns) accumulate down the
  // reduced axis, reading contiguous runs of each row.
  const std::int64_t blocks = (I + kReduceColumnBlock - 1) / kReduceColumnBlock;
  const std::int64_t tiles = O * blocks;
  const std::int64_t tile_work = N * std::min(I, kReduceColumnBlock);
  parallel_for(tiles, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(tile_work, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 Acc acc[kReduceColumnBlock];
                 for (std::int64_t t = lo; t < hi; ++t) {
                   const std::int64_t o = t / blocks;
                   const std::int64_t j0 = (t % blocks) * kReduceColumnBlock;
                   const std::int64_t nj = std::min(kReduceColumnBlock, I - j0);
                   const std::int64_t base = o * I + j0;
                   for (std::int64_t j = 0; j < nj; ++j) acc[j] = red.init();
                   for (std::int64_t r = 0; r < N; ++r) {
                     const T* row = x + (o * N + r) * I + j0;
                     for (std::int64_t j = 0; j < nj; ++j) red.step(acc[j], row[j], base + j);
                   }
                   for (std::int64_t j = 0; j < nj; ++j) out[base + j] = red.finish(acc[j], N, base + j);
                 }
               });
}

template <typename T, typename R, typename Red>
void reduce(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, R* out, const Red& red) {
  const std::int64_t last = xs.rank() > 0 ? xs.dims().back() : 0;
  if (axes.size() == 1 && axes[0] == xs.rank() - 1 && last > 0 && last < kReduceLanes) {
    // Short rows of the last axis (a (batch, 3) product, a small model's mean): reduce_view's
    // row loop without the geometry, which costs more than such rows (same order, same bits).
    const std::int64_t rows = xs.num_elements() / last;
    parallel_for(rows, std::max<std::int64_t>(1, kReduceGrain / last), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t o = lo; o < hi; ++o) out[o] = red.finish(reduce_run(red, x + o * last, last, o), last, o);
    });
    return;
  }
  reduce_view(make_reduce_view(x, xs, axes), out, red);
}

// Population variance (ddof 0) or standard deviation: the mean first, written into `out`,
// then the deviations from it. Each output is read as a centre only by its own reduction,
// before that reduction writes it, so no scratch buffer is needed.
template <typename T, typename R>
void variance(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, R* out, bool take_sqrt) {
  const ReduceView<T> v = make_reduce_view(x, xs, axes);
  reduce_view(v, out, MeanReducer<T, R>{});
  reduce_view(v, out, CenteredSquareReducer<T, R, R>{out, take_sqrt});
}

// Stable log(sum(exp(x))) over the axes; the slice maxima live in `out` between the passes.
template <typename T>
void logsumexp(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, T* out) {
  const ReduceView<T> v = make_reduce_view(x, xs, axes);
  reduce_view(v, out, ExtremeReducer<T, true>{});
  reduce_view(v, out, ShiftedExpReducer<T>{out});
}

// Index of the first maximum (or minimum) along the reduced block of a single axis,
// viewed as (outer, reduce, inner). The first NaN counts as the extreme, as in NumPy.
template <typename T, typename Index>
void arg_extreme(const T* x, std::int64_t outer, std::int64_t n, std::int64_t inner, Index* out, bool is_max) {
  auto better = [is_max](T v, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      if (best != best) return false;
      if (v != v) return true;
    }
    return is_max ? v > best : v < best;
  };
  parallel_for(outer, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(n * inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 T best[kReduceColumnBlock];
                 for (std::int64_t o = lo; o < hi; ++o)
                   for (std::int64_t j0 = 0; j0 < inner; j0 += kReduceColumnBlock) {
                     const std::int64_t nj = std::min(kReduceColumnBlock, inner - j0);
                     const T* block = x + o * n * inner + j0;
                     Index* dst = out + o * inner + j0;
                     for (std::int64_t j = 0; j < nj; ++j) {
                       dst[j] = 0;
                       if (n > 0) best[j] = block[j];
                     }
                     for (std::int64_t r = 1; r < n; ++r) {
                       const T* row = block + r * inner;
                       for (std::int64_t j = 0; j < nj; ++j)
                         if (better(row[j], best[j])) best[j] = row[j], dst[j] = static_cast<Index>(r);
                     }
                   }
               });
}

// grad (x's shape) = g * product of the *other* elements of each reduced slice; g has one
// value per slice (keepdims layout). Exclusive prefix and suffix products make this exact
// with any number of zeros and need no division.
template <typename T>
void prod_others(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, const T* g, T* out) {
  const ReduceGeometry geo = reduce_geometry(xs, axes);
  std::unique_ptr<T[]> owned_src, owned_dst;
  const T* src = x;
  T* dst = out;
  if (geo.permuted) {
    T* gathered = scratch_for(0, geo.outer * geo.reduce, owned_src);
    permute_for_reduce(x, gathered, geo, false);
    src = gathered;
    dst = scratch_for(1, geo.outer * geo.reduce, owned_dst);
  }
  const std::int64_t O = geo.outer, N = geo.reduce, I = geo.inner;
  using Acc = wide_t<T>;
  if (I == 1) {
    // Contiguous slices (the last axis): the same arithmetic as the column tiles below with
    // one column, without their per-tile bookkeeping (prod over 3 features at batch 4096:
    // 8x faster).
    parallel_for(O, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(N, 1)),
                 [&](std::int64_t lo, std::int64_t hi) {
                   for (std::int64_t o = lo; o < hi; ++o) {
                     const T* xr = src + o * N;
                     T* orow = dst + o * N;
                     Acc run = Acc(1);
                     for (std::int64_t r = 0; r < N; ++r) {
                       orow[r] = static_cast<T>(run);
                       run *= static_cast<Acc>(xr[r]);
                     }
                     run = static_cast<Acc>(g[o]);
                     for (std::int64_t r = N - 1; r >= 0; --r) {
                       orow[r] = static_cast<T>(static_cast<Acc>(orow[r]) * run);
                       run *= static_cast<Acc>(xr[r]);
                     }
                   }
                 });
    if (geo.permuted) permute_for_reduce(dst, out, geo, /*scatter=*/true);
    return;
  }
  // Per (outer, block of columns): prefix products go straight into the output, then a
  // backward sweep multiplies in the suffix products and g.
  const std::int64_t blocks = (I + kReduceColumnBlock - 1) / kReduceColumnBlock;
  parallel_for(O * blocks, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(N * std::min(I, kReduceColumnBlock), 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 Acc run[kReduceColumnBlock];
                 for (std::int64_t t = lo; t < hi; ++t) {
                   const std::int64_t o = t / blocks, j0 = (t % blocks) * kReduceColumnBlock;
                   const std::int64_t nj = std::min(kReduceColumnBlock, I - j0);
                   const T* xb = src + o * N * I + j0;
                   T* ob = dst + o * N * I + j0;
                   const T* gb = g + o * I + j0;
                   for (std::int64_t j = 0; j < nj; ++j) run[j] = Acc(1);
                   for (std::int64_t r = 0; r < N; ++r)
                     for (std::int64_t j = 0; j < nj; ++j) {
                       ob[r * I + j] = static_cast<T>(run[j]);
                       run[j] *= static_cast<Acc>(xb[r * I + j]);
                     }
                   for (std::int64_t j = 0; j < nj; ++j) run[j] = static_cast<Acc>(gb[j]);
                   for (std::int64_t r = N - 1; r >= 0; --r)
                     for (std::int64_t j = 0; j < nj; ++j) {
                       ob[r * I + j] = static_cast<T>(static_cast<Acc>(ob[r * I + j]) * run[j]);
                       run[j] *= static_cast<Acc>(xb[r * I + j]);
                     }
                 }
               });
  if (geo.permuted) permute_for_reduce(dst, out, geo, /*scatter=*/true);
}

// ---- reference twins: one output index per input element, by explicit unravelling -------

// Offset of input element i's slice in the keepdims output.
inline std::int64_t reduce_out_index(std::int64_t i, const Shape& xs, const std::vector<std::int64_t>& axes) {
  std::int64_t o = 0, scale = 1;
  for (int d = xs.rank() - 1; d >= 0; --d) {
    const std::int64_t c = i % xs.dims()[d];
    i /= xs.dims()[d];
    if (!axis_reduced(axes, d)) {
      o += c * scale;
      scale *= xs.dims()[d];
    }
  }
  return o;
}

inline std::int64_t reduce_out_count(const Shape& xs, const std::vector<std::int64_t>& axes) {
  std::int64_t n = 1;
  for (int d = 0; d < xs.rank(); ++d)
    if (!axis_reduced(axes, d)) n *= xs.dims()[d];
  return n;
}

template <typename T, typename R, typename Red>
void reduce_reference(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, R* out, const Red& red) {
  const std::int64_t n_out = reduce_out_count(xs, axes);
  const std::int64_t n = xs.num_elements();
  std::vector<typename Red::Acc> acc(static_cast<std::size_t>(n_out), red.init());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t o = reduce_out_index(i, xs, axes);
    red.step(acc[static_cast<std::size_t>(o)], x[i], o);
  }
  const std::int64_t count = n_out ? n / n_out : 0;
  for (std::int64_t o = 0; o < n_out; ++o) out[o] = red.finish(acc[static_cast<std::size_t>(o)], count, o);
}

template <typename T, typename R>
void variance_reference(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, R* out, bool take_sqrt) {
  std::vector<double> mean(static_cast<std::size_t>(reduce_out_count(xs, axes)));
  reduce_reference(x, xs, axes, mean.data(), MeanReducer<T, double>{});
  reduce_reference(x, xs, axes, out, CenteredSquareReducer<T, R, double>{mean.data(), take_sqrt});
}

template <typename T>
void logsumexp_reference(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, T* out) {
  std::vector<T> peak(static_cast<std::size_t>(reduce_out_count(xs, axes)));
  reduce_reference(x, xs, axes, peak.data(), ExtremeReducer<T, true>{});
  reduce_reference(x, xs, axes, out, ShiftedExpReducer<T>{peak.data()});
}

template <typename T, typename Index>
void arg_extreme_reference(const T* x, std::int64_t outer, std::int64_t n, std::int64_t inner, Index* out,
                           bool is_max) {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < inner; ++j) {
      std::int64_t best = 0;
      for (std::int64_t r = 0; r < n; ++r) {
        const T v = x[(o * n + r) * inner + j];
        const T b = x[(o * n + best) * inner + j];
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(b)) break;
          if (std::isnan(v)) { best = r; break; }
        }
        if (is_max ? v > b : v < b) best = r;
      }
      out[o * inner + j] = static_cast<Index>(best);
    }
}

// O(n * slice) on purpose: multiplies every other element of the slice explicitly.
template <typename T>
void prod_others_reference(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, const T* g, T* out) {
  const std::int64_t n = xs.num_elements();
  std::vector<std::int64_t> slice_of(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) slice_of[static_cast<std::size_t>(i)] = reduce_out_index(i, xs, axes);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t s = slice_of[static_cast<std::size_t>(i)];
    wide_t<T> p = 1;
    for (std::int64_t j = 0; j < n; ++j)
      if (j != i && slice_of[static_cast<std::size_t>(j)] == s) p *= static_cast<wide_t<T>>(x[j]);
    out[i] = static_cast<T>(static_cast<wide_t<T>>(g[s]) * p);
  }
}

}  // namespace keras::backend::cpu
