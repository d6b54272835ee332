// keras::ops convolution and pooling: values on hand-computed cases, Keras's output shapes
// for every padding mode, symbolic (None) batches, errors, and compiled plans (forward and
// gradients) against eager results.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

Tensor iota(const Shape& shape, float start = 1.0f) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
  return Tensor::from_vector(v, shape);
}

TEST(ConvOp, OneDimensionalValidAndSamePadding) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 4, 1});
  const Tensor w = Tensor::from_vector(std::vector<float>{1, 10}, {2, 1, 1});
  EXPECT_EQ(values(ops::conv(x, w)), (std::vector<float>{21, 32, 43}));
  // Even kernel, "same": the extra padding goes after the input (TensorFlow's rule).
  EXPECT_EQ(values(ops::conv(x, w, {1}, "same")), (std::vector<float>{21, 32, 43, 4}));
  // "causal": all padding before.
  EXPECT_EQ(values(ops::conv(x, w, {1}, "causal")), (std::vector<float>{10, 21, 32, 43}));
  // Stride 2, kernel 3, "same" on length 5: out 3, one pad on each side.
  const Tensor x5 = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5}, {1, 5, 1});
  const Tensor w3 = Tensor::from_vector(std::vector<float>{1, 1, 1}, {3, 1, 1});
  EXPECT_EQ(values(ops::conv(x5, w3, {2}, "same")), (std::vector<float>{3, 9, 9}));
}

TEST(ConvOp, TwoDimensionalMultiChannelAgainstLoops) {
  const Tensor x = random::uniform({2, 5, 6, 3}, -1, 1, DType::float32, 1);
  const Tensor w = random::uniform({3, 2, 3, 4}, -1, 1, DType::float32, 2);
  const Tensor y = ops::conv(x, w, {2, 1}, "same");
  ASSERT_EQ(y.shape(), Shape({2, 3, 6, 4}));
  // "same" with stride 2 on 5 rows, kernel 3: total padding 2 -> (1, 1); 6 columns, kernel 2,
  // stride 1: total 1 -> (0, 1).
  const auto xv = x.to_vector<double>(), wv = w.to_vector<double>(), yv = y.to_vector<double>();
  for (int n = 0; n < 2; ++n)
    for (int oh = 0; oh < 3; ++oh)
      for (int ow = 0; ow < 6; ++ow)
        for (int f = 0; f < 4; ++f) {
          double s = 0;
          for (int kh = 0; kh < 3; ++kh)
            for (int kw = 0; kw < 2; ++kw) {
              const int ih = oh * 2 - 1 + kh, iw = ow + kw;
              if (ih < 0 || ih >= 5 || iw < 0 || iw >= 6) continue;
              for (int c = 0; c < 3; ++c) s += xv[((n * 5 + ih) * 6 + iw) * 3 + c] * wv[((kh * 2 + kw) * 3 + c) * 4 + f];
            }
          EXPECT_NEAR(yv[((n * 3 + oh) * 6 + ow) * 4 + f], s, 1e-5);
        }
}

TEST(ConvOp, GroupsComeFromTheKernelAndDepthwiseMatchesPerChannelConvs) {
  const Tensor x = random::uniform({1, 4, 4, 4}, -1, 1, DType::float32, 3);
  const Tensor w = random::uniform({2, 2, 2, 6}, -1, 1, DType::float32, 4);  // 2 groups of 2 -> 3 filters each
  const Tensor y = ops::conv(x, w);
  ASSERT_EQ(y.shape(), Shape({1, 3, 3, 6}));
  // Group 1 is a plain conv of channels 2..3 with filters 3..5.
  const Tensor y1 = ops::conv(ops::slice(x, {0, 0, 0, 2}, {-1, -1, -1, 2}), ops::slice(w, {0, 0, 0, 3}, {-1, -1, -1, 3}));
  const auto a = values(ops::slice(y, {0, 0, 0, 3}, {-1, -1, -1, 3})), b = values(y1);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);

  // depthwise: output channel c * multiplier + m convolves input channel c with kernel[..., c, m].
  const Tensor dk = random::uniform({3, 3, 4, 2}, -1, 1, DType::float32, 5);
  const Tensor dy = ops::depthwise_conv(x, dk, {1}, "same");
  ASSERT_EQ(dy.shape(), Shape({1, 4, 4, 8}));
  for (int c = 0; c < 4; ++c)
    for (int m = 0; m < 2; ++m) {
      const Tensor single = ops::conv(ops::slice(x, {0, 0, 0, c}, {-1, -1, -1, 1}),
                                      ops::slice(dk, {0, 0, c, m}, {-1, -1, 1, 1}), {1}, "same");
      const auto want = values(single), got = values(ops::slice(dy, {0, 0, 0, c * 2 + m}, {-1, -1, -1, 1}));
      for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
    }
}

