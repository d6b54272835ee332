// Optimised elementwise kernels against their naive reference twins on random inputs:
// broadcast_binary (every fast path and broadcast pattern, small and threaded sizes),
// unary_map, the vectorisable float32 math (fast_exp/expm1/tanh/sigmoid vs <cmath>) and the
// fused softmax / log_softmax.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <array>
#include <limits>
#include <memory>
#include <random>

#include "backend/cpu/elementwise.h"
#include "backend/cpu/softmax.h"
#include "backend/cpu/unary_math.h"

using namespace keras;
using namespace keras::backend::cpu;

namespace {

template <typename T>
std::vector<T> random_vector(std::int64_t n, unsigned seed, double lo = -10, double hi = 10) {
  std::mt19937 rng(seed);
  std::vector<T> v(static_cast<std::size_t>(n));
  if constexpr (std::is_integral_v<T>) {
    std::uniform_int_distribution<int> dist(static_cast<int>(lo), static_cast<int>(hi));
    for (auto& x : v) x = static_cast<T>(dist(rng));
  } else {
    std::uniform_real_distribution<double> dist(lo, hi);
    for (auto& x : v) x = static_cast<T>(dist(rng));
  }
  return v;
}

struct BroadcastCase {
  Shape a, b, out;
};

// Covers: equal shapes, scalar on either side, row (bias-add) broadcasts, column broadcasts,
// both sides broadcasting, leading rank differences, size-1 outputs, short rows and sizes past
// the threading grain.
std::vector<BroadcastCase> broadcast_cases() {
  return {
      {{2, 3}, {2, 3}, {2, 3}},
      {{}, {4, 5}, {4, 5}},
      {{4, 5}, {}, {4, 5}},
      {{1}, {7}, {7}},
      {{2, 3}, {3}, {2, 3}},
      {{3}, {2, 3}, {2, 3}},
      {{6, 1}, {1, 5}, {6, 5}},
      {{4, 1, 5}, {1, 3, 1}, {4, 3, 5}},
      {{2, 3, 4}, {2, 1, 4}, {2, 3, 4}},
      {{2, 3, 4}, {3, 1}, {2, 3, 4}},
      {{5, 1}, {5, 1}, {5, 1}},
      {{1, 1}, {1}, {1, 1}},
      {{2, 1, 3, 1}, {1, 4, 1, 6}, {2, 4, 3, 6}},
      {{300, 257}, {257}, {300, 257}},
      {{300, 257}, {300, 1}, {300, 257}},
      {{64, 1, 300}, {1, 50, 300}, {64, 50, 300}},
      {{100000}, {100000}, {100000}},
      {{}, {100000}, {100000}},
      {{0, 3}, {3}, {0, 3}},
      // short rows: the repeated-row path, whole chunks of 16 rows and a remainder, either side
      {{4099, 3}, {3}, {4099, 3}},
      {{5}, {37, 5}, {37, 5}},
      {{15}, {20000, 15}, {20000, 15}},
  };
}

template <typename T, typename R, typename F>
void check_broadcast(F f, const char* what) {
  unsigned seed = 1;
  for (const auto& c : broadcast_cases()) {
    ASSERT_EQ(broadcast_shapes(c.a, c.b, "test"), c.out);
    const auto a = random_vector<T>(c.a.num_elements(), seed++);
    const auto b = random_vector<T>(c.b.num_elements(), seed++);
    const std::int64_t n = c.out.num_elements();
    // Plain arrays: std::vector<bool> has no data().
    std::unique_ptr<R[]> fast(new R[static_cast<std::size_t>(n) + 1]), ref(new R[static_cast<std::size_t>(n) + 1]);
    broadcast_binary(a.data(), c.a, b.data(), c.b, fast.get(), c.out, f);
    broadcast_binary_reference(a.data(), c.a, b.data(), c.b, ref.get(), c.out, f);
    for (std::int64_t i = 0; i < n; ++i)
      ASSERT_EQ(fast[i], ref[i])
          << what << " " << c.a.to_string() << " with " << c.b.to_string() << " at " << i;
  }
}

}  // namespace

TEST(ElementwiseKernels, BroadcastBinaryMatchesReference) {
  check_broadcast<float, float>([](float x, float y) { return x + y; }, "add f32");
  check_broadcast<double, double>([](double x, double y) { return x * y - y; }, "mul-sub f64");
  // Non-commutative, so swapped operands would show.
  check_broadcast<float, float>([](float x, float y) { return x - 2 * y; }, "x - 2y f32");
  check_broadcast<std::int32_t, std::int32_t>([](std::int32_t x, std::int32_t y) { return x * 3 - y; }, "int32");
  check_broadcast<std::int64_t, bool>([](std::int64_t x, std::int64_t y) { return x < y; }, "less int64");
}

