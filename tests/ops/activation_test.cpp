// Activations: values against double-precision references of Keras's formulas (float32 and
// float64), numerical stability at extreme inputs, softmax/log_softmax along every axis,
// dtype errors, symbolic inference and gradient rules.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

using Ref = std::function<double(double)>;

template <typename T>
std::vector<T> uniform_values(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

template <typename T>
void expect_matches(const std::function<Tensor(const Tensor&)>& op, const Ref& ref, double lo, double hi, double rtol,
                    const char* name) {
  std::vector<T> xs = uniform_values<T>(2000, lo, hi, 3);
  // Edge values that stress the numerics.
  for (double e : {0.0, -0.0, 1e-6, -1e-6, lo, hi}) xs.push_back(static_cast<T>(e));
  const Tensor out = op(Tensor::from_vector(xs, {static_cast<std::int64_t>(xs.size())}));
  ASSERT_EQ(out.dtype(), dtype_of<T>::value) << name;
  const auto got = out.to_vector<double>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double want = ref(static_cast<double>(xs[i]));
    ASSERT_NEAR(got[i], want, rtol * std::max(1.0, std::abs(want))) << name << "(" << xs[i] << ")";
  }
}

constexpr double kSeluAlpha = 1.67326324;
constexpr double kSeluScale = 1.05070098;

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus_ref(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
double gelu_tanh_ref(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
double gelu_erf_ref(double x) { return x * (std::erf(x / std::sqrt(2.0)) + 1.0) / 2.0; }

template <typename T>
void check_all(double rtol) {
  expect_matches<T>(ops::relu, [](double x) { return std::max(x, 0.0); }, -5, 5, rtol, "relu");
  expect_matches<T>(ops::relu6, [](double x) { return std::min(std::max(x, 0.0), 6.0); }, -10, 10, rtol, "relu6");
  expect_matches<T>(ops::tanh, [](double x) { return std::tanh(x); }, -12, 12, rtol, "tanh");
  expect_matches<T>(ops::tanh, [](double x) { return std::tanh(x); }, -0.3, 0.3, rtol, "tanh near 0");
  expect_matches<T>(ops::sigmoid, sigmoid_ref, -30, 30, rtol, "sigmoid");
  expect_matches<T>([](const Tensor& x) { return ops::elu(x); },
                    [](double x) { return x > 0 ? x : std::expm1(x); }, -10, 5, rtol, "elu");
  expect_matches<T>([](const Tensor& x) { return ops::elu(x, 0.5); },
                    [](double x) { return x > 0 ? x : 0.5 * std::expm1(x); }, -10, 5, rtol, "elu(0.5)");
  expect_matches<T>(ops::selu, [](double x) { return kSeluScale * (x > 0 ? x : kSeluAlpha * std::expm1(x)); }, -10,
                    5, rtol, "selu");
  expect_matches<T>([](const Tensor& x) { return ops::gelu(x); }, gelu_tanh_ref, -6, 6, rtol, "gelu");
  expect_matches<T>([](const Tensor& x) { return ops::gelu(x, false); }, gelu_erf_ref, -6, 6, rtol, "gelu(erf)");
  expect_matches<T>(ops::silu, [](double x) { return x * sigmoid_ref(x); }, -20, 20, rtol, "silu");
  expect_matches<T>(ops::softplus, softplus_ref, -30, 30, rtol, "softplus");
  expect_matches<T>(ops::softsign, [](double x) { return x / (1 + std::abs(x)); }, -10, 10, rtol, "softsign");
  expect_matches<T>([](const Tensor& x) { return ops::leaky_relu(x); },
                    [](double x) { return x > 0 ? x : 0.2 * x; }, -5, 5, rtol, "leaky_relu");
  expect_matches<T>([](const Tensor& x) { return ops::leaky_relu(x, 0.01); },
                    [](double x) { return x > 0 ? x : 0.01 * x; }, -5, 5, rtol, "leaky_relu(0.01)");
  expect_matches<T>(ops::hard_sigmoid, [](double x) { return std::min(std::max(x + 3, 0.0), 6.0) / 6; }, -5, 5, rtol,
                    "hard_sigmoid");
  expect_matches<T>(ops::exponential, [](double x) { return std::exp(x); }, -20, 20, rtol, "exponential");
  expect_matches<T>(ops::linear, [](double x) { return x; }, -5, 5, rtol, "linear");
}

std::vector<double> softmax_ref(const std::vector<double>& x, const Shape& s, int axis, bool log) {
  std::int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s.dims()[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s.dims()[d];
  const std::int64_t n = s.dims()[axis];
  std::vector<double> out(x.size());
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t j = 0; j < inner; ++j) {
      auto at = [&](std::int64_t i) { return static_cast<std::size_t>((o * n + i) * inner + j); };
      double m = -INFINITY, sum = 0;
      for (std::int64_t i = 0; i < n; ++i) m = std::max(m, x[at(i)]);
      for (std::int64_t i = 0; i < n; ++i) sum += std::exp(x[at(i)] - m);
      for (std::int64_t i = 0; i < n; ++i)
        out[at(i)] = log ? x[at(i)] - m - std::log(sum) : std::exp(x[at(i)] - m) / sum;
    }
  return out;
}

}  // namespace

TEST(Activations, Float32MatchesReferences) { check_all<float>(2e-6); }
TEST(Activations, Float64MatchesReferences) { check_all<double>(1e-13); }

TEST(Activations, StableAtExtremes) {
  const Tensor x = Tensor::from_vector(std::vector<float>{-1000, -100, 100, 1000}, {4});
  EXPECT_EQ(ops::sigmoid(x).to_vector<float>(), (std::vector<float>{0, 0, 1, 1}));
  EXPECT_EQ(ops::tanh(x).to_vector<float>(), (std::vector<float>{-1, -1, 1, 1}));
  const auto sp = ops::softplus(x).to_vector<float>();
  EXPECT_EQ(sp[0], 0.0f);
  EXPECT_GT(sp[1], 0.0f);  // log1p(exp(-100)) ~ 3.7e-44: a subnormal, not flushed
  EXPECT_LT(sp[1], 1e-43f);
  EXPECT_EQ(sp[2], 100.0f);
  EXPECT_EQ(sp[3], 1000.0f);
  EXPECT_EQ(ops::silu(x).to_vector<float>(), (std::vector<float>{-0.0f, -0.0f, 100, 1000}));
  EXPECT_EQ(ops::elu(x).to_vector<float>(), (std::vector<float>{-1, -1, 100, 1000}));
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = Tensor::from_vector(std::vector<float>{-inf, inf}, {2});
  EXPECT_EQ(ops::sigmoid(y).to_vector<float>(), (std::vector<float>{0, 1}));
  EXPECT_EQ(ops::tanh(y).to_vector<float>(), (std::vector<float>{-1, 1}));
  EXPECT_EQ(ops::relu(y).to_vector<float>(), (std::vector<float>{0, inf}));
}

TEST(Activations, NanPropagates) {
  const Tensor x = Tensor::from_vector(std::vector<float>{std::numeric_limits<float>::quiet_NaN()}, {1});
  for (auto op : {ops::relu, ops::relu6, ops::tanh, ops::sigmoid, ops::selu, ops::silu, ops::softplus, ops::softsign,
                  ops::hard_sigmoid})
    EXPECT_TRUE(std::isnan(op(x).item()));
  EXPECT_TRUE(std::isnan(ops::elu(x).item()));
  EXPECT_TRUE(std::isnan(ops::gelu(x).item()));
}

TEST(Activations, ReluOnIntegers) {
  const Tensor x = Tensor::from_vector(std::vector<std::int32_t>{-3, 0, 4, 9}, {4});
  EXPECT_EQ(ops::relu(x).dtype(), DType::int32);
  EXPECT_EQ(ops::relu(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 4, 9}));
  EXPECT_EQ(ops::relu6(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 4, 6}));
}

