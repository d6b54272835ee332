// ops::matmul: NumPy semantics (1-D promotion, broadcast batches), dtypes, errors,
// symbolic shapes and gradients with exact expected values.
#include <gtest/gtest.h>

#include <random>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

Tensor f32(std::vector<float> v, const Shape& s) { return Tensor::from_vector(v, s); }

Tensor iota(const Shape& s, float start = 1) {
  std::vector<float> v(static_cast<std::size_t>(s.num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return f32(v, s);
}

// Straightforward NumPy matmul on (..., m, k) x (..., k, n) with explicit broadcasting.
std::vector<double> numpy_matmul(const Tensor& a, const Tensor& b, const Shape& out) {
  const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
  const int r = out.rank();
  const std::int64_t m = out[-2], n = out[-1], k = a.shape()[-1];
  std::vector<double> res(static_cast<std::size_t>(out.num_elements()));
  auto offset = [&](const Shape& s, const std::vector<std::int64_t>& idx) {
    std::int64_t off = 0;
    for (int d = 0; d < s.rank(); ++d) {
      const std::int64_t i = idx[static_cast<std::size_t>(r - s.rank() + d)];
      off = off * s.dims()[d] + (s.dims()[d] == 1 ? 0 : i);
    }
    return off;
  };
  std::vector<std::int64_t> idx(static_cast<std::size_t>(r), 0);
  for (std::int64_t flat = 0; flat < out.num_elements(); ++flat) {
    std::int64_t rem = flat;
    for (int d = r - 1; d >= 0; --d) idx[static_cast<std::size_t>(d)] = rem % out.dims()[d], rem /= out.dims()[d];
    double s = 0;
    for (std::int64_t p = 0; p < k; ++p) {
      auto ai = idx, bi = idx;
      ai[static_cast<std::size_t>(r - 1)] = p;
      bi[static_cast<std::size_t>(r - 2)] = p;
      s += av[static_cast<std::size_t>(offset(a.shape(), ai))] * bv[static_cast<std::size_t>(offset(b.shape(), bi))];
    }
    res[static_cast<std::size_t>(flat)] = s;
    (void)m, (void)n;
  }
  return res;
}

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

TEST(Matmul, TwoByTwoValues) {
  Tensor c = ops::matmul(f32({1, 2, 3, 4, 5, 6}, {2, 3}), f32({1, 0, 0, 1, 1, 1}, {3, 2}));
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{4, 5, 10, 11}));
}

TEST(Matmul, VectorPromotion) {
  Tensor v = f32({1, 2, 3}, {3});
  Tensor m = iota({3, 2});  // [[1,2],[3,4],[5,6]]
  Tensor dot = ops::matmul(v, v);
  EXPECT_EQ(dot.shape(), Shape{});
  EXPECT_EQ(dot.item(), 14.0);
  Tensor vm = ops::matmul(v, m);
  EXPECT_EQ(vm.shape(), (Shape{2}));
  EXPECT_EQ(vm.to_vector<float>(), (std::vector<float>{22, 28}));
  Tensor mv = ops::matmul(iota({2, 3}), v);
  EXPECT_EQ(mv.shape(), (Shape{2}));
  EXPECT_EQ(mv.to_vector<float>(), (std::vector<float>{14, 32}));
  // Batched matrix times a vector: (2, 2, 3) @ (3,) -> (2, 2).
  EXPECT_EQ(ops::matmul(iota({2, 2, 3}), v).shape(), (Shape{2, 2}));
  EXPECT_EQ(ops::matmul(v, iota({4, 3, 5})).shape(), (Shape{4, 5}));
}

TEST(Matmul, BroadcastBatchesMatchNumpy) {
  std::mt19937 rng(3);
  struct C {
    Shape a, b, out;
  };
  for (const C& c : std::vector<C>{{{2, 1, 3, 4}, {5, 4, 2}, {2, 5, 3, 2}},
                                   {{3, 4}, {6, 4, 5}, {6, 3, 5}},
                                   {{6, 3, 4}, {4, 5}, {6, 3, 5}},
                                   {{1, 1, 1}, {7, 1, 1}, {7, 1, 1}},
                                   {{2, 33, 65}, {2, 65, 17}, {2, 33, 17}}}) {
    std::uniform_real_distribution<double> dist(-1, 1);
    std::vector<double> av(static_cast<std::size_t>(c.a.num_elements())), bv(static_cast<std::size_t>(c.b.num_elements()));
    for (auto& x : av) x = dist(rng);
    for (auto& x : bv) x = dist(rng);
    Tensor a = Tensor::from_vector(av, c.a), b = Tensor::from_vector(bv, c.b);
    Tensor out = ops::matmul(a, b);
    ASSERT_EQ(out.shape(), c.out);
    const auto want = numpy_matmul(a, b, c.out);
    const auto got = out.to_vector<double>();
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << c.a << " @ " << c.b;
  }
}

