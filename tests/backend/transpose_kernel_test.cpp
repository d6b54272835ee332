// The strided copy kernel (transpose, slice, concatenate, broadcast_to, tile) and the gather /
// scatter-add kernels against their naive reference twins, on random shapes, permutations
// and element widths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "backend/cpu/copy.h"
#include "backend/cpu/gather.h"

using namespace keras::backend::cpu;

namespace {

std::vector<unsigned char> random_bytes(std::size_t n, std::mt19937& rng) {
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(rng() & 0xff);
  return v;
}

std::vector<std::int64_t> random_dims(std::mt19937& rng, int rank, int max_dim) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank));
  for (auto& d : dims) d = 1 + static_cast<std::int64_t>(rng() % static_cast<unsigned>(max_dim));
  return dims;
}

std::int64_t product(const std::vector<std::int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::int64_t{1}, std::multiplies<>());
}

}  // namespace

TEST(TransposeKernel, MatchesReferenceOnRandomShapesAndPerms) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(rng() % 5);
    // Mostly small dims, sometimes one large enough for the tiled path and threading.
    auto dims = random_dims(rng, rank, 9);
    if (trial % 5 == 0) dims[rng() % rank] = 40 + static_cast<std::int64_t>(rng() % 90);
    std::vector<std::int64_t> perm(static_cast<std::size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const std::size_t esize = std::vector<std::size_t>{1, 2, 4, 8, 3}[trial % 5];
    const auto n = static_cast<std::size_t>(product(dims));
    const auto src = random_bytes(n * esize, rng);
    std::vector<unsigned char> fast(n * esize, 0xAA), ref(n * esize, 0x55);
    transpose_copy(src.data(), fast.data(), dims.data(), perm.data(), rank, esize);
    transpose_copy_reference(src.data(), ref.data(), dims.data(), perm.data(), rank, esize);
    ASSERT_EQ(fast, ref) << "trial " << trial << " rank " << rank << " esize " << esize;
  }
}

TEST(TransposeKernel, LargeMatrixTransposeIsExact) {
  // 2-D (rows, cols) -> (cols, rows), big enough for tiles and several threads.
  const std::int64_t rows = 300, cols = 517;
  std::vector<float> a(static_cast<std::size_t>(rows * cols)), b(a.size());
  std::iota(a.begin(), a.end(), 0.0f);
  const std::int64_t dims[] = {rows, cols}, perm[] = {1, 0};
  transpose_copy(a.data(), b.data(), dims, perm, 2, sizeof(float));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) ASSERT_EQ(b[j * rows + i], a[i * cols + j]);
}

TEST(StridedCopyKernel, SlicesBroadcastsAndOffsetsMatchReference) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int rank = 1 + static_cast<int>(rng() % 4);
    const auto big = random_dims(rng, rank, 12);
    // A sub-box of `big`, copied into a sub-box of a destination of the same shape, with
    // random source axes replaced by broadcasts (stride 0).
    std::vector<std::int64_t> box(static_cast<std::size_t>(rank)), src_start(box.size()), dst_start(box.size());
    for (int d = 0; d < rank; ++d) {
      box[d] = 1 + static_cast<std::int64_t>(rng() % big[d]);
      src_start[d] = static_cast<std::int64_t>(rng() % (big[d] - box[d] + 1));
      dst_start[d] = static_cast<std::int64_t>(rng() % (big[d] - box[d] + 1));
    }
    std::vector<std::int64_t> strides(box.size());
    std::int64_t s = 1;
    for (int d = rank - 1; d >= 0; --d) {
      strides[d] = s;
      s *= big[d];
    }
    std::vector<std::int64_t> src_strides = strides;
    for (int d = 0; d < rank; ++d)
      if (rng() % 4 == 0) src_strides[d] = 0;
    std::int64_t src_off = 0, dst_off = 0;
    for (int d = 0; d < rank; ++d) {
      src_off += src_start[d] * strides[d];
      dst_off += dst_start[d] * strides[d];
    }
    const std::size_t esize = std::vector<std::size_t>{1, 4, 8, 2}[trial % 4];
    const auto n = static_cast<std::size_t>(product(big));
    const auto src = random_bytes(n * esize, rng);
    std::vector<unsigned char> fast(n * esize, 0), ref(n * esize, 0);
    strided_copy(src.data() + src_off * esize, src_strides.data(), fast.data() + dst_off * esize, strides.data(),
                 box.data(), rank, esize);
    strided_copy_reference(src.data() + src_off * esize, src_strides.data(), ref.data() + dst_off * esize,
                           strides.data(), box.data(), rank, esize);
    ASSERT_EQ(fast, ref) << "trial " << trial;
  }
}

TEST(StridedCopyKernel, ZeroSizedDimensionWritesNothing) {
  std::vector<float> src{1, 2, 3}, dst{9, 9, 9};
  const std::int64_t dims[] = {0, 3}, strides[] = {3, 1};
  strided_copy(src.data(), strides, dst.data(), strides, dims, 2, sizeof(float));
  EXPECT_EQ(dst, (std::vector<float>{9, 9, 9}));
}

TEST(GatherKernel, GatherAndScatterAddMatchReference) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 100; ++trial) {
    const std::int64_t outer = 1 + rng() % 5, axis = 1 + rng() % 7, inner = 1 + rng() % 6, n = rng() % 9;
    std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
    for (auto& i : idx) i = static_cast<std::int64_t>(rng() % axis);  // repeats happen: they must accumulate
    std::vector<double> x(static_cast<std::size_t>(outer * axis * inner));
    for (auto& v : x) v = static_cast<double>(rng() % 1000) / 7.0;
    std::vector<double> g1(static_cast<std::size_t>(outer * n * inner), -1), g2(g1.size(), -2);
    gather_rows(x.data(), outer, axis, inner, idx.data(), n, g1.data(), sizeof(double));
    gather_rows_reference(x.data(), outer, axis, inner, idx.data(), n, g2.data(), sizeof(double));
    ASSERT_EQ(g1, g2);
    std::vector<double> s1(x.size(), 5), s2(x.size(), 6);
    scatter_add_rows(g1.data(), outer, axis, inner, idx.data(), n, s1.data());
    scatter_add_rows_reference(g1.data(), outer, axis, inner, idx.data(), n, s2.data());
    ASSERT_EQ(s1, s2);
  }
}
