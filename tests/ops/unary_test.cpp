// Elementwise unary ops: values against <cmath> references in float32 and float64, integer
// semantics, dtype errors, clip/cast/logical_not, symbolic inference and gradient rules.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

using UnaryOp = Tensor (*)(const Tensor&);

template <typename T>
std::vector<T> uniform_values(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// Checks op(x) against ref evaluated in double on the same (dtype-rounded) inputs.
// rtol is relative to max(1, |ref|) so that values near zero compare absolutely.
template <typename T>
void expect_matches(UnaryOp op, double (*ref)(double), double lo, double hi, double rtol, const char* name) {
  const std::vector<T> xs = uniform_values<T>(1000, lo, hi, 42);
  const Tensor out = op(Tensor::from_vector(xs, {10, 100}));
  ASSERT_EQ(out.dtype(), dtype_of<T>::value) << name;
  ASSERT_EQ(out.shape(), (Shape{10, 100})) << name;
  const std::vector<double> got = out.to_vector<double>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double want = ref(static_cast<double>(xs[i]));
    ASSERT_NEAR(got[i], want, rtol * std::max(1.0, std::abs(want))) << name << "(" << xs[i] << ")";
  }
}

double ref_square(double x) { return x * x; }
double ref_rsqrt(double x) { return 1.0 / std::sqrt(x); }
double ref_reciprocal(double x) { return 1.0 / x; }
double ref_negative(double x) { return -x; }
double ref_sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }
double ref_sqrt(double x) { return std::sqrt(x); }
double ref_exp(double x) { return std::exp(x); }
double ref_log(double x) { return std::log(x); }
double ref_log1p(double x) { return std::log1p(x); }
double ref_abs(double x) { return std::abs(x); }
double ref_sin(double x) { return std::sin(x); }
double ref_cos(double x) { return std::cos(x); }
double ref_erf(double x) { return std::erf(x); }
double ref_floor(double x) { return std::floor(x); }
double ref_ceil(double x) { return std::ceil(x); }

template <typename T>
void check_all_float_ops(double rtol) {
  expect_matches<T>(ops::negative, ref_negative, -5, 5, rtol, "negative");
  expect_matches<T>(ops::square, ref_square, -5, 5, rtol, "square");
  expect_matches<T>(ops::sqrt, ref_sqrt, 0, 10, rtol, "sqrt");
  expect_matches<T>(ops::rsqrt, ref_rsqrt, 0.01, 10, rtol, "rsqrt");
  expect_matches<T>(ops::exp, ref_exp, -80, 80, rtol, "exp");
  expect_matches<T>(ops::log, ref_log, 1e-3, 1e3, rtol, "log");
  expect_matches<T>(ops::log1p, ref_log1p, -0.9, 10, rtol, "log1p");
  expect_matches<T>(ops::abs, ref_abs, -5, 5, rtol, "abs");
  expect_matches<T>(ops::sign, ref_sign, -5, 5, rtol, "sign");
  expect_matches<T>(ops::reciprocal, ref_reciprocal, 0.1, 10, rtol, "reciprocal");
  expect_matches<T>(ops::sin, ref_sin, -10, 10, rtol, "sin");
  expect_matches<T>(ops::cos, ref_cos, -10, 10, rtol, "cos");
  expect_matches<T>(ops::erf, ref_erf, -4, 4, rtol, "erf");
  expect_matches<T>(ops::floor, ref_floor, -10, 10, 0, "floor");
  expect_matches<T>(ops::ceil, ref_ceil, -10, 10, 0, "ceil");
}

float nanf() { return std::numeric_limits<float>::quiet_NaN(); }
float inff() { return std::numeric_limits<float>::infinity(); }

}  // namespace

TEST(Unary, Float32MatchesCmath) { check_all_float_ops<float>(1e-6); }
TEST(Unary, Float64MatchesCmath) { check_all_float_ops<double>(1e-14); }

