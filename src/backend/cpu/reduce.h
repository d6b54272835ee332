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

// The (outer, reduce, inner) view of an input, plus the gather needed when the reduced
// axes do not form one block.
struct ReduceGeometry {
  std::int64_t outer = 1, reduce = 1, inner = 1;
  bool permuted = false;
  // For the permuted case: input dims/strides listed kept-first then reduced, size-1 dims dropped.
  std::vector<std::int64_t> perm_dims, perm_strides;
};

inline ReduceGeometry reduce_geometry(const Shape& xs, const std::vector<std::int64_t>& axes) {
  ReduceGeometry g;
  // Segments of merged axes: (size, reduced?), ignoring size-1 axes.
  std::vector<std::pair<std::int64_t, bool>> segs;
  for (int d = 0; d < xs.rank(); ++d) {
    const std::int64_t n = xs.dims()[d];
    const bool r = axis_reduced(axes, d);
    if (n == 1) continue;
    if (!segs.empty() && segs.back().second == r) segs.back().first *= n;
    else segs.push_back({n, r});
  }
  if (segs.empty()) return g;
  if (segs.size() == 1) {
    (segs[0].second ? g.reduce : g.outer) = segs[0].first;
    return g;
  }
  if (segs.size() == 2) {
    if (segs[0].second) g.reduce = segs[0].first, g.inner = segs[1].first;
    else g.outer = segs[0].first, g.reduce = segs[1].first;
    return g;
  }
  if (segs.size() == 3 && !segs[0].second) {
    g.outer = segs[0].first, g.reduce = segs[1].first, g.inner = segs[2].first;
    return g;
  }
  g.permuted = true;
  g.outer = 1;
  g.reduce = 1;
  const auto strides = row_major_strides(xs);
  for (int pass = 0; pass < 2; ++pass)
    for (int d = 0; d < xs.rank(); ++d) {
      const bool r = axis_reduced(axes, d);
      if (xs.dims()[d] == 1 || r != (pass == 1)) continue;
      g.perm_dims.push_back(xs.dims()[d]);
      g.perm_strides.push_back(strides[d]);
      (r ? g.reduce : g.outer) *= xs.dims()[d];
    }
  return g;
}

