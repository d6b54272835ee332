// Convolution and pooling kernels (im2col + BLAS, the depthwise loop, pooling) against their
// naive reference twins on random geometries: 1-3 spatial dims, strides, dilation, padding
// (leading pad from 0 to beyond the window), groups (1, some, one channel per group).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "backend/cpu/conv.h"
#include "backend/cpu/conv_pooling.h"
#include "keras/backend/parallel.h"

namespace cpu = keras::backend::cpu;

namespace {

template <typename T>
std::vector<T> random_values(std::int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <typename T>
void expect_close(const std::vector<T>& got, const std::vector<T>& want, double tol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i])),
              tol * (1.0 + std::abs(static_cast<double>(want[i]))))
        << what << " at " << i;
}

std::string describe(const cpu::ConvGeometry& g) {
  std::string s = "n=" + std::to_string(g.n) + " c=" + std::to_string(g.c) + " f=" + std::to_string(g.f) +
                  " groups=" + std::to_string(g.groups);
  for (int d = 0; d < 3; ++d)
    s += " [in " + std::to_string(g.in[d]) + " out " + std::to_string(g.out[d]) + " k " + std::to_string(g.k[d]) +
         " s " + std::to_string(g.stride[d]) + " dil " + std::to_string(g.dilation[d]) + " pad " +
         std::to_string(g.pad[d]) + "]";
  return s;
}

// A random valid geometry; `dims` spatial dims, the rest size 1.
cpu::ConvGeometry random_geometry(std::mt19937& rng, int dims, bool pooling) {
  auto pick = [&](int lo, int hi) { return static_cast<std::int64_t>(lo + static_cast<int>(rng() % (hi - lo + 1))); };
  cpu::ConvGeometry g;
  g.n = pick(1, 3);
  g.groups = pooling ? 1 : std::vector<std::int64_t>{1, 1, 2, 3}[rng() % 4];
  const std::int64_t cg = pick(1, 4);
  g.c = g.groups * cg;
  g.f = pooling ? g.c : g.groups * pick(1, 4);
  if (!pooling && rng() % 4 == 0) {  // depthwise: one input channel per group
    g.groups = pick(2, 5);
    g.c = g.groups;
    g.f = g.groups * pick(1, 3);
  }
  for (int d = 3 - dims; d < 3; ++d) {
    g.in[d] = pick(1, 9);
    g.k[d] = pick(1, 4);
    g.stride[d] = pick(1, 3);
    g.dilation[d] = pooling ? 1 : pick(1, 2);
    const std::int64_t eff = (g.k[d] - 1) * g.dilation[d] + 1;
    g.pad[d] = pick(0, static_cast<int>(eff));  // up to a whole window of leading padding
    const std::int64_t trailing = pick(-1, static_cast<int>(eff) - 1);
    std::int64_t span = g.in[d] + g.pad[d] + trailing - eff;
    if (span < 0) {
      g.in[d] = eff;  // keep at least one output
      span = g.in[d] + g.pad[d] + trailing - eff;
      if (span < 0) span = 0;
    }
    g.out[d] = span / g.stride[d] + 1;
  }
  return g;
}

template <typename T>
void check_conv_case(const cpu::ConvGeometry& g, std::mt19937& rng, double tol) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.cg() * g.f,
                     ny = g.n * g.out_positions() * g.f;
  const auto x = random_values<T>(nx, rng), w = random_values<T>(nw, rng), dy = random_values<T>(ny, rng);
  std::vector<T> y(ny), y_ref(ny), dx(nx), dx_ref(nx), dw(nw), dw_ref(nw);
  cpu::conv_forward(g, x.data(), w.data(), y.data());
  cpu::conv_forward_reference(g, x.data(), w.data(), y_ref.data());
  expect_close(y, y_ref, tol, "forward " + describe(g));
  cpu::conv_backward_input(g, dy.data(), w.data(), dx.data());
  cpu::conv_backward_input_reference(g, dy.data(), w.data(), dx_ref.data());
  expect_close(dx, dx_ref, tol, "backward input " + describe(g));
  cpu::conv_backward_kernel(g, x.data(), dy.data(), dw.data());
  cpu::conv_backward_kernel_reference(g, x.data(), dy.data(), dw_ref.data());
  expect_close(dw, dw_ref, tol, "backward kernel " + describe(g));
}

