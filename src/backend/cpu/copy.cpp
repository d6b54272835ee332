#include "copy.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "keras/backend/parallel.h"

namespace keras::backend::cpu {

namespace {

constexpr std::int64_t kCopyGrain = 1 << 15;  // elements per thread chunk, as elementwise ops
constexpr std::int64_t kTile = 32;            // transpose tile edge: 32x32 words stay in L1

struct Dim {
  std::int64_t n;  // extent
  std::int64_t s;  // source stride
  std::int64_t d;  // destination stride
};

// Drops unit dimensions and merges neighbours that are contiguous on both sides, so that
// e.g. a slice of whole rows becomes a single row copy.
std::vector<Dim> simplify(const std::int64_t* src_strides, const std::int64_t* dst_strides,
                          const std::int64_t* dims, int rank) {
  std::vector<Dim> out;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] == 1) continue;
    const Dim x{dims[i], src_strides[i], dst_strides[i]};
    if (!out.empty() && out.back().s == x.s * x.n && out.back().d == x.d * x.n)
      out.back() = {out.back().n * x.n, x.s, x.d};
    else
      out.push_back(x);
  }
  return out;
}

std::int64_t extent(const std::vector<Dim>& dims) {
  std::int64_t n = 1;
  for (const Dim& d : dims) n *= d.n;
  return n;
}

// Calls body(src_offset, dst_offset) for every index of `outer`, threaded in chunks of
// about kCopyGrain elements (`inner` elements are moved per call).
template <typename Body>
void for_each_outer(const std::vector<Dim>& outer, std::int64_t inner, Body body) {
  const std::int64_t units = extent(outer);
  const int r = static_cast<int>(outer.size());
  parallel_for(units, std::max<std::int64_t>(1, kCopyGrain / std::max<std::int64_t>(inner, 1)),
               [&](std::int64_t lo, std::int64_t hi) {
                 std::vector<std::int64_t> idx(static_cast<std::size_t>(r), 0);
                 std::int64_t so = 0, dof = 0, rem = lo;
                 for (int k = r - 1; k >= 0; --k) {
                   idx[k] = rem % outer[k].n;
                   rem /= outer[k].n;
                   so += idx[k] * outer[k].s;
                   dof += idx[k] * outer[k].d;
                 }
                 for (std::int64_t u = lo; u < hi; ++u) {
                   body(so, dof);
                   for (int k = r - 1; k >= 0; --k) {  // odometer step
                     so += outer[k].s;
                     dof += outer[k].d;
                     if (++idx[k] < outer[k].n) break;
                     so -= outer[k].n * outer[k].s;
                     dof -= outer[k].n * outer[k].d;
                     idx[k] = 0;
                   }
                 }
               });
}

template <typename W>
void copy_words(const W* src, W* dst, std::vector<Dim> dims) {
  if (dims.empty()) {
    dst[0] = src[0];
    return;
  }
  const Dim inner = dims.back();

  // Rows contiguous on both sides: memcpy.
  if (inner.s == 1 && inner.d == 1) {
    dims.pop_back();
    const std::size_t bytes = static_cast<std::size_t>(inner.n) * sizeof(W);
    for_each_outer(dims, inner.n,
                   [&](std::int64_t so, std::int64_t dof) { std::memcpy(dst + dof, src + so, bytes); });
    return;
  }

  // Transpose-like: the destination is contiguous along the last axis but the source along
  // another one. Walking tiles of both axes keeps reads and writes within cache lines.
  int k = -1;
  if (inner.d == 1 && inner.n >= 4)
    for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
      if (dims[i].s == 1 && dims[i].n >= 4) { k = i; break; }
  if (k >= 0) {
    const Dim col = dims[k];
    std::vector<Dim> outer;
    for (int i = 0; i + 1 < static_cast<int>(dims.size()); ++i)
      if (i != k) outer.push_back(dims[i]);
    const std::int64_t tiles_k = (col.n + kTile - 1) / kTile;
    const std::int64_t units = extent(outer) * tiles_k;
    const std::int64_t per_unit = kTile * inner.n;
    parallel_for(units, std::max<std::int64_t>(1, kCopyGrain / per_unit), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t u = lo; u < hi; ++u) {
        std::int64_t rem = u / tiles_k, so = 0, dof = 0;
        for (int i = static_cast<int>(outer.size()) - 1; i >= 0; --i) {
          const std::int64_t c = rem % outer[i].n;
          rem /= outer[i].n;
          so += c * outer[i].s;
          dof += c * outer[i].d;
        }
        const std::int64_t i0 = (u % tiles_k) * kTile, i1 = std::min(col.n, i0 + kTile);
        for (std::int64_t j0 = 0; j0 < inner.n; j0 += kTile) {
          const std::int64_t j1 = std::min(inner.n, j0 + kTile);
          for (std::int64_t i = i0; i < i1; ++i) {
            const W* s = src + so + i + j0 * inner.s;
            W* d = dst + dof + i * col.d + j0;
            for (std::int64_t j = 0; j < j1 - j0; ++j) d[j] = s[j * inner.s];
          }
        }
      }
    });
    return;
  }

  // General rows: strided reads (including stride 0, a broadcast) and strided writes.
  dims.pop_back();
  for_each_outer(dims, inner.n, [&](std::int64_t so, std::int64_t dof) {
    const W* s = src + so;
    W* d = dst + dof;
    if (inner.s == 0) {
      const W v = s[0];
      for (std::int64_t j = 0; j < inner.n; ++j) d[j * inner.d] = v;
    } else {
      for (std::int64_t j = 0; j < inner.n; ++j) d[j * inner.d] = s[j * inner.s];
    }
  });
}

}  // namespace