TEST(Unary, ExpEdgeCases) {
  // Overflow, underflow to subnormals and zero, and nan, as std::exp in float32.
  const std::vector<float> xs{100.f, 88.7f, -87.5f, -100.f, -104.f, -200.f, inff(), -inff(), nanf(), 0.f};
  const auto got = ops::exp(Tensor::from_vector(xs, {10})).to_vector<float>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const float want = std::exp(xs[i]);
    if (std::isnan(want)) EXPECT_TRUE(std::isnan(got[i]));
    else if (std::isinf(want) || want == 0) EXPECT_EQ(got[i], want) << xs[i];
    else EXPECT_NEAR(got[i], want, 4e-7 * want + 2e-45) << xs[i];
  }
}

TEST(Unary, NanPropagates) {
  const Tensor x = Tensor::from_vector(std::vector<float>{nanf()}, {1});
  for (UnaryOp op : {ops::negative, ops::square, ops::sqrt, ops::exp, ops::log, ops::abs, ops::sign, ops::floor,
                     ops::round, ops::sin, ops::reciprocal})
    EXPECT_TRUE(std::isnan(op(x).item()));
  EXPECT_TRUE(std::isnan(ops::clip(x, -1, 1).item()));
}

TEST(Unary, RoundHalfToEvenLikeNumpy) {
  const std::vector<double> xs{-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 2.4, -2.6, 1e300};
  const auto got = ops::round(Tensor::from_vector(xs, {10})).to_vector<double>();
  EXPECT_EQ(got, (std::vector<double>{-2, -2, -0.0, 0, 2, 2, 4, 2, -3, 1e300}));
  EXPECT_TRUE(std::signbit(got[2]));  // np.round(-0.5) is -0.0
  const auto gotf = ops::round(Tensor::from_vector(std::vector<float>{0.5f, 1.5f, -3.5f}, {3})).to_vector<float>();
  EXPECT_EQ(gotf, (std::vector<float>{0, 2, -4}));
}

TEST(Unary, IntegerArithmetic) {
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  const Tensor x = Tensor::from_vector(std::vector<std::int32_t>{-3, 0, 7, kMin}, {4});
  EXPECT_EQ(ops::negative(x).dtype(), DType::int32);
  // Wrap-around as in NumPy: -INT_MIN and |INT_MIN| are INT_MIN.
  EXPECT_EQ(ops::negative(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 0, -7, kMin}));
  EXPECT_EQ(ops::abs(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 0, 7, kMin}));
  EXPECT_EQ(ops::sign(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-1, 0, 1, -1}));
  EXPECT_EQ(ops::square(x).to_vector<std::int32_t>(), (std::vector<std::int32_t>{9, 0, 49, 0}));
  const Tensor y = Tensor::from_vector(std::vector<std::int64_t>{-3, 5, 1LL << 40}, {3});
  EXPECT_EQ(ops::square(y).to_vector<std::int64_t>(), (std::vector<std::int64_t>{9, 25, 0}));  // 2^80 wraps to 0
  // Rounding ops leave integers unchanged (and keep their dtype), as np.round does.
  for (UnaryOp op : {ops::floor, ops::ceil, ops::round}) {
    EXPECT_EQ(op(y).dtype(), DType::int64);
    EXPECT_EQ(op(y).to_vector<std::int64_t>(), y.to_vector<std::int64_t>());
  }
}

