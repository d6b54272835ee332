// The blocked/threaded reduction kernels against their naive reference twins, on random
// shapes and axis sets covering every geometry: rows, columns, (outer, R, inner),
// all-reduce (chunked) and the gathered non-contiguous case.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cpu/reduce.h"

using namespace keras;
namespace cpu = keras::backend::cpu;

namespace {

std::vector<double> random_values(std::int64_t n, std::mt19937& rng, double lo = -2.0, double hi = 2.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

struct Case {
  Shape shape;
  std::vector<std::int64_t> axes;
};

// Hand-picked geometries plus random ranks/dims/axis subsets.
std::vector<Case> cases() {
  std::vector<Case> out = {
      {{7}, {0}},                    // 1-D all
      {{5, 9}, {1}},                 // rows
      {{5, 9}, {0}},                 // columns
      {{3, 4, 5}, {1}},              // (outer, R, inner)
      {{3, 4, 5}, {0, 2}},           // gathered
      {{2, 3, 4, 5}, {0, 2}},        // gathered, 4-D
      {{2, 1, 4, 1}, {1, 3}},        // only size-1 axes reduced
      {{4, 1, 6}, {0, 1}},           // size-1 axis merges into the leading block
      {{300, 700}, {1}},             // threaded rows
      {{700, 300}, {0}},             // threaded columns
      {{200000}, {0}},               // chunked all-reduce
      {{1000, 3}, {1}},              // many short rows (a product over 3 features)
      {{3, 0, 4}, {1}},              // empty slices
      {{}, {}},                      // scalar
  };
  std::mt19937 rng(7);
  for (int t = 0; t < 60; ++t) {
    const int rank = 1 + static_cast<int>(rng() % 4);
    Case c;
    for (int d = 0; d < rank; ++d) c.shape.push_back(1 + static_cast<std::int64_t>(rng() % 6));
    for (int d = 0; d < rank; ++d)
      if (rng() % 2) c.axes.push_back(d);
    if (c.axes.empty()) c.axes.push_back(static_cast<std::int64_t>(rng() % rank));
    out.push_back(c);
  }
  return out;
}

std::string describe(const Case& c) {
  std::string s = c.shape.to_string() + " axes";
  for (auto a : c.axes) s += " " + std::to_string(a);
  return s;
}

template <typename T>
void expect_close(const std::vector<T>& fast, const std::vector<T>& ref, double tol, const std::string& what) {
  ASSERT_EQ(fast.size(), ref.size()) << what;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    if (std::isnan(static_cast<double>(ref[i]))) {
      EXPECT_TRUE(std::isnan(static_cast<double>(fast[i]))) << what << " at " << i;
      continue;
    }
    if (fast[i] == ref[i]) continue;  // also equal infinities
    const double scale = std::max(1.0, std::abs(static_cast<double>(ref[i])));
    EXPECT_LE(std::abs(static_cast<double>(fast[i]) - static_cast<double>(ref[i])), tol * scale)
        << what << " at " << i << ": " << fast[i] << " vs " << ref[i];
  }
}

template <typename T, typename R, typename Red>
void compare(const Case& c, const std::vector<T>& x, const Red& red, double tol, const char* name) {
  const auto n_out = static_cast<std::size_t>(cpu::reduce_out_count(c.shape, c.axes));
  std::vector<R> fast(n_out), ref(n_out);
  cpu::reduce(x.data(), c.shape, c.axes, fast.data(), red);
  cpu::reduce_reference(x.data(), c.shape, c.axes, ref.data(), red);
  expect_close(fast, ref, tol, std::string(name) + " " + describe(c));
}

}  // namespace

TEST(ReduceKernel, FloatReducersMatchReference) {
  std::mt19937 rng(1);
  for (const Case& c : cases()) {
    const auto d = random_values(c.shape.num_elements(), rng, 0.5, 1.5);  // positive: prod stays finite-ish
    std::vector<float> x(d.begin(), d.end());
    compare<float, float>(c, x, cpu::SumReducer<float, float>{}, 1e-5, "sum");
    compare<float, float>(c, x, cpu::MeanReducer<float, float>{}, 1e-6, "mean");
    compare<float, float>(c, x, cpu::ExtremeReducer<float, true>{}, 0, "max");
    compare<float, float>(c, x, cpu::ExtremeReducer<float, false>{}, 0, "min");
    if (c.shape.num_elements() < 5000) compare<float, float>(c, x, cpu::ProdReducer<float, float>{}, 1e-5, "prod");
  }
}

TEST(ReduceKernel, IntegerReducersAreExact) {
  std::mt19937 rng(2);
  for (const Case& c : cases()) {
    std::vector<std::int32_t> x(static_cast<std::size_t>(c.shape.num_elements()));
    for (auto& v : x) v = static_cast<std::int32_t>(rng() % 21) - 10;
    compare<std::int32_t, std::int32_t>(c, x, cpu::SumReducer<std::int32_t, std::int32_t>{}, 0, "sum int32");
    compare<std::int32_t, std::int32_t>(c, x, cpu::ExtremeReducer<std::int32_t, true>{}, 0, "max int32");
    compare<std::int32_t, float>(c, x, cpu::MeanReducer<std::int32_t, float>{}, 1e-6, "mean int32");
  }
}

