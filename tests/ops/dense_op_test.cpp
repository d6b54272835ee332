// The Dense layer's fused op gives the unfused ops' bits (matmul, add, the activation), forward
// and through the gradient tape, on one row, long rows, short rows, sequences and float64,
// and rejects mismatched operands with Keras-style messages.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "keras/graph/autodiff.h"
#include "keras/keras.h"
#include "keras/ops/ops.h"
#include "ops/dense_op.h"

namespace ops = keras::ops;
using keras::Shape;
using keras::Tensor;
using keras::ops::detail::DenseActivation;

namespace {

Tensor random_tensor(const Shape& shape, keras::DType dtype, unsigned seed) {
  return ops::cast(keras::random::uniform(shape, -2.0, 2.0, keras::DType::float32, seed), dtype);
}

Tensor unfused(const Tensor& x, const Tensor& w, const Tensor& b, DenseActivation a) {
  const Tensor z = ops::add(ops::matmul(x, w), b);
  switch (a) {
    case DenseActivation::relu: return ops::relu(z);
    case DenseActivation::tanh: return ops::tanh(z);
    case DenseActivation::sigmoid: return ops::sigmoid(z);
    case DenseActivation::linear: break;
  }
  return z;
}

void expect_same_bits(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_EQ(want.shape(), got.shape()) << what;
  ASSERT_EQ(want.dtype(), got.dtype()) << what;
  const std::size_t bytes = static_cast<std::size_t>(want.size()) * keras::dtype_size(want.dtype());
  EXPECT_EQ(std::memcmp(want.raw_data(), got.raw_data(), bytes), 0) << what;
}

}  // namespace

TEST(DenseOp, GivesTheUnfusedOpsBitsForwardAndBackward) {
  struct Case {
    Shape x, w;
    keras::DType dtype;
  };
  const std::vector<Case> cases = {{{1, 75}, {75, 75}, keras::DType::float32},  // the seed model at batch 1
                                   {{1, 75}, {75, 3}, keras::DType::float32},
                                   {{6, 20}, {20, 40}, keras::DType::float32},   // row loops
                                   {{40, 20}, {20, 17}, keras::DType::float32},  // two blocks of rows
                                   {{40, 7}, {7, 3}, keras::DType::float32},     // short rows: the kernels
                                   {{2, 5, 6}, {6, 17}, keras::DType::float32},  // a sequence
                                   {{4, 6}, {6, 5}, keras::DType::float64}};
  unsigned seed = 1;
  for (const Case& c : cases)
    for (DenseActivation a :
         {DenseActivation::linear, DenseActivation::relu, DenseActivation::tanh, DenseActivation::sigmoid}) {
      const std::string what = c.x.to_string() + " @ " + c.w.to_string() + " activation " +
                               std::to_string(static_cast<int>(a)) + " " + keras::dtype_name(c.dtype);
      const keras::Variable x(random_tensor(c.x, c.dtype, seed++), "x");
      const keras::Variable w(random_tensor(c.w, c.dtype, seed++), "w");
      const keras::Variable b(random_tensor({c.w[1]}, c.dtype, seed++), "b");
      const Tensor g = random_tensor(Shape([&] {
                                       std::vector<std::int64_t> d = c.x.dims();
                                       d.back() = c.w[1];
                                       return d;
                                     }()),
                                     c.dtype, seed++);
      std::vector<Tensor> want, got;
      Tensor want_y, got_y;
      {
        keras::GradientTape tape;
        want_y = unfused(x, w, b, a);
        want = tape.gradient(ops::sum(ops::multiply(want_y, g)), {x, w, b});
      }
      {
        keras::GradientTape tape;
        got_y = keras::ops::detail::dense(x, w, b, a);
        got = tape.gradient(ops::sum(ops::multiply(got_y, g)), {x, w, b});
      }
      expect_same_bits(want_y, got_y, "output, " + what);
      for (int i = 0; i < 3; ++i) expect_same_bits(want[i], got[i], "gradient " + std::to_string(i) + ", " + what);
    }
}

TEST(DenseOp, RejectsMismatchedOperands) {
  const Tensor x = ops::zeros({2, 4});
  EXPECT_THROW(keras::ops::detail::dense(x, ops::zeros({5, 3}), ops::zeros({3}), DenseActivation::relu),
               keras::ValueError);
  EXPECT_THROW(keras::ops::detail::dense(x, ops::zeros({4, 3}), ops::zeros({2}), DenseActivation::relu),
               keras::ValueError);
  EXPECT_THROW(keras::ops::detail::dense(x, ops::zeros({4, 3}, keras::DType::float64), ops::zeros({3}),
                                         DenseActivation::relu),
               keras::TypeError);
  try {
    keras::ops::detail::dense(x, ops::zeros({5, 3}), ops::zeros({3}), DenseActivation::linear);
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Received: input shape (2, 4), kernel shape (5, 3)"), std::string::npos)
        << e.what();
  }
}

TEST(DenseOp, DenseLayersUseItForBuiltInActivationsOnly) {
  namespace L = keras::layers;
  const Tensor x = random_tensor({3, 4}, keras::DType::float32, 9);
  auto fused = L::make<L::Dense>(5, "tanh");
  auto custom = L::make<L::Dense>(5, keras::activations::ActivationArg([](const Tensor& t) { return ops::tanh(t); }, "tanh"));
  // Same weights for both layers: the custom callable named "tanh" takes the unfused path,
  // and both give the same numbers.
  const Tensor y1 = (*fused)(x);
  (*custom)(x);
  custom->set_weights(fused->get_weights());
  expect_same_bits(y1, (*custom)(x), "custom activation named tanh");
}