TEST(Activations, FloatingOnlyActivationsRejectIntegers) {
  const Tensor x = Tensor::from_vector(std::vector<std::int64_t>{1, 2}, {2});
  for (auto op : {ops::tanh, ops::sigmoid, ops::selu, ops::silu, ops::softplus, ops::softsign, ops::hard_sigmoid,
                  ops::exponential}) {
    try {
      op(x);
      ADD_FAILURE() << "expected TypeError";
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find("Received: dtype=int64"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ops::softmax(x), TypeError);
  EXPECT_THROW(ops::log_softmax(x), TypeError);
  EXPECT_THROW(ops::gelu(x), TypeError);
  EXPECT_THROW(ops::elu(x), TypeError);
  EXPECT_THROW(ops::leaky_relu(x), TypeError);
  EXPECT_THROW(ops::relu(Tensor::from_bools({true}, {1})), TypeError);
}

template <typename T>
void check_softmax_all_axes(double tol) {
  const Shape s{3, 4, 5};
  const std::vector<T> xs = uniform_values<T>(60, -10, 10, 11);
  const Tensor x = Tensor::from_vector(xs, s);
  std::vector<double> xd(xs.begin(), xs.end());
  for (int axis : {0, 1, 2, -1, -3}) {
    const int a = axis < 0 ? axis + 3 : axis;
    for (bool log : {false, true}) {
      const Tensor y = log ? ops::log_softmax(x, axis) : ops::softmax(x, axis);
      ASSERT_EQ(y.shape(), s);
      const auto got = y.template to_vector<double>();
      const auto want = softmax_ref(xd, s, a, log);
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << "axis " << axis << " log " << log;
    }
  }
}

TEST(Activations, SoftmaxAlongEveryAxis) {
  check_softmax_all_axes<float>(1e-6);
  check_softmax_all_axes<double>(1e-14);
}

TEST(Activations, SoftmaxIsStableForLargeLogits) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1000, 1001, -1000, 0}, {2, 2});
  const auto p = ops::softmax(x).to_vector<float>();
  EXPECT_NEAR(p[0], 0.26894142f, 1e-7);
  EXPECT_NEAR(p[1], 0.73105858f, 1e-7);
  EXPECT_EQ(p[2], 0.0f);
  EXPECT_EQ(p[3], 1.0f);
  const auto lp = ops::log_softmax(x).to_vector<float>();
  EXPECT_NEAR(lp[0], -1.3132616f, 1e-6);
  EXPECT_NEAR(lp[1], -0.31326169f, 1e-6);
  EXPECT_NEAR(lp[2], -1000.0f, 1e-3);  // finite, not -inf: log_softmax does not take log(0)
  EXPECT_EQ(lp[3], 0.0f);
}

