// Max pooling's fast paths against the reference twins: disjoint windows (stride >= window,
// Keras's default), whose gradient writes each dx element once, on channel counts below, at
// and past a vector, "valid" remainders, "same" borders, gaps between windows, and inputs with
// many ties (the first maximum in window order must win, exactly as in the reference).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/conv_pooling.h"
#include "keras/backend/parallel.h"

namespace cpu = keras::backend::cpu;

namespace {

// 2-D pooling geometry; same: out = ceil(in / stride) with the odd extra padding trailing.
cpu::ConvGeometry pool_2d(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t k,
                          std::int64_t stride, bool same) {
  cpu::ConvGeometry g;
  g.n = n, g.c = c, g.f = c;
  const std::int64_t in[2] = {h, w};
  for (int d = 1; d < 3; ++d) {
    g.in[d] = in[d - 1];
    g.k[d] = k;
    g.stride[d] = stride;
    if (same) {
      g.out[d] = (g.in[d] + stride - 1) / stride;
      g.pad[d] = std::max<std::int64_t>(0, (g.out[d] - 1) * stride + k - g.in[d]) / 2;
    } else {
      g.out[d] = (g.in[d] - k) / stride + 1;
    }
  }
  return g;
}

std::string describe(const cpu::ConvGeometry& g) {
  return "n=" + std::to_string(g.n) + " in=" + std::to_string(g.in[1]) + "x" + std::to_string(g.in[2]) +
         " c=" + std::to_string(g.c) + " k=" + std::to_string(g.k[2]) + " s=" + std::to_string(g.stride[2]) +
         " pad=" + std::to_string(g.pad[1]) + "," + std::to_string(g.pad[2]);
}

// Values from a few levels when `ties`, so that windows often hold equal maxima.
template <typename T>
std::vector<T> values(std::int64_t n, std::mt19937& rng, bool ties) {
  std::uniform_int_distribution<int> level(-2, 2);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = ties ? static_cast<T>(level(rng)) : static_cast<T>(real(rng));
  return v;
}

template <typename T>
void check_max_pool(const cpu::ConvGeometry& g, std::mt19937& rng, bool ties) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, ny = g.n * g.out_positions() * g.c;
  const auto x = values<T>(nx, rng, ties), dy = values<T>(ny, rng, false), h = values<T>(nx, rng, false);
  std::vector<T> y(ny), y_ref(ny, T(7)), dx(nx, T(9)), dx_ref(nx), gathered(ny), gathered_ref(ny);
  std::vector<std::int64_t> argmax(static_cast<std::size_t>(ny));
  cpu::max_pool_forward(g, x.data(), y.data());
  cpu::max_pool_reference(g, x.data(), y_ref.data(), argmax.data());
  EXPECT_EQ(y, y_ref) << describe(g);
  // dx starts as garbage: every element must be written, covered or not.
  cpu::max_pool_backward(g, x.data(), dy.data(), dx.data());
  cpu::max_pool_backward_reference(g, x.data(), dy.data(), dx_ref.data());
  EXPECT_EQ(dx, dx_ref) << describe(g);
  cpu::max_pool_gather(g, x.data(), h.data(), gathered.data());
  for (std::size_t i = 0; i < gathered_ref.size(); ++i) gathered_ref[i] = argmax[i] >= 0 ? h[argmax[i]] : T(0);
  EXPECT_EQ(gathered, gathered_ref) << describe(g);
}

TEST(MaxPoolKernels, DisjointWindowsMatchReferenceExactly) {
  std::mt19937 rng(17);
  for (std::int64_t c : {1, 3, 8, 13, 32, 64})
    for (std::int64_t k : {1, 2, 3})
      for (std::int64_t extra : {0, 1})  // stride == window, or gaps between windows
        for (bool same : {false, true})
          for (bool ties : {false, true}) {
            const auto g = pool_2d(2, 11, 9, c, k, k + extra, same);
            check_max_pool<float>(g, rng, ties);
            check_max_pool<double>(g, rng, ties);
          }
}

TEST(MaxPoolKernels, OverlappingWindowsMatchReferenceExactly) {
  // Stride below the window: positions shared by windows accumulate (one at a time, in order).
  std::mt19937 rng(19);
  for (std::int64_t c : {1, 8, 13})
    for (bool same : {false, true})
      for (bool ties : {false, true}) {
        const auto g = pool_2d(2, 10, 7, c, 3, 2, same);
        check_max_pool<float>(g, rng, ties);
        check_max_pool<double>(g, rng, ties);
      }
}

TEST(MaxPoolKernels, ResultsDoNotDependOnTheThreadCount) {
  std::mt19937 rng(23);
  const auto g = pool_2d(8, 26, 26, 32, 2, 2, false);
  const std::int64_t nx = g.n * g.in_positions() * g.c, ny = g.n * g.out_positions() * g.c;
  const auto x = values<float>(nx, rng, true), dy = values<float>(ny, rng, false);
  std::vector<float> y[2], dx[2];
  const int saved = keras::backend::num_threads();
  for (int t = 0; t < 2; ++t) {
    keras::backend::set_num_threads(t + 1);
    y[t].resize(ny), dx[t].resize(nx);
    cpu::max_pool_forward(g, x.data(), y[t].data());
    cpu::max_pool_backward(g, x.data(), dy.data(), dx[t].data());
  }
  keras::backend::set_num_threads(saved);
  EXPECT_EQ(y[0], y[1]);
  EXPECT_EQ(dx[0], dx[1]);
}

}  // namespace