TEST(ReduceKernel, VarianceAndLogsumexpMatchReference) {
  std::mt19937 rng(3);
  for (const Case& c : cases()) {
    const auto x = random_values(c.shape.num_elements(), rng, -30, 30);
    const auto n_out = static_cast<std::size_t>(cpu::reduce_out_count(c.shape, c.axes));
    for (bool take_sqrt : {false, true}) {
      std::vector<double> fast(n_out), ref(n_out);
      cpu::variance(x.data(), c.shape, c.axes, fast.data(), take_sqrt);
      cpu::variance_reference(x.data(), c.shape, c.axes, ref.data(), take_sqrt);
      expect_close(fast, ref, 1e-10, (take_sqrt ? "std " : "var ") + describe(c));
    }
    std::vector<double> fast(n_out), ref(n_out);
    cpu::logsumexp(x.data(), c.shape, c.axes, fast.data());
    cpu::logsumexp_reference(x.data(), c.shape, c.axes, ref.data());
    expect_close(fast, ref, 1e-12, "logsumexp " + describe(c));
  }
}

TEST(ReduceKernel, VarianceIsStableForLargeOffsets) {
  // One pass of E[x^2] - E[x]^2 would lose every digit here.
  std::vector<float> x = {1e6f + 1, 1e6f + 2, 1e6f + 3, 1e6f + 4};
  float var = 0;
  cpu::variance(x.data(), Shape{4}, {0}, &var, false);
  EXPECT_FLOAT_EQ(var, 1.25f);
}

TEST(ReduceKernel, LogsumexpHandlesExtremes) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x = {1000, 1000, -inf, -inf, 5, inf};
  std::vector<double> out(3);
  cpu::logsumexp(x.data(), Shape{3, 2}, {1}, out.data());
  EXPECT_NEAR(out[0], 1000 + std::log(2.0), 1e-12);
  EXPECT_EQ(out[1], -inf);
  EXPECT_EQ(out[2], inf);
}

TEST(ReduceKernel, MaxPropagatesNaN) {
  std::vector<float> x = {1, NAN, 3, 2, 5, 4};
  std::vector<float> out(2);
  cpu::reduce(x.data(), Shape{2, 3}, {1}, out.data(), cpu::ExtremeReducer<float, true>{});
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[1], 5);
}

TEST(ReduceKernel, ArgExtremeMatchesReference) {
  std::mt19937 rng(4);
  for (auto dims : std::vector<std::array<std::int64_t, 3>>{{1, 7, 1}, {5, 9, 1}, {1, 9, 6}, {4, 5, 3}, {3000, 17, 1}}) {
    const std::int64_t n = dims[0] * dims[1] * dims[2];
    std::vector<float> x(static_cast<std::size_t>(n));
    for (auto& v : x) v = static_cast<float>(rng() % 5);  // many ties: the first one must win
    for (bool is_max : {true, false}) {
      std::vector<std::int32_t> fast(static_cast<std::size_t>(dims[0] * dims[2])), ref(fast.size());
      cpu::arg_extreme(x.data(), dims[0], dims[1], dims[2], fast.data(), is_max);
      cpu::arg_extreme_reference(x.data(), dims[0], dims[1], dims[2], ref.data(), is_max);
      EXPECT_EQ(fast, ref);
    }
  }
  std::vector<double> x = {3, 1, 3, NAN, 0, NAN};
  std::int32_t first = -1;
  cpu::arg_extreme(x.data(), 1, 6, 1, &first, true);
  EXPECT_EQ(first, 3);  // NumPy: the first NaN
  cpu::arg_extreme(x.data(), 1, 3, 1, &first, true);
  EXPECT_EQ(first, 0);  // first of the tied maxima
}

TEST(ReduceKernel, ProdOthersMatchesReferenceWithZeros) {
  std::mt19937 rng(5);
  for (const Case& c : cases()) {
    const std::int64_t n = c.shape.num_elements();
    if (n > 3000) continue;  // the reference is quadratic
    auto x = random_values(n, rng, 0.5, 1.5);
    for (auto& v : x)
      if (rng() % 4 == 0) v = 0.0;  // slices with no, one and several zeros
    const auto n_out = cpu::reduce_out_count(c.shape, c.axes);
    const auto g = random_values(n_out, rng);
    std::vector<double> fast(static_cast<std::size_t>(n)), ref(fast.size());
    cpu::prod_others(x.data(), c.shape, c.axes, g.data(), fast.data());
    cpu::prod_others_reference(x.data(), c.shape, c.axes, g.data(), ref.data());
    expect_close(fast, ref, 1e-12, "prod_others " + describe(c));
  }
}

TEST(ReduceKernel, ProdOthersIsExactAtZeros) {
  // Slices: (2, 0, 3) one zero; (0, 5, 0) two zeros; (2, 3, 4) none.
  std::vector<double> x = {2, 0, 3, 0, 5, 0, 2, 3, 4};
  std::vector<double> g = {1, 1, 10};
  std::vector<double> out(9);
  cpu::prod_others(x.data(), Shape{3, 3}, {1}, g.data(), out.data());
  EXPECT_EQ(out, (std::vector<double>{0, 6, 0, 0, 0, 0, 120, 80, 60}));
}