TEST(ConvOp, ChannelsFirstMatchesChannelsLast) {
  const Tensor x = random::uniform({2, 6, 5, 3}, -1, 1, DType::float32, 6);
  const Tensor w = random::uniform({3, 3, 3, 2}, -1, 1, DType::float32, 7);
  const auto last = values(ops::conv(x, w, {2}, "same"));
  const Tensor first = ops::conv(ops::transpose(x, {0, 3, 1, 2}), w, {2}, "same", "channels_first");
  const auto back = values(ops::transpose(first, {0, 2, 3, 1}));
  ASSERT_EQ(back.size(), last.size());
  for (std::size_t i = 0; i < last.size(); ++i) EXPECT_NEAR(back[i], last[i], 1e-5);
}

TEST(ConvOp, SymbolicBatchAndOutputShapes) {
  const Tensor x = Tensor::placeholder({-1, 28, 28, 1});
  EXPECT_EQ(ops::conv(x, Tensor::placeholder({3, 3, 1, 32})).shape(), Shape({-1, 26, 26, 32}));
  EXPECT_EQ(ops::conv(x, Tensor::placeholder({3, 3, 1, 8}), {2}, "same").shape(), Shape({-1, 14, 14, 8}));
  EXPECT_EQ(ops::conv(x, Tensor::placeholder({3, 3, 1, 8}), {1}, "valid", "channels_last", {2}).shape(),
            Shape({-1, 24, 24, 8}));
  EXPECT_EQ(ops::max_pool(x, {2}).shape(), Shape({-1, 14, 14, 1}));
  EXPECT_EQ(ops::max_pool(Tensor::placeholder({-1, 5, 5, 2}), {2}, {2}, "same").shape(), Shape({-1, 3, 3, 2}));
  EXPECT_EQ(ops::average_pool(Tensor::placeholder({-1, 7, 2}), {3}, {2}).shape(), Shape({-1, 3, 2}));
  // Transposed: valid (in-1)*s + max(k, s); same in*s; with output_padding (in-1)*s + k - 2*pad + op.
  const Tensor t = Tensor::placeholder({-1, 4, 4, 3});
  EXPECT_EQ(ops::conv_transpose(t, Tensor::placeholder({3, 3, 5, 3}), {2}).shape(), Shape({-1, 9, 9, 5}));
  EXPECT_EQ(ops::conv_transpose(t, Tensor::placeholder({3, 3, 5, 3}), {2}, "same").shape(), Shape({-1, 8, 8, 5}));
  EXPECT_EQ(ops::conv_transpose(t, Tensor::placeholder({1, 1, 5, 3}), {3}).shape(), Shape({-1, 12, 12, 5}));
  EXPECT_EQ(ops::conv_transpose(t, Tensor::placeholder({3, 3, 5, 3}), {2}, "valid", {1}).shape(),
            Shape({-1, 10, 10, 5}));
  EXPECT_EQ(ops::conv_transpose(t, Tensor::placeholder({3, 3, 5, 3}), {2}, "same", {1}).shape(),
            Shape({-1, 8, 8, 5}));
}

TEST(ConvOp, TransposeKnownValuesAndAdjointOfConv) {
  // y[i] = sum_j x[j] w[i - j]: x = [1 2], w = [1 10] -> [1, 12, 20].
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {1, 2, 1});
  const Tensor w = Tensor::from_vector(std::vector<float>{1, 10}, {2, 1, 1});
  EXPECT_EQ(values(ops::conv_transpose(x, w)), (std::vector<float>{1, 12, 20}));
  // conv_transpose(dy, w) is conv's input gradient for the input size it produces:
  // <conv(a, w), dy> == <a, conv_transpose(dy, w)>.
  for (const char* padding : {"valid", "same"}) {
    const Tensor dy = random::uniform({2, 3, 4, 2}, -1, 1, DType::float64, 8);
    const Tensor k = random::uniform({3, 2, 3, 2}, -1, 1, DType::float64, 9);  // (kh, kw, out, in)
    const Tensor xt = ops::conv_transpose(dy, k, {2}, padding);
    const Tensor a = random::uniform(xt.shape(), -1, 1, DType::float64, 10);
    const double lhs = ops::sum(ops::multiply(ops::conv(a, k, {2}, padding), dy)).item();
    const double rhs = ops::sum(ops::multiply(a, xt)).item();
    EXPECT_NEAR(lhs, rhs, 1e-9) << padding;
  }
}

TEST(PoolOp, KnownValues) {
  const Tensor x = iota({1, 4, 4, 1});  // 1..16 row-major
  EXPECT_EQ(values(ops::max_pool(x, {2})), (std::vector<float>{6, 8, 14, 16}));
  EXPECT_EQ(values(ops::average_pool(x, {2})), (std::vector<float>{3.5, 5.5, 11.5, 13.5}));
  // 3x3 "same" windows at stride 2 on 4x4: total padding 1, all at the end; the last row and
  // column of windows hold 2 (or 1) real positions and average only those.
  EXPECT_EQ(values(ops::average_pool(x, {3}, {2}, "same")), (std::vector<float>{6, 7.5, 12, 13.5}));
  EXPECT_EQ(values(ops::max_pool(-x, {3}, {2}, "same")), (std::vector<float>{-1, -3, -9, -11}));
}

