// Reductions through keras::ops: values, shapes (keepdims, negative and empty axes, unknown
// dims), result dtypes, errors, and gradients that finite differences cannot pin down
// (ties, zeros, second order).
#include <gtest/gtest.h>

#include <cmath>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

Tensor f32(std::vector<float> v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor f64(std::vector<double> v, const Shape& s) { return Tensor::from_vector(v, s); }

// [[1, 2, 3], [4, 5, 6]]
Tensor sample() { return f32({1, 2, 3, 4, 5, 6}, {2, 3}); }

template <typename E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

}  // namespace

TEST(Reduce, SumOverAxesAndAll) {
  EXPECT_EQ(ops::sum(sample()).to_vector<float>(), (std::vector<float>{21}));
  EXPECT_EQ(ops::sum(sample()).shape(), Shape{});
  EXPECT_EQ(ops::sum(sample(), 0).to_vector<float>(), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(ops::sum(sample(), -1).to_vector<float>(), (std::vector<float>{6, 15}));
  Tensor k = ops::sum(sample(), 1, /*keepdims=*/true);
  EXPECT_EQ(k.shape(), (Shape{2, 1}));
  EXPECT_EQ(ops::sum(sample(), ops::Axes{}, true).shape(), (Shape{1, 1}));
}

TEST(Reduce, NonContiguousAxes) {
  // x[i,j,k] = 100 i + 10 j + k over (2, 3, 4); sum over axes 0 and 2.
  std::vector<float> v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(static_cast<float>(100 * i + 10 * j + k));
  Tensor x = f32(v, {2, 3, 4});
  // For each j: sum_i sum_k (100 i + 10 j + k) = 4*100 + 8*10 j + 2*6 = 412 + 80 j.
  EXPECT_EQ(ops::sum(x, ops::Axes{0, 2}).to_vector<float>(), (std::vector<float>{412, 492, 572}));
  EXPECT_EQ(ops::sum(x, ops::Axes{2, 0}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(ops::max(x, ops::Axes{0, -1}).to_vector<float>(), (std::vector<float>{103, 113, 123}));
}

TEST(Reduce, MeanMaxMinProd) {
  EXPECT_EQ(ops::mean(sample(), 0).to_vector<float>(), (std::vector<float>{2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(ops::max(sample(), 1).to_vector<float>(), (std::vector<float>{3, 6}));
  EXPECT_EQ(ops::min(sample(), 0).to_vector<float>(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(ops::prod(sample(), 1).to_vector<float>(), (std::vector<float>{6, 120}));
  EXPECT_EQ(ops::prod(sample()).item(), 720.0);
}

// Short rows of the last axis take a loop of their own (no geometry); reducing the same
// values down the first axis of the transpose takes the general kernel's column loop, which
// adds in the same order: the bits must agree, for every row length up to the lane count.
TEST(Reduce, ShortLastAxisRowsMatchTheGeneralKernel) {
  for (std::int64_t n : {1, 2, 3, 10, 31, 32, 33})
    for (std::int64_t rows : {1, 7}) {
      const Tensor x = random::uniform({rows, n}, 0.5, 1.5, DType::float32, static_cast<std::uint64_t>(n + rows));
      const Tensor xt = ops::transpose(x);
      for (const char* op : {"sum", "mean", "prod"}) {
        const std::string what = std::string(op) + " over rows of " + std::to_string(n);
        Tensor fast, general;
        if (std::string(op) == "sum") fast = ops::sum(x, -1), general = ops::sum(xt, 0);
        else if (std::string(op) == "mean") fast = ops::mean(x, -1), general = ops::mean(xt, 0);
        else fast = ops::prod(x, -1), general = ops::prod(xt, 0);
        ASSERT_EQ(fast.shape(), Shape({rows})) << what;
        EXPECT_EQ(fast.to_vector<float>(), general.to_vector<float>()) << what;
      }
    }
}

TEST(Reduce, VarAndStdArePopulation) {
  // Row [1,2,3]: mean 2, var 2/3.
  auto v = ops::var(sample(), 1).to_vector<float>();
  EXPECT_NEAR(v[0], 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(v[1], 2.0 / 3.0, 1e-6);
  EXPECT_NEAR(ops::std(sample()).item(), std::sqrt(35.0 / 12.0), 1e-6);
}

TEST(Reduce, LogsumexpIsStable) {
  Tensor x = f32({1000, 1000, -1000, -1000}, {2, 2});
  auto r = ops::logsumexp(x, 1).to_vector<float>();
  EXPECT_NEAR(r[0], 1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(r[1], -1000 + std::log(2.0), 1e-3);
  EXPECT_NEAR(ops::logsumexp(sample()).item(), std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0) +
                                                         std::exp(5.0) + std::exp(6.0)),
              1e-5);
}

TEST(Reduce, ArgmaxArgmin) {
  Tensor x = f32({3, 7, 7, 1, 0, 9}, {2, 3});
  Tensor a = ops::argmax(x, 1);
  EXPECT_EQ(a.dtype(), DType::int32);
  EXPECT_EQ(a.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 2}));  // first of the tie
  EXPECT_EQ(ops::argmin(x, 0).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 1, 0}));
  EXPECT_EQ(ops::argmax(x, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(ops::argmax(Tensor::from_vector(std::vector<std::int64_t>{4, 9, 2}, {3})).item(), 1.0);
}

TEST(Reduce, ResultDtypes) {
  Tensor i = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(ops::sum(i).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(i).item(), 10.0);
  EXPECT_EQ(ops::mean(i).dtype(), DType::float32);
  EXPECT_EQ(ops::mean(i).item(), 2.5);
  EXPECT_EQ(ops::var(i).dtype(), DType::float32);
  EXPECT_EQ(ops::max(i, 0).dtype(), DType::int32);
  Tensor b = Tensor::from_bools({true, false, true}, {3});
  EXPECT_EQ(ops::sum(b).dtype(), DType::int32);
  EXPECT_EQ(ops::sum(b).item(), 2.0);
  EXPECT_EQ(ops::max(b).dtype(), DType::bool_);
  EXPECT_EQ(ops::sum(f64({1, 2}, {2})).dtype(), DType::float64);
}

TEST(Reduce, EmptyReductions) {
  Tensor e = ops::zeros({2, 0});
  EXPECT_EQ(ops::sum(e, 1).to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(ops::prod(e, 1).to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_NE(message_of<ValueError>([&] { (void)ops::max(e, 1); }).find("(2, 0)"), std::string::npos);
  EXPECT_NE(message_of<ValueError>([&] { (void)ops::argmin(e, 1); }).find("(2, 0)"), std::string::npos);
}

TEST(Reduce, Errors) {
  const std::string bad_axis = message_of<ValueError>([] { (void)ops::sum(sample(), 2); });
  EXPECT_NE(bad_axis.find("axis=2"), std::string::npos) << bad_axis;
  EXPECT_NE(bad_axis.find("(2, 3)"), std::string::npos) << bad_axis;
  EXPECT_NE(message_of<ValueError>([] { (void)ops::sum(sample(), ops::Axes{1, -1}); }).find("repeated"),
            std::string::npos);
  EXPECT_NE(message_of<TypeError>([] { (void)ops::logsumexp(ops::zeros({2}, DType::int32)); }).find("int32"),
            std::string::npos);
  EXPECT_NE(message_of<ValueError>([] { (void)ops::argmax(Tensor::scalar(1.0)); }).find("rank"), std::string::npos);
}

TEST(Reduce, SymbolicShapesWithUnknownBatch) {
  Tensor x = Tensor::placeholder({-1, 3});
  EXPECT_EQ(ops::sum(x, 1).shape(), (Shape{-1}));
  EXPECT_EQ(ops::mean(x, 0).shape(), (Shape{3}));
  EXPECT_EQ(ops::prod(x, -1, true).shape(), (Shape{-1, 1}));
  EXPECT_EQ(ops::argmax(x, 1).shape(), (Shape{-1}));
  EXPECT_EQ(ops::logsumexp(x).shape(), Shape{});
  // Gradients build symbolically even when the reduced count is only known at run time.
  for (auto f : {+[](const Tensor& t) { return ops::mean(t, 0); }, +[](const Tensor& t) { return ops::var(t); },
                 +[](const Tensor& t) { return ops::std(t, 0); }, +[](const Tensor& t) { return ops::sum(t); },
                 +[](const Tensor& t) { return ops::max(t, 1); }, +[](const Tensor& t) { return ops::prod(t, 1); }}) {
    auto g = gradients(ops::sum(f(x)), {x});
    EXPECT_EQ(g[0].shape(), (Shape{-1, 3}));
  }
}

TEST(Reduce, BroadcastLike) {
  Tensor a = f32({1, 2}, {2, 1});
  Tensor ref = ops::zeros({2, 3});
  Tensor b = ops::broadcast_like(a, ref);
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(ops::broadcast_like(a, Tensor::placeholder({-1, -1})).shape(), (Shape{2, -1}));
  const std::string msg = message_of<ValueError>([&] { (void)ops::broadcast_like(ops::zeros({2, 3}), ops::zeros({2, 1})); });
  EXPECT_NE(msg.find("(2, 3)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 1)"), std::string::npos) << msg;
  Variable v(a, "v");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::multiply(ops::broadcast_like(v, ref), f32({1, 2, 3, 4, 5, 6}, {2, 3}))), {v});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{6, 15}));
}

// ---- gradients with exact expected values ----------------------------------------------------

TEST(ReduceGrad, MaxTiesShareTheGradientEvenly) {
  Variable x(f32({1, 3, 3, 2, 2, 2}, {2, 3}), "x");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::max(x, 1)), {x});
  auto v = g[0].to_vector<float>();
  EXPECT_EQ(v, (std::vector<float>{0, 0.5f, 0.5f, 1.f / 3, 1.f / 3, 1.f / 3}));
  auto gmin = tape.gradient(ops::sum(ops::min(x, 0)), {x})[0].to_vector<float>();
  EXPECT_EQ(gmin, (std::vector<float>{1, 0, 0, 0, 1, 1}));
}

TEST(ReduceGrad, ProdIsExactAtZeros) {
  // Rows: no zero, one zero, two zeros.
  Variable x(f64({2, 3, 4, 2, 0, 3, 0, 5, 0}, {3, 3}), "x");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::prod(x, 1)), {x});
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{12, 8, 6, 0, 6, 0, 0, 0, 0}));
}