void strided_copy(const void* src, const std::int64_t* src_strides, void* dst, const std::int64_t* dst_strides,
                  const std::int64_t* dims, int rank, std::size_t elem_size) {
  for (int i = 0; i < rank; ++i)
    if (dims[i] == 0) return;
  std::vector<Dim> simple = simplify(src_strides, dst_strides, dims, rank);
  switch (elem_size) {
    case 1: return copy_words(static_cast<const std::uint8_t*>(src), static_cast<std::uint8_t*>(dst), std::move(simple));
    case 2: return copy_words(static_cast<const std::uint16_t*>(src), static_cast<std::uint16_t*>(dst), std::move(simple));
    case 4: return copy_words(static_cast<const std::uint32_t*>(src), static_cast<std::uint32_t*>(dst), std::move(simple));
    case 8: return copy_words(static_cast<const std::uint64_t*>(src), static_cast<std::uint64_t*>(dst), std::move(simple));
    default: return strided_copy_reference(src, src_strides, dst, dst_strides, dims, rank, elem_size);
  }
}

void strided_copy_reference(const void* src, const std::int64_t* src_strides, void* dst,
                            const std::int64_t* dst_strides, const std::int64_t* dims, int rank,
                            std::size_t elem_size) {
  std::int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= dims[i];
  const auto* s = static_cast<const unsigned char*>(src);
  auto* d = static_cast<unsigned char*>(dst);
  for (std::int64_t flat = 0; flat < n; ++flat) {
    std::int64_t rem = flat, so = 0, dof = 0;
    for (int i = rank - 1; i >= 0; --i) {
      const std::int64_t c = rem % dims[i];
      rem /= dims[i];
      so += c * src_strides[i];
      dof += c * dst_strides[i];
    }
    std::memcpy(d + dof * static_cast<std::int64_t>(elem_size), s + so * static_cast<std::int64_t>(elem_size),
                elem_size);
  }
}

namespace {
// Source strides read in output order, and the output's own row-major strides.
void transpose_strides(const std::int64_t* dims, const std::int64_t* perm, int rank, std::vector<std::int64_t>& out_dims,
                       std::vector<std::int64_t>& src_strides, std::vector<std::int64_t>& dst_strides) {
  std::vector<std::int64_t> in_strides(static_cast<std::size_t>(rank));
  std::int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    in_strides[i] = s;
    s *= dims[i];
  }
  out_dims.resize(static_cast<std::size_t>(rank));
  src_strides.resize(static_cast<std::size_t>(rank));
  dst_strides.resize(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) {
    out_dims[i] = dims[perm[i]];
    src_strides[i] = in_strides[perm[i]];
  }
  s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    dst_strides[i] = s;
    s *= out_dims[i];
  }
}
}  // namespace

void transpose_copy(const void* src, void* dst, const std::int64_t* dims, const std::int64_t* perm, int rank,
                    std::size_t elem_size) {
  std::vector<std::int64_t> out_dims, ss, ds;
  transpose_strides(dims, perm, rank, out_dims, ss, ds);
  strided_copy(src, ss.data(), dst, ds.data(), out_dims.data(), rank, elem_size);
}

void transpose_copy_reference(const void* src, void* dst, const std::int64_t* dims, const std::int64_t* perm,
                              int rank, std::size_t elem_size) {
  std::vector<std::int64_t> out_dims, ss, ds;
  transpose_strides(dims, perm, rank, out_dims, ss, ds);
  strided_copy_reference(src, ss.data(), dst, ds.data(), out_dims.data(), rank, elem_size);
}

}  // namespace keras::backend::cpu