TEST(ElementwiseKernels, BroadcastStrides) {
  EXPECT_EQ(broadcast_strides(Shape{3, 1}, Shape{2, 3, 4}), (std::vector<std::int64_t>{0, 1, 0}));
  EXPECT_EQ(broadcast_strides(Shape{2, 3, 4}, Shape{2, 3, 4}), (std::vector<std::int64_t>{12, 4, 1}));
  EXPECT_EQ(broadcast_strides(Shape{}, Shape{2, 2}), (std::vector<std::int64_t>{0, 0}));
}

TEST(ElementwiseKernels, UnaryMapMatchesReference) {
  // Sizes around the vector widths: the remainder runs through the padded or masked tail.
  for (std::int64_t n : {0, 1, 7, 8, 15, 16, 17, 75, 1000, 100003}) {
    const auto x = random_vector<float>(n, static_cast<unsigned>(n) + 3);
    std::vector<float> fast(static_cast<std::size_t>(n)), ref(static_cast<std::size_t>(n));
    auto f = [](float v) { return v > 0 ? std::sqrt(v) : fast_tanh(v); };
    unary_map(x.data(), fast.data(), n, f);
    unary_map_reference(x.data(), ref.data(), n, f);
    ASSERT_EQ(fast, ref) << n;
    // Mixed types (cast-like): double -> int64.
    const auto xd = random_vector<double>(n, 99);
    std::vector<std::int64_t> fi(static_cast<std::size_t>(n)), ri(static_cast<std::size_t>(n));
    auto g = [](double v) { return static_cast<std::int64_t>(v * 100); };
    unary_map(xd.data(), fi.data(), n, g);
    unary_map_reference(xd.data(), ri.data(), n, g);
    ASSERT_EQ(fi, ri) << n;
  }
  // In place (compiled plans reuse a dying input's buffer for the output).
  auto x = random_vector<float>(50001, 5);
  std::vector<float> ref(x.size());
  unary_map_reference(x.data(), ref.data(), 50001, [](float v) { return v * v; });
  unary_map(x.data(), x.data(), 50001, [](float v) { return v * v; });
  EXPECT_EQ(x, ref);
}

namespace {

// Distance in units in the last place between two floats of the same sign.
std::int64_t ulps(float a, float b) {
  if (a == b) return 0;
  std::int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if ((ia < 0) != (ib < 0)) return std::numeric_limits<std::int64_t>::max();
  return std::abs(static_cast<std::int64_t>(ia) - static_cast<std::int64_t>(ib));
}

// Largest ulp error of f against ref (computed in double, then rounded to float) over a dense
// sweep of [lo, hi] plus special values.
template <typename F, typename Ref>
std::int64_t max_ulps(F f, Ref ref, float lo, float hi) {
  std::vector<float> xs;
  for (int i = 0; i <= 200000; ++i) xs.push_back(lo + (hi - lo) * static_cast<float>(i) / 200000.0f);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-8f, -1e-8f, 0.5f, -0.5f, 0.49999997f, -0.49999997f}) xs.push_back(v);
  std::int64_t worst = 0;
  for (float x : xs) {
    const float want = static_cast<float>(ref(static_cast<double>(x)));
    const float got = f(x);
    const std::int64_t u = ulps(got, want);
    EXPECT_LE(u, 8) << "at x=" << x << ": " << got << " vs " << want;
    worst = std::max(worst, u);
  }
  return worst;
}

}  // namespace