TEST(PoolOp, GradientsRouteToTheMaximumAndSpreadTheAverage) {
  Variable x(Tensor::from_vector(std::vector<float>{1, 5, 2, 3, 0, 4, 7, 6, 8}, {1, 3, 3, 1}), "x");
  GradientTape tape;
  const Tensor y = ops::max_pool(x, {2}, {1});  // windows' maxima 5, 5, 7, 8
  EXPECT_EQ(values(y), (std::vector<float>{5, 5, 7, 8}));
  const auto g = tape.gradient(ops::sum(y), {x})[0];
  EXPECT_EQ(values(g), (std::vector<float>{0, 2, 0, 0, 0, 0, 1, 0, 1}));
  const Tensor a = ops::average_pool(x, {2}, {1});
  const auto ga = tape.gradient(ops::sum(a), {x})[0];
  EXPECT_EQ(values(ga), (std::vector<float>{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25}));
}

TEST(PadOp, ConstantPadding) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(values(ops::pad(x, {{1, 0}, {0, 1}}, 9)), (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
  EXPECT_EQ(ops::pad(x, {{1, 1}}).shape(), Shape({4, 4}));
  EXPECT_THROW(ops::pad(x, {{-1, 0}, {0, 0}}), ValueError);
  EXPECT_EQ(ops::pad(Tensor::placeholder({-1, 3}), {{0, 0}, {2, 2}}).shape(), Shape({-1, 7}));
}

TEST(ConvOp, Errors) {
  const Tensor x = ops::zeros({1, 5, 5, 2});
  const auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const ValueError& e) {
      return std::string(e.what());
    }
    return std::string("no ValueError");
  };
  // Kernel larger than the input with valid padding.
  const std::string big = message([&] { ops::conv(x, ops::zeros({7, 3, 2, 4})); });
  EXPECT_NE(big.find("zero or negative"), std::string::npos) << big;
  EXPECT_NE(big.find("(1, 5, 5, 2)"), std::string::npos) << big;
  EXPECT_NE(big.find("(7, 3, 2, 4)"), std::string::npos) << big;
  // Wrong ranks.
  EXPECT_NE(message([&] { ops::conv(ops::zeros({5, 2}), ops::zeros({3, 2, 4})); }).find("(5, 2)"), std::string::npos);
  EXPECT_NE(message([&] { ops::conv(x, ops::zeros({3, 2, 4})); }).find("(3, 2, 4)"), std::string::npos);
  // Channels not a multiple of the kernel's input channels.
  EXPECT_THROW(ops::conv(ops::zeros({1, 5, 5, 3}), ops::zeros({3, 3, 2, 4})), ValueError);
  // Zero or negative sizes.
  EXPECT_THROW(ops::conv(x, ops::zeros({3, 3, 2, 4}), {0}), ValueError);
  EXPECT_THROW(ops::conv(x, ops::zeros({3, 3, 2, 4}), {1}, "valid", "channels_last", {-1}), ValueError);
  EXPECT_THROW(ops::max_pool(x, {0}), ValueError);
  EXPECT_THROW(ops::max_pool(x, {6}), ValueError);
  EXPECT_THROW(ops::conv(x, ops::zeros({3, 3, 2, 4}), {1}, "full"), ValueError);
  EXPECT_THROW(ops::conv(x, ops::zeros({3, 3, 2, 4}), {1}, "causal"), ValueError);  // causal is 1-D only
  EXPECT_THROW(ops::conv(x, ops::zeros({3, 3, 2, 4}), {1}, "valid", "nhwc"), ValueError);
  EXPECT_THROW(ops::conv_transpose(x, ops::zeros({3, 3, 4, 2}), {2}, "valid", {2}), ValueError);  // op >= stride
  EXPECT_THROW(ops::conv(ops::zeros({1, 5, 5, 2}, DType::int32), ops::zeros({3, 3, 2, 4}, DType::int32)), TypeError);
}

TEST(ConvOp, CompiledPlanMatchesEagerForwardAndGradients) {
  Variable w(random::uniform({3, 3, 2, 4}, -1, 1, DType::float32, 11), "w");
  auto body = [&](const std::vector<Tensor>& in) {
    Tensor y = ops::relu(ops::conv(in[0], w, {1}, "same"));
    y = ops::max_pool(y, {2});
    y = ops::average_pool(y, {2}, {1}, "same");
    Tensor loss = ops::sum(ops::square(y));
    auto grads = gradients(loss, {in[0], w});
    return std::vector<Tensor>{y, grads[0], grads[1]};
  };
  const Tensor x = random::uniform({3, 6, 6, 2}, -1, 1, DType::float32, 12);
  Function f(body);
  const auto planned = f({x});
  Variable xv(x, "x");
  GradientTape tape;
  const auto eager = body({xv});
  for (std::size_t i = 0; i < eager.size(); ++i) {
    const auto a = values(planned[i]), b = values(eager[i]);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], b[j], 1e-5 * (1 + std::abs(b[j]))) << i;
  }
}

}  // namespace