TEST(ConvKernels, MatchReferenceOnRandomGeometries) {
  std::mt19937 rng(7);
  for (int dims = 1; dims <= 3; ++dims)
    for (int trial = 0; trial < 60; ++trial) {
      const auto g = random_geometry(rng, dims, false);
      check_conv_case<float>(g, rng, 1e-5);
      check_conv_case<double>(g, rng, 1e-12);
    }
}

TEST(ConvKernels, AdjointsSatisfyTheDotProductIdentity) {
  // <conv(x, w), dy> == <x, backward_input(dy, w)> == <w, backward_kernel(x, dy)>: the
  // backward kernels are the exact adjoints of the forward one, independently of the twins.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const auto g = random_geometry(rng, 1 + trial % 3, false);
    const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.cg() * g.f,
                       ny = g.n * g.out_positions() * g.f;
    const auto x = random_values<double>(nx, rng), w = random_values<double>(nw, rng),
               dy = random_values<double>(ny, rng);
    std::vector<double> y(ny), dx(nx), dw(nw);
    cpu::conv_forward(g, x.data(), w.data(), y.data());
    cpu::conv_backward_input(g, dy.data(), w.data(), dx.data());
    cpu::conv_backward_kernel(g, x.data(), dy.data(), dw.data());
    double a = 0, b = 0, c = 0;
    for (std::int64_t i = 0; i < ny; ++i) a += y[i] * dy[i];
    for (std::int64_t i = 0; i < nx; ++i) b += x[i] * dx[i];
    for (std::int64_t i = 0; i < nw; ++i) c += w[i] * dw[i];
    EXPECT_NEAR(a, b, 1e-9 * (1 + std::abs(a))) << describe(g);
    EXPECT_NEAR(a, c, 1e-9 * (1 + std::abs(a))) << describe(g);
  }
}

TEST(ConvKernels, LargeInputsSpanSeveralIm2colChunks) {
  // 2 x 40 x 40 outputs x (5*5*24) columns exceed one im2col chunk (2^20 elements).
  cpu::ConvGeometry g;
  g.n = 2;
  g.c = 24;
  g.f = 8;
  g.in[1] = g.in[2] = 42;
  g.k[1] = g.k[2] = 5;
  g.pad[1] = g.pad[2] = 1;
  g.out[1] = g.out[2] = 40;
  ASSERT_GT(g.n * g.out_positions() * g.taps() * g.c, std::int64_t{1} << 20);
  std::mt19937 rng(3);
  check_conv_case<float>(g, rng, 1e-4);
}

TEST(ConvKernels, OneInputChannelRegisterBlockedPathMatchesReference) {
  // An image's first layer (one input channel): filters in blocks of 32 plus a tail, with
  // padding (fewer taps at the borders), strides and dilation.
  std::mt19937 rng(21);
  for (std::int64_t f : {32, 40, 70}) {
    cpu::ConvGeometry g;
    g.n = 2;
    g.c = 1;
    g.f = f;
    g.in[1] = 9;
    g.in[2] = 7;
    g.k[1] = g.k[2] = 3;
    g.pad[1] = g.pad[2] = 1;
    g.stride[2] = f == 40 ? 2 : 1;
    g.dilation[1] = f == 70 ? 2 : 1;
    g.out[1] = (g.in[1] + 2 * g.pad[1] - ((g.k[1] - 1) * g.dilation[1] + 1)) / g.stride[1] + 1;
    g.out[2] = (g.in[2] + 2 * g.pad[2] - ((g.k[2] - 1) * g.dilation[2] + 1)) / g.stride[2] + 1;
    check_conv_case<float>(g, rng, 1e-5);
    check_conv_case<double>(g, rng, 1e-12);
  }
}