TEST(UnaryMath, FastExpIsAccurate) {
  EXPECT_LE(max_ulps([](float x) { return fast_exp(x); }, [](double x) { return std::exp(x); }, -87.0f, 88.7f), 2);
  // Subnormal results, overflow, underflow and the special values.
  for (float x : {-88.0f, -95.0f, -100.0f, -103.9f}) EXPECT_NEAR(fast_exp(x), std::exp(x), 1.5e-45f) << x;
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fast_exp(89.0f), inf);
  EXPECT_EQ(fast_exp(1000.0f), inf);
  EXPECT_EQ(fast_exp(inf), inf);
  EXPECT_EQ(fast_exp(-105.0f), 0.0f);
  EXPECT_EQ(fast_exp(-inf), 0.0f);
  EXPECT_TRUE(std::isnan(fast_exp(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_EQ(fast_exp(1.0), std::exp(1.0));  // float64 forwards to <cmath>
}

TEST(UnaryMath, FastExpm1IsAccurateNearZero) {
  EXPECT_LE(max_ulps([](float x) { return fast_expm1(x); }, [](double x) { return std::expm1(x); }, -20.0f, 20.0f), 4);
  EXPECT_LE(max_ulps([](float x) { return fast_expm1(x); }, [](double x) { return std::expm1(x); }, -0.6f, 0.6f), 4);
  EXPECT_EQ(fast_expm1(-200.0f), -1.0f);
  EXPECT_EQ(fast_expm1(1e-30f), 1e-30f);
}

TEST(UnaryMath, FastTanhAndSigmoidAreAccurate) {
  EXPECT_LE(max_ulps([](float x) { return fast_tanh(x); }, [](double x) { return std::tanh(x); }, -12.0f, 12.0f), 6);
  EXPECT_LE(max_ulps([](float x) { return fast_tanh(x); }, [](double x) { return std::tanh(x); }, -0.1f, 0.1f), 6);
  EXPECT_LE(max_ulps([](float x) { return fast_sigmoid(x); }, [](double x) { return 1 / (1 + std::exp(-x)); }, -80.0f,
                     30.0f),
            4);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(fast_tanh(inf), 1.0f);
  EXPECT_EQ(fast_tanh(-inf), -1.0f);
  EXPECT_EQ(fast_sigmoid(-inf), 0.0f);
  EXPECT_EQ(fast_sigmoid(inf), 1.0f);
  EXPECT_TRUE(std::isnan(fast_tanh(std::numeric_limits<float>::quiet_NaN())));
}

TEST(UnaryMath, FastLog1pUnitIsAccurate) {
  // Relative accuracy across [0, 1], including tiny arguments where 1 + t would round to 1.
  for (int i = 0; i <= 100000; ++i) {
    const float t = i == 0 ? 0.0f : std::min(1.0f, std::pow(10.0f, -40.0f + 40.0f * static_cast<float>(i) / 100000.0f));
    const float want = static_cast<float>(std::log1p(static_cast<double>(t)));
    ASSERT_LE(ulps(fast_log1p_unit(t), want), 4) << "at t=" << t;
  }
  EXPECT_EQ(fast_log1p_unit(0.0f), 0.0f);
  EXPECT_EQ(fast_log1p_unit(0.25), std::log1p(0.25));  // float64 forwards to <cmath>
}

namespace {

template <typename T, bool Log>
void check_softmax(std::int64_t outer, std::int64_t n, std::int64_t inner, double tol) {
  const std::int64_t total = outer * n * inner;
  const auto x = random_vector<T>(total, static_cast<unsigned>(total + n), -20, 20);
  std::vector<T> fast(static_cast<std::size_t>(total)), ref(static_cast<std::size_t>(total));
  softmax<T, Log>(x.data(), fast.data(), outer, n, inner);
  softmax_reference<T, Log>(x.data(), ref.data(), outer, n, inner);
  for (std::int64_t i = 0; i < total; ++i) {
    const double r = ref[static_cast<std::size_t>(i)];
    ASSERT_NEAR(fast[static_cast<std::size_t>(i)], r, tol * std::max(1.0, std::abs(r)))
        << "(" << outer << ", " << n << ", " << inner << ") log=" << Log << " at " << i;
  }
}

}  // namespace

TEST(SoftmaxKernel, MatchesReference) {
  // (outer, n, inner): last axis, middle axes, first axis, column blocks wider than one block
  // and partial blocks, single-element axes, and sizes past the threading grain.
  const std::vector<std::array<std::int64_t, 3>> shapes{
      {1, 1, 1},     {4, 10, 1},   {3, 1, 5},     {2, 7, 3},   {1, 9, 600},
      {5, 3, 257},   {1000, 37, 1}, {64, 100, 40}, {1, 5000, 1}};
  for (const auto& s : shapes) {
    check_softmax<float, false>(s[0], s[1], s[2], 2e-6);
    check_softmax<float, true>(s[0], s[1], s[2], 2e-6);
    check_softmax<double, false>(s[0], s[1], s[2], 1e-13);
    check_softmax<double, true>(s[0], s[1], s[2], 1e-13);
  }
}

namespace {
// Out of line, so that the vectors below are really built in memory.
__attribute__((noinline)) double last_of(const std::vector<double>& v) { return v.back(); }
__attribute__((noinline)) std::int64_t last_of(const std::vector<std::int64_t>& v) { return v.back(); }
}  // namespace

// Build-flag guard: GCC 12.2 with -march=native on AVX-512 machines fills every lane of
// {x, x, x, 0} (four 64-bit values) with x. CMakeLists.txt turns AVX-512 off for GCC < 13;
// this fails if that workaround is lost or the bug reaches another compiler.
TEST(Toolchain, VectorInitializerWithTrailingZero) {
  EXPECT_EQ(last_of(std::vector<std::int64_t>{5, 5, 5, 0}), 0);
  const double a[4] = {2.5, 2.5, 2.5, 0};
  EXPECT_EQ(last_of(std::vector<double>(a, a + 4)), 0.0);
  EXPECT_EQ(last_of(std::vector<double>{1.0 / 6, 1.0 / 6, 1.0 / 6, 0}), 0.0);
}
