// take / take_grad / one_hot: values, negative wrapping, symbolic shapes, typed errors.
#include <gtest/gtest.h>

#include <numeric>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

Tensor iota_f32(const Shape& shape, float start = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  std::iota(v.begin(), v.end(), start);
  return Tensor::from_vector(v, shape);
}

Tensor ints32(std::vector<std::int32_t> v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor ints64(std::vector<std::int64_t> v, const Shape& s) { return Tensor::from_vector(v, s); }

}  // namespace

TEST(Take, GathersRowsAndColumnsWithNegativeIndices) {
  Tensor x = iota_f32({3, 4});
  Tensor rows = ops::take(x, ints32({2, -3, 2}, {3}), 0);
  EXPECT_EQ(rows.shape(), (Shape{3, 4}));
  EXPECT_EQ(rows.to_vector<float>(), (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  Tensor cols = ops::take(x, ints64({-1, 0}, {2}), -1);
  EXPECT_EQ(cols.shape(), (Shape{3, 2}));
  EXPECT_EQ(cols.to_vector<float>(), (std::vector<float>{3, 0, 7, 4, 11, 8}));
}

TEST(Take, IndexShapeIsSplicedIn) {
  Tensor x = iota_f32({5, 3});
  // Embedding lookup shape: (batch, seq) indices into a (vocab, dim) table.
  Tensor e = ops::take(x, ints32({0, 4, 1, 1}, {2, 2}), 0);
  EXPECT_EQ(e.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(e.to_vector<float>()[3], 12.0f);
  // A scalar index drops the axis.
  Tensor s = ops::take(x, Tensor::from_vector(std::vector<std::int64_t>{2}, Shape{}), 0);
  EXPECT_EQ(s.shape(), (Shape{3}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{6, 7, 8}));
  EXPECT_EQ(ops::take(Tensor::placeholder({7, 3}), Tensor::placeholder({-1, 5}, DType::int32), 0).shape(),
            (Shape{-1, 5, 3}));
}

TEST(Take, OutOfRangeIsIndexErrorWithIndexAndAxisSize) {
  Tensor x = iota_f32({3, 4});
  for (std::int32_t bad : {3, -4, 100}) {
    try {
      ops::take(x, ints32({0, bad}, {2}), 0);
      FAIL() << "no IndexError for index " << bad;
    } catch (const IndexError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("index " + std::to_string(bad)), std::string::npos) << msg;
      EXPECT_NE(msg.find("size 3"), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(ops::take(x, iota_f32({2}), 0), TypeError);
  EXPECT_THROW(ops::take(x, ints32({0}, {1}), 2), ValueError);
}

TEST(Take, GradientAccumulatesRepeatedIndices) {
  Variable table(iota_f32({4, 2}), "table");
  GradientTape tape;
  Tensor picked = ops::take(table, ints32({1, 3, 1, -1}, {4}), 0);
  auto g = tape.gradient(ops::sum(ops::multiply(picked, iota_f32({4, 2}, 1.0f))), {table});
  // Row 1 gets weights rows 0 and 2, row 3 gets rows 1 and 3.
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{0, 0, 1 + 5, 2 + 6, 0, 0, 3 + 7, 4 + 8}));
}

TEST(TakeGrad, ScattersAlongInnerAxisAndChecksShapes) {
  Tensor g = iota_f32({2, 3}, 1.0f);
  Tensor ref = ops::zeros({2, 2});
  Tensor out = ops::take_grad(g, ints32({0, 1, 0}, {3}), ref, 1);
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{1 + 3, 2, 4 + 6, 5}));
  EXPECT_THROW(ops::take_grad(iota_f32({2, 2}), ints32({0, 1, 0}, {3}), ref, 1), ValueError);
  EXPECT_THROW(ops::take_grad(ops::zeros({2, 3}, DType::int32), ints32({0, 1, 0}, {3}), ref, 1), TypeError);
}

TEST(OneHot, RowsAndInvalidIndicesGiveZeros) {
  Tensor y = ops::one_hot(ints32({0, 2, -1, 3}, {4}), 3);
  EXPECT_EQ(y.shape(), (Shape{4, 3}));
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}));
  Tensor z = ops::one_hot(ints64({1, 0}, {2, 1}), 2, DType::int32);
  EXPECT_EQ(z.shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(z.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 1, 1, 0}));
  // Float labels (as read from a CSV) are truncated to class indices.
  EXPECT_EQ(ops::one_hot(Tensor::from_vector(std::vector<float>{2.0f, 1.0f}, {2}), 3).to_vector<float>(),
            (std::vector<float>{0, 0, 1, 0, 1, 0}));
  EXPECT_EQ(ops::one_hot(Tensor::placeholder({-1}, DType::int32), 10).shape(), (Shape{-1, 10}));
  EXPECT_THROW(ops::one_hot(ints32({0}, {1}), -1), ValueError);
  EXPECT_THROW(ops::one_hot(Tensor::from_bools({true}, {1}), 2), TypeError);
}