// Copies x into (kept..., reduced...) order (gather) or back (scatter). The last listed
// axis runs as a tight strided loop (often stride 1); an odometer walks the rest.
template <typename T>
void permute_for_reduce(const T* src, T* dst, const ReduceGeometry& g, bool scatter) {
  const int rank = static_cast<int>(g.perm_dims.size());
  const std::int64_t n = g.outer * g.reduce;
  if (n == 0) return;
  const std::int64_t run = g.perm_dims[rank - 1], step = g.perm_strides[rank - 1];
  std::vector<std::int64_t> idx(static_cast<std::size_t>(rank), 0);
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

// A contiguous (outer, reduce, inner) view; owns the gathered copy when one was needed.
template <typename T>
struct ReduceView {
  const T* data = nullptr;
  std::int64_t outer = 1, reduce = 1, inner = 1;
  std::unique_ptr<T[]> storage;  // not std::vector: vector<bool> has no data()
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
  v.storage = std::make_unique<T[]>(static_cast<std::size_t>(g.outer * g.reduce));
  permute_for_reduce(x, v.storage.get(), g, /*scatter=*/false);
  v.data = v.storage.get();
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

// Sum of squared deviations from a per-output centre, divided by the count (population variance).
template <typename T, typename R>
struct CenteredSquareReducer {
  using Acc = double;
  const double* centre;
  bool take_sqrt;
  Acc init() const { return 0.0; }
  void step(Acc& a, T v, std::int64_t o) const {
    const double d = static_cast<double>(v) - centre[o];
    a += d * d;
  }
  void combine(Acc& a, Acc b) const { a += b; }
  R finish(Acc a, std::int64_t n, std::int64_t) const {
    const double var = n ? a / static_cast<double>(n) : NAN;
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
    // All-reduce: fixed-size chunks reduced in parallel, partials combined in chunk order.
    const std::int64_t chunks = (N + kReduceChunk - 1) / kReduceChunk;
    std::vector<Acc> partial(static_cast<std::size_t>(chunks), red.init());
    parallel_for(chunks, 1, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t c = lo; c < hi; ++c) {
        const std::int64_t b = c * kReduceChunk, e = std::min(N, b + kReduceChunk);
        partial[static_cast<std::size_t>(c)] = reduce_run(red, x + b, e - b, 0);
      }
    });
    Acc total = red.init();
    for (const Acc& p : partial) red.combine(total, p);
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
  reduce_view(make_reduce_view(x, xs, axes), out, red);
}

// Population variance (ddof 0) or standard deviation: mean first, then squared deviations.
template <typename T, typename R>
void variance(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, R* out, bool take_sqrt) {
  const ReduceView<T> v = make_reduce_view(x, xs, axes);
  std::vector<double> mean(static_cast<std::size_t>(v.outer * v.inner));
  reduce_view(v, mean.data(), MeanReducer<T, double>{});
  reduce_view(v, out, CenteredSquareReducer<T, R>{mean.data(), take_sqrt});
}

// Stable log(sum(exp(x))) over the axes.
template <typename T>
void logsumexp(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, T* out) {
  const ReduceView<T> v = make_reduce_view(x, xs, axes);
  std::vector<T> peak(static_cast<std::size_t>(v.outer * v.inner));
  reduce_view(v, peak.data(), ExtremeReducer<T, true>{});
  reduce_view(v, out, ShiftedExpReducer<T>{peak.data()});
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
                 std::vector<T> best(static_cast<std::size_t>(inner));
                 for (std::int64_t o = lo; o < hi; ++o) {
                   const T* block = x + o * n * inner;
                   Index* dst = out + o * inner;
                   for (std::int64_t j = 0; j < inner; ++j) {
                     dst[j] = 0;
                     if (n > 0) best[j] = block[j];
                   }
                   for (std::int64_t r = 1; r < n; ++r) {
                     const T* row = block + r * inner;
                     for (std::int64_t j = 0; j < inner; ++j)
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
  std::vector<T> gathered, result;
  const T* src = x;
  T* dst = out;
  if (geo.permuted) {
    gathered.resize(static_cast<std::size_t>(geo.outer * geo.reduce));
    result.resize(gathered.size());
    permute_for_reduce(x, gathered.data(), geo, false);
    src = gathered.data();
    dst = result.data();
  }
  const std::int64_t O = geo.outer, N = geo.reduce, I = geo.inner;
  using Acc = wide_t<T>;
  parallel_for(O, std::max<std::int64_t>(1, kReduceGrain / std::max<std::int64_t>(N * I, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 std::vector<Acc> run(static_cast<std::size_t>(I));
                 std::vector<Acc> prefix(static_cast<std::size_t>(N * I));
                 for (std::int64_t o = lo; o < hi; ++o) {
                   const T* xb = src + o * N * I;
                   T* ob = dst + o * N * I;
                   std::fill(run.begin(), run.end(), Acc(1));
                   for (std::int64_t r = 0; r < N; ++r)
                     for (std::int64_t j = 0; j < I; ++j) {
                       prefix[r * I + j] = run[j];
                       run[j] *= static_cast<Acc>(xb[r * I + j]);
                     }
                   std::fill(run.begin(), run.end(), Acc(1));
                   for (std::int64_t r = N - 1; r >= 0; --r)
                     for (std::int64_t j = 0; j < I; ++j) {
                       const Acc gv = static_cast<Acc>(g[o * I + j]);
                       ob[r * I + j] = static_cast<T>(gv * prefix[r * I + j] * run[j]);
                       run[j] *= static_cast<Acc>(xb[r * I + j]);
                     }
                 }
               });
  if (geo.permuted) permute_for_reduce(result.data(), out, geo, /*scatter=*/true);
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
  reduce_reference(x, xs, axes, out, CenteredSquareReducer<T, R>{mean.data(), take_sqrt});
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