TEST(Unary, FloatingOpsRejectIntegersAndBools) {
  const Tensor i = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3}, {3});
  const Tensor b = Tensor::from_bools({true, false}, {1, 2});
  for (UnaryOp op : {ops::sqrt, ops::rsqrt, ops::exp, ops::log, ops::log1p, ops::reciprocal, ops::sin, ops::cos,
                     ops::erf}) {
    try {
      op(i);
      ADD_FAILURE() << "expected TypeError";
    } catch (const TypeError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("Received: dtype=int32"), std::string::npos) << msg;
      EXPECT_NE(msg.find("(3,)"), std::string::npos) << msg;
    }
    EXPECT_THROW(op(b), TypeError);
  }
  for (UnaryOp op : {ops::negative, ops::square, ops::abs, ops::sign, ops::floor, ops::ceil, ops::round}) {
    try {
      op(b);
      ADD_FAILURE() << "expected TypeError";
    } catch (const TypeError& e) {
      EXPECT_NE(std::string(e.what()).find("(1, 2)"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ops::clip(b, 0, 1), TypeError);
  EXPECT_THROW(ops::logical_not(i), TypeError);
}

TEST(Unary, Clip) {
  const Tensor x = Tensor::from_vector(std::vector<float>{-3, -1, 0.25f, 1, 3}, {5});
  EXPECT_EQ(ops::clip(x, -1, 1).to_vector<float>(), (std::vector<float>{-1, -1, 0.25f, 1, 1}));
  // min > max gives max everywhere (NumPy's minimum(maximum(x, lo), hi)).
  EXPECT_EQ(ops::clip(x, 2, 1).to_vector<float>(), (std::vector<float>(5, 1.0f)));
  // Integers: the bounds shrink to the integers inside [min, max].
  const Tensor xi = Tensor::from_vector(std::vector<std::int32_t>{-5, 0, 1, 2, 5}, {5});
  EXPECT_EQ(ops::clip(xi, -0.5, 1.5).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 1, 1, 1}));
  EXPECT_EQ(ops::clip(xi, -1e30, 1e30).to_vector<std::int32_t>(), xi.to_vector<std::int32_t>());
  EXPECT_THROW(ops::clip(x, std::nan(""), 1), ValueError);
}

TEST(Unary, ClipGradientIncludesTheBounds) {
  Variable x(Tensor::from_vector(std::vector<double>{-2, -1, 0, 1, 2}, {5}), "x");
  GradientTape tape;
  const Tensor y = ops::clip(x, -1, 1);
  const auto g = tape.gradient(y, {x});
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{0, 1, 1, 1, 0}));
}

TEST(Unary, Cast) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1.7f, -1.7f, 0.0f, 3e9f, nanf()}, {5});
  const Tensor i = ops::cast(x, DType::int32);
  EXPECT_EQ(i.dtype(), DType::int32);
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  // Truncation toward zero; out-of-range and nan give the lowest value (x86 / NumPy).
  EXPECT_EQ(i.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, -1, 0, kMin, kMin}));
  EXPECT_EQ(ops::cast(x, DType::int64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, -1, 0, 3000000000LL, std::numeric_limits<std::int64_t>::min()}));
  // To bool: nonzero (and nan) is true.
  const Tensor b = ops::cast(x, DType::bool_);
  EXPECT_EQ(b.dtype(), DType::bool_);
  const bool* bp = b.data<bool>();
  EXPECT_EQ((std::vector<bool>(bp, bp + 5)), (std::vector<bool>{true, true, false, true, true}));
  EXPECT_EQ(ops::cast(b, DType::float64).to_vector<double>(), (std::vector<double>{1, 1, 0, 1, 1}));
  EXPECT_EQ(ops::cast(Tensor::from_vector(std::vector<std::int64_t>{(1LL << 32) + 5, -1}, {2}), DType::int32)
                .to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{5, -1}));
  const auto d = ops::cast(Tensor::from_vector(std::vector<double>{0.1}, {1}), DType::float32).to_vector<float>();
  EXPECT_EQ(d[0], 0.1f);
  // Same dtype: the tensor itself (Keras returns x unchanged).
  EXPECT_EQ(ops::cast(x, DType::float32).node(), x.node());
}