// A 2-D geometry with Keras's "valid" or "same" padding (same: out = ceil(in / stride), the
// odd extra padding trailing).
cpu::ConvGeometry geometry_2d(std::int64_t n, std::int64_t h, std::int64_t w, std::int64_t c, std::int64_t f,
                              std::int64_t k, std::int64_t stride, std::int64_t dilation, bool same,
                              std::int64_t groups = 1) {
  cpu::ConvGeometry g;
  g.n = n, g.c = c, g.f = f, g.groups = groups;
  const std::int64_t in[2] = {h, w};
  for (int d = 1; d < 3; ++d) {
    g.in[d] = in[d - 1];
    g.k[d] = k;
    g.stride[d] = stride;
    g.dilation[d] = dilation;
    const std::int64_t eff = (k - 1) * dilation + 1;
    if (same) {
      g.out[d] = (g.in[d] + stride - 1) / stride;
      g.pad[d] = std::max<std::int64_t>(0, (g.out[d] - 1) * stride + eff - g.in[d]) / 2;
    } else {
      g.out[d] = (g.in[d] - eff) / stride + 1;
    }
  }
  return g;
}

TEST(ConvKernels, OneInputChannelDirectKernelsMatchReference) {
  // The direct forward and kernel-gradient loops for one input channel: interior and border
  // positions, filter counts below, at and past whole vectors, tap counts past one register
  // block (5x5 = 25), strides, dilation.
  std::mt19937 rng(31);
  for (std::int64_t f : {1, 5, 8, 32, 37})
    for (std::int64_t k : {1, 3, 5})
      for (std::int64_t stride : {1, 2})
        for (bool same : {false, true}) {
          const std::int64_t dilation = (f == 5 && k == 3) ? 2 : 1;
          const auto g = geometry_2d(2, 11, 9, 1, f, k, stride, dilation, same);
          check_conv_case<float>(g, rng, 1e-5);
          check_conv_case<double>(g, rng, 1e-12);
        }
}

TEST(ConvKernels, OneInputChannelAvx2AndAvx512VersionsAgreeBitForBit) {
  // Where the CPU has AVX-512 the default run above tests that version; this one also runs the
  // AVX2 version against the reference and checks both give identical values.
  std::mt19937 rng(33);
  for (std::int64_t f : {5, 8, 16, 32, 37, 48})
    for (bool same : {false, true}) {
      const auto g = geometry_2d(3, 12, 10, 1, f, 3, 1 + f % 2, 1, same);
      cpu::conv_allow_wide_isa(false);
      check_conv_case<float>(g, rng, 1e-5);
      check_conv_case<double>(g, rng, 1e-12);
      const std::int64_t nx = g.n * g.in_positions(), nw = g.taps() * f, ny = g.n * g.out_positions() * f;
      const auto x = random_values<float>(nx, rng), w = random_values<float>(nw, rng),
                 dy = random_values<float>(ny, rng);
      std::vector<float> y[2], dw[2];
      for (int wide = 0; wide < 2; ++wide) {
        cpu::conv_allow_wide_isa(wide == 1);
        y[wide].resize(ny), dw[wide].resize(nw);
        cpu::conv_forward(g, x.data(), w.data(), y[wide].data());
        cpu::conv_backward_kernel(g, x.data(), dy.data(), dw[wide].data());
      }
      EXPECT_EQ(y[0], y[1]) << describe(g);
      EXPECT_EQ(dw[0], dw[1]) << describe(g);
    }
  cpu::conv_allow_wide_isa(true);
}