TEST(Activations, SoftmaxRowsSumToOneOnLargeInputs) {
  // Large enough for the threaded paths, with inner > 1 for a middle axis.
  const Shape s{8, 300, 70};
  const Tensor x = Tensor::from_vector(uniform_values<float>(8 * 300 * 70, -5, 5, 5), s);
  for (int axis : {1, 2}) {
    const auto p = ops::softmax(x, axis).to_vector<double>();
    const std::int64_t inner = axis == 1 ? 70 : 1, n = s.dims()[axis];
    for (std::int64_t o = 0; o < 8; ++o)
      for (std::int64_t j = 0; j < (axis == 1 ? 70 : 300); ++j) {
        double sum = 0;
        const std::int64_t base = axis == 1 ? o * 300 * 70 + j : (o * 300 + j) * 70;
        for (std::int64_t i = 0; i < n; ++i) sum += p[static_cast<std::size_t>(base + i * inner)];
        ASSERT_NEAR(sum, 1.0, 1e-5);
      }
  }
}

TEST(Activations, SoftmaxAxisErrors) {
  const Tensor x = ops::zeros({2, 3});
  try {
    ops::softmax(x, 2);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ops::log_softmax(x, -3), ValueError);
  EXPECT_THROW(ops::softmax(Tensor::scalar(1.0)), ValueError);
}

TEST(Activations, SymbolicInference) {
  const Tensor x = Tensor::placeholder({-1, 10});
  const Tensor y = ops::softmax(ops::gelu(ops::relu(x)), -1);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), (Shape{-1, 10}));
  EXPECT_EQ(y.node()->attrs.i, 1);  // the axis is normalised at inference
  EXPECT_EQ(ops::linear(x).node(), x.node());
}

TEST(Activations, GradientRules) {
  // Spot values; full finite-difference checks live in tests/gradcheck/.
  Variable x(Tensor::from_vector(std::vector<double>{-2, 0, 0.5, 7}, {4}), "x");
  GradientTape tape;
  auto grad = [&](const Tensor& y) { return tape.gradient(y, {x})[0].to_vector<double>(); };
  EXPECT_EQ(grad(ops::relu(x)), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(grad(ops::relu6(x)), (std::vector<double>{0, 0, 1, 0}));
  EXPECT_EQ(grad(ops::leaky_relu(x)), (std::vector<double>{0.2, 0.2, 1, 1}));
  EXPECT_EQ(grad(ops::hard_sigmoid(x)), (std::vector<double>{1.0 / 6, 1.0 / 6, 1.0 / 6, 0}));
  const auto gs = grad(ops::sigmoid(x));
  const auto gt = grad(ops::tanh(x));
  const auto ge = grad(ops::elu(x, 0.5));
  const auto xv = x.to_vector<double>();
  for (int i = 0; i < 4; ++i) {
    const double s = sigmoid_ref(xv[i]);
    EXPECT_NEAR(gs[i], s * (1 - s), 1e-15);
    EXPECT_NEAR(gt[i], 1 - std::tanh(xv[i]) * std::tanh(xv[i]), 1e-15);
    EXPECT_NEAR(ge[i], xv[i] > 0 ? 1.0 : 0.5 * std::exp(xv[i]), 1e-15);
  }
}

TEST(Activations, SoftmaxGradientSumsToZeroAlongTheAxis) {
  // softmax outputs sum to 1, so any upstream gradient's projection sums to 0 per row.
  Variable x(Tensor::from_vector(uniform_values<double>(12, -2, 2, 9), {3, 4}), "x");
  const Tensor g = Tensor::from_vector(uniform_values<double>(12, -1, 1, 10), {3, 4});
  GradientTape tape;
  const auto dx = tape.gradient(ops::softmax(x, 0), {x}, g)[0].to_vector<double>();
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(dx[j] + dx[4 + j] + dx[8 + j], 0.0, 1e-15);
}