TEST(Unary, CastGradient) {
  Variable x(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "x");
  {
    GradientTape tape;
    const Tensor y = ops::multiply(ops::cast(x, DType::float64), Tensor::from_vector(std::vector<double>{3, 4}, {2}));
    const auto g = tape.gradient(y, {x});
    EXPECT_EQ(g[0].dtype(), DType::float32);  // cast back to the source dtype
    EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{3, 4}));
  }
  {
    GradientTape tape;
    const Tensor y = ops::cast(ops::cast(x, DType::int32), DType::float32);
    const auto g = tape.gradient(y, {x});
    EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{0, 0}));  // nothing flows through integers
  }
}

TEST(Unary, LogicalNot) {
  const Tensor b = ops::logical_not(Tensor::from_bools({true, false, false}, {3}));
  EXPECT_EQ(b.dtype(), DType::bool_);
  const bool* p = b.data<bool>();
  EXPECT_EQ((std::vector<bool>(p, p + 3)), (std::vector<bool>{false, true, true}));
}

TEST(Unary, GradientRules) {
  // Spot values of each rule (finite-difference checks live in tests/gradcheck/).
  Variable x(Tensor::from_vector(std::vector<double>{-2, 0.5, 4}, {3}), "x");
  Variable p(Tensor::from_vector(std::vector<double>{0.25, 1, 4}, {3}), "p");
  GradientTape tape;
  auto grad = [&](const Tensor& y, const Variable& v) { return tape.gradient(y, {v})[0].to_vector<double>(); };
  EXPECT_EQ(grad(ops::square(x), x), (std::vector<double>{-4, 1, 8}));
  EXPECT_EQ(grad(ops::abs(x), x), (std::vector<double>{-1, 1, 1}));
  EXPECT_EQ(grad(ops::negative(x), x), (std::vector<double>{-1, -1, -1}));
  EXPECT_EQ(grad(ops::sqrt(p), p), (std::vector<double>{1, 0.5, 0.25}));
  EXPECT_EQ(grad(ops::rsqrt(p), p), (std::vector<double>{-4, -0.5, -0.0625}));
  EXPECT_EQ(grad(ops::reciprocal(p), p), (std::vector<double>{-16, -1, -0.0625}));
  EXPECT_EQ(grad(ops::log(p), p), (std::vector<double>{4, 1, 0.25}));
  EXPECT_EQ(grad(ops::sign(x), x), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(grad(ops::floor(x), x), (std::vector<double>{0, 0, 0}));
  const auto ge = grad(ops::exp(x), x);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(ge[i], std::exp(x.to_vector<double>()[i]));
}

TEST(Unary, SymbolicInference) {
  const Tensor x = Tensor::placeholder({-1, 3});
  const Tensor y = ops::clip(ops::exp(ops::sqrt(x)), 0, 1);
  EXPECT_TRUE(y.is_symbolic());
  EXPECT_EQ(y.shape(), (Shape{-1, 3}));
  EXPECT_EQ(y.dtype(), DType::float32);
  const Tensor c = ops::cast(x, DType::int64);
  EXPECT_EQ(c.shape(), (Shape{-1, 3}));
  EXPECT_EQ(c.dtype(), DType::int64);
  EXPECT_THROW(ops::log(Tensor::placeholder({-1, 2}, DType::int32)), TypeError);
}

TEST(Unary, LargeTensorsUseTheThreadedPath) {
  // Past the elementwise grain the work is split across threads; results must not change.
  const std::vector<float> xs = uniform_values<float>(300001, -20, 20, 7);
  const auto got = ops::exp(Tensor::from_vector(xs, {300001})).to_vector<float>();
  const auto got_sqrt = ops::sqrt(ops::abs(Tensor::from_vector(xs, {300001}))).to_vector<float>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    ASSERT_NEAR(got[i], std::exp(static_cast<double>(xs[i])), 4e-7 * std::exp(static_cast<double>(xs[i])));
    ASSERT_EQ(got_sqrt[i], std::sqrt(std::abs(xs[i])));
  }
}