TEST(ConvKernels, ContiguousTapRunsMatchReference) {
  // im2col/col2im copy whole runs of taps when channels are contiguous (one group, unit
  // dilation): channel counts below and past a vector, odd sizes, "same" borders, stride 2,
  // and the per-tap copies of groups and dilation.
  std::mt19937 rng(41);
  for (std::int64_t c : {2, 5, 8, 32})
    for (std::int64_t stride : {1, 2})
      for (bool same : {false, true}) {
        check_conv_case<float>(geometry_2d(2, 9, 7, c, 12, 3, stride, 1, same), rng, 1e-5);
        check_conv_case<double>(geometry_2d(1, 8, 11, c, 9, 3, stride, 1, same), rng, 1e-12);
        check_conv_case<float>(geometry_2d(1, 9, 9, c, 6, 3, stride, 2, same), rng, 1e-5);
        if (c % 2 == 0) check_conv_case<double>(geometry_2d(2, 7, 7, c, 6, 3, stride, 1, same, 2), rng, 1e-12);
      }
}

TEST(ConvKernels, InputGradientCallsLeaveNoState) {
  // The input gradient reuses a column scratch that must be all zeros again after each call
  // (taps in the padding included): repeated calls, with other geometries in between, give
  // the same values bit for bit.
  std::mt19937 rng(61);
  const auto g = geometry_2d(3, 9, 8, 8, 12, 3, 1, 1, true);
  const auto other = geometry_2d(2, 7, 7, 4, 5, 3, 2, 1, true);
  const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.c * g.f, ny = g.n * g.out_positions() * g.f;
  const auto w = random_values<float>(nw, rng), dy = random_values<float>(ny, rng);
  std::vector<float> first(nx), again(nx);
  cpu::conv_backward_input(g, dy.data(), w.data(), first.data());
  check_conv_case<float>(other, rng, 1e-5);
  cpu::conv_backward_input(g, dy.data(), w.data(), again.data());
  EXPECT_EQ(first, again);
  std::vector<float> ref(nx);
  cpu::conv_backward_input_reference(g, dy.data(), w.data(), ref.data());
  expect_close(again, ref, 1e-5, "input gradient " + describe(g));
}

TEST(ConvKernels, ManyChunksMatchTheReference) {
  // More rows than one im2col chunk holds (24 samples x 121 positions x 288 columns), at 1 and
  // 2 threads: chunks run one after another, or whole chunks on each thread.
  std::mt19937 rng(53);
  const int saved = keras::backend::num_threads();
  for (int threads : {1, 2}) {
    keras::backend::set_num_threads(threads);
    check_conv_case<float>(geometry_2d(24, 13, 13, 32, 64, 3, 1, 1, false), rng, 1e-4);
    check_conv_case<double>(geometry_2d(24, 13, 13, 32, 64, 3, 1, 1, true), rng, 1e-11);
  }
  keras::backend::set_num_threads(saved);
}

TEST(ConvKernels, ResultsDoNotDependOnTheThreadCount) {
  // The CNN workload's shapes (one-channel first layer, a 32-channel second), bit for bit.
  std::mt19937 rng(51);
  // 24 samples of the second: several im2col chunks, which threads then take whole.
  for (const auto& g : {geometry_2d(4, 28, 28, 1, 32, 3, 1, 1, false), geometry_2d(4, 13, 13, 32, 64, 3, 1, 1, false),
                        geometry_2d(3, 15, 15, 1, 20, 3, 2, 1, true), geometry_2d(24, 13, 13, 32, 64, 3, 1, 1, false)}) {
    const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.cg() * g.f,
                       ny = g.n * g.out_positions() * g.f;
    const auto x = random_values<float>(nx, rng), w = random_values<float>(nw, rng),
               dy = random_values<float>(ny, rng);
    std::vector<float> y[2], dx[2], dw[2];
    const int saved = keras::backend::num_threads();
    for (int threads : {1, 2}) {
      keras::backend::set_num_threads(threads);
      auto& yi = y[threads - 1];
      auto& dxi = dx[threads - 1];
      auto& dwi = dw[threads - 1];
      yi.resize(ny), dxi.resize(nx), dwi.resize(nw);
      cpu::conv_forward(g, x.data(), w.data(), yi.data());
      cpu::conv_backward_input(g, dy.data(), w.data(), dxi.data());
      cpu::conv_backward_kernel(g, x.data(), dy.data(), dwi.data());
    }
    keras::backend::set_num_threads(saved);
    EXPECT_EQ(y[0], y[1]) << describe(g);
    EXPECT_EQ(dx[0], dx[1]) << describe(g);
    EXPECT_EQ(dw[0], dw[1]) << describe(g);
  }
}