TEST(Matmul, IntegerDtypes) {
  Tensor a = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector(std::vector<std::int32_t>{5, 6, 7, 8}, {2, 2});
  Tensor c = ops::matmul(a, b);
  EXPECT_EQ(c.dtype(), DType::int32);
  EXPECT_EQ(c.to_vector<std::int32_t>(), (std::vector<std::int32_t>{19, 22, 43, 50}));
  Tensor big = Tensor::from_vector(std::vector<std::int64_t>{3000000000LL, 1}, {1, 2});
  Tensor col = Tensor::from_vector(std::vector<std::int64_t>{2, 5}, {2, 1});
  EXPECT_EQ(ops::matmul(big, col).to_vector<std::int64_t>(), (std::vector<std::int64_t>{6000000005LL}));
}

TEST(Matmul, Errors) {
  const std::string inner = message_of<ValueError>([] { (void)ops::matmul(ops::zeros({2, 3}), ops::zeros({4, 5})); });
  EXPECT_NE(inner.find("Incompatible shapes for matmul"), std::string::npos) << inner;
  EXPECT_NE(inner.find("Received: (2, 3) and (4, 5)"), std::string::npos) << inner;
  const std::string vec = message_of<ValueError>([] { (void)ops::matmul(ops::zeros({3}), ops::zeros({4})); });
  EXPECT_NE(vec.find("(3,) and (4,)"), std::string::npos) << vec;
  const std::string batch =
      message_of<ValueError>([] { (void)ops::matmul(ops::zeros({2, 3, 4}), ops::zeros({3, 4, 5})); });
  EXPECT_NE(batch.find("(2, 3, 4) and (3, 4, 5)"), std::string::npos) << batch;
  const std::string dtype =
      message_of<TypeError>([] { (void)ops::matmul(ops::zeros({2, 2}), ops::zeros({2, 2}, DType::float64)); });
  EXPECT_NE(dtype.find("float32"), std::string::npos) << dtype;
  EXPECT_NE(dtype.find("float64"), std::string::npos) << dtype;
  EXPECT_NE(message_of<ValueError>([] { (void)ops::matmul(Tensor::scalar(2.0), ops::zeros({2})); }).find("rank"),
            std::string::npos);
}

TEST(Matmul, SymbolicShapes) {
  Tensor x = Tensor::placeholder({-1, 3});
  EXPECT_EQ(ops::matmul(x, ops::zeros({3, 4})).shape(), (Shape{-1, 4}));
  EXPECT_EQ(ops::matmul(Tensor::placeholder({-1, 5, 3}), ops::zeros({3, 4})).shape(), (Shape{-1, 5, 4}));
  EXPECT_EQ(ops::matmul(Tensor::placeholder({2, -1}), Tensor::placeholder({-1, 7})).shape(), (Shape{2, 7}));
  EXPECT_THROW((void)ops::matmul(x, ops::zeros({4, 4})), ValueError);
  auto g = gradients(ops::sum(ops::matmul(x, ops::zeros({3, 4}))), {x});
  EXPECT_EQ(g[0].shape(), (Shape{-1, 3}));
}

TEST(MatmulGrad, MatrixAndVectorValues) {
  // d sum(A B) / dA = 1 B^T (row sums of B), d/dB = A^T 1 (column sums of A).
  Variable a(f32({1, 2, 3, 4, 5, 6}, {2, 3}), "a");
  Variable b(f32({1, 2, 3, 4, 5, 6}, {3, 2}), "b");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::matmul(a, b)), {a, b});
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{3, 7, 11, 3, 7, 11}));
  EXPECT_EQ(g[1].to_vector<float>(), (std::vector<float>{5, 5, 7, 7, 9, 9}));
  // Vector @ vector: d(v.w)/dv = w.
  Variable v(f32({1, 2, 3}, {3}), "v");
  Variable w(f32({4, 5, 6}, {3}), "w");
  auto gv = tape.gradient(ops::matmul(v, w), {v, w});
  EXPECT_EQ(gv[0].to_vector<float>(), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(gv[1].to_vector<float>(), (std::vector<float>{1, 2, 3}));
}

TEST(MatmulGrad, SharedKernelSumsOverTheBatch) {
  // x (2, 2, 3) @ w (3, 1): dw = sum over batch and rows of x.
  Tensor x = iota({2, 2, 3});
  Variable w(f32({1, 1, 1}, {3, 1}), "w");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::matmul(x, w)), {w});
  EXPECT_EQ(g[0].shape(), (Shape{3, 1}));
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{1 + 4 + 7 + 10, 2 + 5 + 8 + 11, 3 + 6 + 9 + 12}));
}