TEST(ReduceGrad, ProdSecondOrderIsExactAtZeros) {
  // f = prod(x) for x = (2, 0, 3): f is multilinear, so d/dx (df/dx_1) = (x_2, 0, x_0) = (3, 0, 2).
  Variable x(f64({2, 0, 3}, {3}), "x");
  GradientTape tape;
  Tensor df = gradients(ops::prod(x), {x})[0];
  EXPECT_EQ(df.to_vector<double>(), (std::vector<double>{0, 6, 0}));
  auto h1 = gradients(ops::sum(ops::multiply(df, f64({0, 1, 0}, {3}))), {x})[0];
  EXPECT_EQ(h1.to_vector<double>(), (std::vector<double>{3, 0, 2}));
  // Row 0 of the Hessian: d/dx (df/dx_0) = d/dx (x_1 x_2) = (0, 3, 0).
  auto h0 = gradients(ops::sum(ops::multiply(df, f64({1, 0, 0}, {3}))), {x})[0];
  EXPECT_EQ(h0.to_vector<double>(), (std::vector<double>{0, 3, 0}));
  // Two zeros: df/dx_1 = x_0 x_2 ... only the cross terms of the two zeros survive.
  Variable y(f64({0, 5, 0}, {3}), "y");
  Tensor dfy = gradients(ops::prod(y), {y})[0];
  auto hy = gradients(ops::sum(ops::multiply(dfy, f64({1, 0, 0}, {3}))), {y})[0];
  EXPECT_EQ(hy.to_vector<double>(), (std::vector<double>{0, 0, 5}));  // d(x1 x2)/dx = (0, x2, x1)
}

TEST(ReduceGrad, MeanVarStdLogsumexpValues) {
  Variable x(f64({1, 2, 3, 4}, {4}), "x");
  GradientTape tape;
  EXPECT_EQ(tape.gradient(ops::mean(x), {x})[0].to_vector<double>(), (std::vector<double>{.25, .25, .25, .25}));
  // d var / dx = 2 (x - 2.5) / 4.
  EXPECT_EQ(tape.gradient(ops::var(x), {x})[0].to_vector<double>(), (std::vector<double>{-.75, -.25, .25, .75}));
  // d std / dx = (x - mean) / (n std), std = sqrt(1.25).
  auto gs = tape.gradient(ops::std(x), {x})[0].to_vector<double>();
  EXPECT_NEAR(gs[0], -1.5 / (4 * std::sqrt(1.25)), 1e-12);
  // d logsumexp / dx = softmax(x).
  auto gl = tape.gradient(ops::logsumexp(x), {x})[0].to_vector<double>();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0) + std::exp(4.0);
  EXPECT_NEAR(gl[3], std::exp(4.0) / z, 1e-12);
}