TEST(ConvKernels, KnownValues1D) {
  // x = [1 2 3 4], w = [1 10] (valid): y = [21 32 43]
  cpu::ConvGeometry g;
  g.n = 1, g.c = 1, g.f = 1;
  g.in[2] = 4, g.k[2] = 2, g.out[2] = 3;
  const std::vector<float> x{1, 2, 3, 4}, w{1, 10};
  std::vector<float> y(3);
  cpu::conv_forward(g, x.data(), w.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{21, 32, 43}));
}

template <typename T>
void check_pool_case(const cpu::ConvGeometry& g, std::mt19937& rng) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, ny = g.n * g.out_positions() * g.c;
  const auto x = random_values<T>(nx, rng), dy = random_values<T>(ny, rng), h = random_values<T>(nx, rng);
  std::vector<T> y(ny), y_ref(ny), dx(nx), dx_ref(nx);
  cpu::max_pool_forward(g, x.data(), y.data());
  cpu::max_pool_reference(g, x.data(), y_ref.data());
  expect_close(y, y_ref, 0, "max forward " + describe(g));
  cpu::max_pool_backward(g, x.data(), dy.data(), dx.data());
  cpu::max_pool_backward_reference(g, x.data(), dy.data(), dx_ref.data());
  expect_close(dx, dx_ref, 1e-6, "max backward " + describe(g));
  // gather is the adjoint of backward in dy: <backward(dy), h> == <dy, gather(h)>.
  std::vector<T> gathered(ny);
  cpu::max_pool_gather(g, x.data(), h.data(), gathered.data());
  double lhs = 0, rhs = 0;
  for (std::int64_t i = 0; i < nx; ++i) lhs += static_cast<double>(dx[i]) * h[i];
  for (std::int64_t i = 0; i < ny; ++i) rhs += static_cast<double>(dy[i]) * gathered[i];
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::abs(lhs))) << describe(g);

  cpu::avg_pool_forward(g, x.data(), y.data());
  cpu::avg_pool_reference(g, x.data(), y_ref.data());
  expect_close(y, y_ref, 1e-6, "avg forward " + describe(g));
  cpu::avg_pool_backward(g, dy.data(), dx.data());
  cpu::avg_pool_backward_reference(g, dy.data(), dx_ref.data());
  expect_close(dx, dx_ref, 1e-6, "avg backward " + describe(g));
}

TEST(PoolKernels, MatchReferenceOnRandomGeometries) {
  std::mt19937 rng(5);
  for (int dims = 1; dims <= 3; ++dims)
    for (int trial = 0; trial < 60; ++trial) {
      auto g = random_geometry(rng, dims, true);
      // Pooling windows always overlap the input (padding < window), as Keras's "same" gives.
      for (int d = 0; d < 3; ++d) g.pad[d] = std::min(g.pad[d], g.k[d] - 1);
      for (int d = 0; d < 3; ++d) g.out[d] = std::max<std::int64_t>(1, (g.in[d] + g.pad[d] - g.k[d]) / g.stride[d] + 1);
      check_pool_case<float>(g, rng);
      check_pool_case<double>(g, rng);
    }
}

TEST(PoolKernels, AverageExcludesPaddingAndMaxIgnoresIt) {
  // 1-D, x = [-1 -2 -3], window 2, stride 2, one trailing pad ("same"): windows {-1,-2}, {-3}.
  cpu::ConvGeometry g;
  g.n = 1, g.c = 1, g.f = 1;
  g.in[2] = 3, g.k[2] = 2, g.stride[2] = 2, g.out[2] = 2;
  const std::vector<float> x{-1, -2, -3};
  std::vector<float> y(2);
  cpu::avg_pool_forward(g, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{-1.5f, -3.0f}));
  cpu::max_pool_forward(g, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{-1.0f, -3.0f}));
}

}  // namespace
