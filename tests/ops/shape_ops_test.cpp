// Shape ops: values against hand-computed NumPy results, symbolic shape inference with
// unknown (None) dims, gradients through the engine, and typed errors.
#include <gtest/gtest.h>

#include <numeric>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

Tensor iota_f32(const Shape& shape, float start = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  std::iota(v.begin(), v.end(), start);
  return Tensor::from_vector(v, shape);
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

template <typename E, typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// ---- reshape --------------------------------------------------------------------------------

TEST(Reshape, InfersMinusOneAndKeepsRowMajorOrder) {
  Tensor x = iota_f32({2, 3});
  Tensor y = ops::reshape(x, {3, -1});
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(values(y), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(ops::reshape(x, {-1}).shape(), (Shape{6}));
  EXPECT_EQ(ops::reshape(ops::reshape(x, {6}), {1, 2, 1, 3}).shape(), (Shape{1, 2, 1, 3}));
}

TEST(Reshape, SizeMismatchNamesBothShapes) {
  Tensor x = iota_f32({2, 3});
  const std::string msg = error_of<ValueError>([&] { ops::reshape(x, {4, 2}); });
  EXPECT_TRUE(contains(msg, "Cannot reshape a tensor of shape (2, 3) into shape (4, 2)")) << msg;
  EXPECT_TRUE(contains(error_of<ValueError>([&] { ops::reshape(x, {4, -1}); }), "(4, -1)"));
  EXPECT_TRUE(contains(error_of<ValueError>([&] { ops::reshape(x, {-1, -1}); }), "only one dimension"));
  EXPECT_TRUE(contains(error_of<ValueError>([&] { ops::reshape(x, {-2, -3}); }), "non-negative"));
}

TEST(Reshape, SymbolicUnknownBatch) {
  Tensor x = Tensor::placeholder({-1, 6});
  EXPECT_EQ(ops::reshape(x, {-1, 2, 3}).shape(), (Shape{-1, 2, 3}));
  EXPECT_EQ(ops::reshape(x, {-1, 4}).shape(), (Shape{-1, 4}));  // batch 2 gives 12 = 3 * 4
  EXPECT_EQ(ops::reshape(x, {4, 3}).shape(), (Shape{4, 3}));
  // No batch size turns 6-element rows into 7 elements.
  EXPECT_THROW(ops::reshape(x, {7}), ValueError);
}

TEST(Reshape, GradientIsReshapedBack) {
  Variable x(iota_f32({2, 3}), "x");
  GradientTape tape;
  Tensor y = ops::reshape(x, {3, 2});
  Tensor w = iota_f32({3, 2}, 1.0f);
  auto g = tape.gradient(ops::sum(ops::multiply(y, w)), {x});
  EXPECT_EQ(g[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(values(g[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Reshape, SymbolicGradientWithNoneBatchHasInputShape) {
  Tensor x = Tensor::placeholder({-1, 6}, DType::float32, "x");
  Tensor y = ops::reshape(x, {-1, 2, 3});
  auto g = gradients(ops::sum(y), {x});
  EXPECT_TRUE(g[0].is_symbolic());
  EXPECT_EQ(g[0].shape(), (Shape{-1, 6}));
}

TEST(ReshapeLike, TakesReferenceShapeIncludingUnknownDims) {
  EXPECT_EQ(ops::reshape_like(iota_f32({6}), iota_f32({3, 2})).shape(), (Shape{3, 2}));
  Tensor ref = Tensor::placeholder({-1, 3});
  EXPECT_EQ(ops::reshape_like(Tensor::placeholder({-1, 1, 3}), ref).shape(), (Shape{-1, 3}));
  EXPECT_THROW(ops::reshape_like(iota_f32({6}), iota_f32({4})), ValueError);
}

// ---- transpose ------------------------------------------------------------------------------

TEST(Transpose, DefaultReversesAndPermMoves) {
  Tensor x = iota_f32({2, 3});
  Tensor t = ops::transpose(x);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(values(t), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor y = iota_f32({2, 3, 4});
  Tensor p = ops::transpose(y, {1, 2, 0});
  EXPECT_EQ(p.shape(), (Shape{3, 4, 2}));
  // p[i, j, k] = y[k, i, j] = 12k + 4i + j
  auto v = values(p);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k) EXPECT_EQ(v[(i * 4 + j) * 2 + k], 12 * k + 4 * i + j);
  EXPECT_EQ(ops::transpose(y, {-1, 0, 1}).shape(), (Shape{4, 2, 3}));
}

TEST(Transpose, IntegerAndBoolDtypes) {
  Tensor xi = Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3, 4, 5, 6}, {3, 2});
  EXPECT_EQ(ops::transpose(xi).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 3, 5, 2, 4, 6}));
  Tensor xb = Tensor::from_bools({true, false, false, false}, {2, 2});
  EXPECT_EQ(ops::transpose(xb).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 0, 0}));
}

TEST(Transpose, InvalidPermIsValueErrorWithShape) {
  Tensor x = iota_f32({2, 3});
  for (auto perm : {std::vector<int>{0}, std::vector<int>{0, 0}, std::vector<int>{0, 2}}) {
    const std::string msg = error_of<ValueError>([&] { ops::transpose(x, perm); });
    EXPECT_TRUE(contains(msg, "(2, 3)")) << msg;
  }
}

TEST(Transpose, GradientUsesInversePermutation) {
  Variable x(iota_f32({2, 3, 4}), "x");
  Tensor w = iota_f32({4, 2, 3}, 1.0f);
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::multiply(ops::transpose(x, {2, 0, 1}), w)), {x});
  // d/dx[a, b, c] = w[c, a, b]
  EXPECT_EQ(values(g[0]), values(ops::transpose(w, {1, 2, 0})));
  Tensor s = Tensor::placeholder({-1, 3, 4});
  EXPECT_EQ(gradients(ops::sum(ops::transpose(s, {2, 0, 1})), {s})[0].shape(), (Shape{-1, 3, 4}));
}

// ---- expand_dims / squeeze ------------------------------------------------------------------

TEST(ExpandDimsSqueeze, ShapesAndRoundTrip) {
  Tensor x = iota_f32({2, 3});
  EXPECT_EQ(ops::expand_dims(x, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(ops::expand_dims(x, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(ops::expand_dims(x, 1).shape(), (Shape{2, 1, 3}));
  EXPECT_THROW(ops::expand_dims(x, 3 + 1), ValueError);
  Tensor y = iota_f32({1, 2, 1, 3});
  EXPECT_EQ(ops::squeeze(y).shape(), (Shape{2, 3}));
  EXPECT_EQ(ops::squeeze(y, {-2}).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(values(ops::squeeze(y)), values(x));
  const std::string msg = error_of<ValueError>([&] { ops::squeeze(y, {1}); });
  EXPECT_TRUE(contains(msg, "(1, 2, 1, 3)")) << msg;
}

TEST(ExpandDimsSqueeze, SymbolicKeepsUnknownBatch) {
  Tensor x = Tensor::placeholder({-1, 1, 4});
  EXPECT_EQ(ops::squeeze(x).shape(), (Shape{-1, 4}));  // an unknown batch is never squeezed
  EXPECT_EQ(ops::expand_dims(x, 0).shape(), (Shape{1, -1, 1, 4}));
  auto g = gradients(ops::sum(ops::squeeze(ops::expand_dims(x, -1), {1})), {x});
  EXPECT_EQ(g[0].shape(), (Shape{-1, 1, 4}));
}

// ---- concatenate / stack / split ------------------------------------------------------------

TEST(Concatenate, ValuesAlongEachAxis) {
  Tensor a = iota_f32({2, 2});
  Tensor b = iota_f32({2, 1}, 10.0f);
  Tensor c = ops::concatenate({a, b}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(c), (std::vector<float>{0, 1, 10, 2, 3, 11}));
  Tensor d = ops::concatenate({a, iota_f32({1, 2}, 20.0f)}, -2);
  EXPECT_EQ(values(d), (std::vector<float>{0, 1, 2, 3, 20, 21}));
}

TEST(Concatenate, MismatchedShapesRanksAndDtypes) {
  Tensor a = iota_f32({2, 3});
  const std::string msg = error_of<ValueError>([&] { ops::concatenate({a, iota_f32({4, 2})}, 1); });
  EXPECT_TRUE(contains(msg, "(2, 3)") && contains(msg, "(4, 2)")) << msg;
  EXPECT_THROW(ops::concatenate({a, iota_f32({6})}, 0), ValueError);
  EXPECT_THROW(ops::concatenate({a, a}, 2), ValueError);
  EXPECT_THROW(ops::concatenate({}, 0), ValueError);
  const std::string tmsg = error_of<TypeError>([&] { ops::concatenate({a, ops::zeros({2, 3}, DType::int32)}, 0); });
  EXPECT_TRUE(contains(tmsg, "float32") && contains(tmsg, "int32")) << tmsg;
}

TEST(Concatenate, SymbolicAndGradient) {
  Tensor a = Tensor::placeholder({-1, 2});
  Tensor b = Tensor::placeholder({-1, 3});
  EXPECT_EQ(ops::concatenate({a, b}, 1).shape(), (Shape{-1, 5}));
  EXPECT_EQ(ops::concatenate({a, Tensor::placeholder({4, 2})}, 0).shape(), (Shape{-1, 2}));
  auto g = gradients(ops::sum(ops::concatenate({a, b}, -1)), {a, b});
  EXPECT_EQ(g[0].shape(), (Shape{-1, 2}));
  EXPECT_EQ(g[1].shape(), (Shape{-1, 3}));

  Variable x(iota_f32({2, 2}), "x"), y(iota_f32({2, 1}), "y");
  Tensor w = iota_f32({2, 3}, 1.0f);
  GradientTape tape;
  auto gy = tape.gradient(ops::sum(ops::multiply(ops::concatenate({x, y}, 1), w)), {x, y});
  EXPECT_EQ(values(gy[0]), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(values(gy[1]), (std::vector<float>{3, 6}));
}

TEST(Stack, NewAxisAndErrors) {
  Tensor a = iota_f32({2, 3}), b = iota_f32({2, 3}, 6.0f);
  Tensor s0 = ops::stack({a, b});
  EXPECT_EQ(s0.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(values(s0), values(iota_f32({2, 2, 3})));
  Tensor s2 = ops::stack({a, b}, -1);
  EXPECT_EQ(s2.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values(s2), (std::vector<float>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
  const std::string msg = error_of<ValueError>([&] { ops::stack({a, iota_f32({3, 2})}); });
  EXPECT_TRUE(contains(msg, "(2, 3)") && contains(msg, "(3, 2)")) << msg;
  EXPECT_THROW(ops::stack({a, b}, 3), ValueError);
}

TEST(Split, SectionsAndIndices) {
  Tensor x = iota_f32({6, 2});
  auto parts = ops::split(x, 3, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(values(parts[1]), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_THROW(ops::split(x, 4, 0), ValueError);
  auto pieces = ops::split(x, std::vector<std::int64_t>{1, -2, 10}, 0);  // numpy: [0:1], [1:4], [4:6], [6:]
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(pieces[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(pieces[1].shape(), (Shape{3, 2}));
  EXPECT_EQ(pieces[2].shape(), (Shape{2, 2}));
  EXPECT_EQ(pieces[3].shape(), (Shape{0, 2}));
  EXPECT_EQ(values(pieces[2]), (std::vector<float>{8, 9, 10, 11}));
  auto cols = ops::split(Tensor::placeholder({-1, 4}), 2, 1);
  EXPECT_EQ(cols[1].shape(), (Shape{-1, 2}));
}

// ---- slice ----------------------------------------------------------------------------------

TEST(Slice, RegionValuesAndToEnd) {
  Tensor x = iota_f32({3, 4});
  Tensor s = ops::slice(x, {1, 1}, {2, 2});
  EXPECT_EQ(values(s), (std::vector<float>{5, 6, 9, 10}));
  EXPECT_EQ(ops::slice(x, {0, 2}, {-1, -1}).shape(), (Shape{3, 2}));
  EXPECT_EQ(ops::slice(Tensor::placeholder({-1, 4}), {0, 1}, {-1, 2}).shape(), (Shape{-1, 2}));
}

TEST(Slice, OutOfBoundsIsValueError) {
  Tensor x = iota_f32({3, 4});
  const std::string msg = error_of<ValueError>([&] { ops::slice(x, {0, 3}, {1, 2}); });
  EXPECT_TRUE(contains(msg, "(3, 4)") && contains(msg, "axis 1")) << msg;
  EXPECT_THROW(ops::slice(x, {-1, 0}, {1, 1}), ValueError);
  EXPECT_THROW(ops::slice(x, {0}, {1}), ValueError);
  EXPECT_THROW(ops::slice(x, {0, 0}, {1}), ValueError);
}

TEST(Slice, GradientScattersIntoZeros) {
  Variable x(iota_f32({3, 4}), "x");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::multiply(ops::slice(x, {1, 2}, {2, -1}), iota_f32({2, 2}, 1.0f))), {x});
  EXPECT_EQ(values(g[0]), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4}));
  Tensor s = Tensor::placeholder({-1, 4});
  EXPECT_EQ(gradients(ops::sum(ops::slice(s, {0, 1}, {-1, 2})), {s})[0].shape(), (Shape{-1, 4}));
}

// ---- broadcast_to / tile --------------------------------------------------------------------

TEST(BroadcastTo, ValuesErrorsAndGradient) {
  Tensor x = iota_f32({3});
  Tensor b = ops::broadcast_to(x, {2, 3});
  EXPECT_EQ(values(b), (std::vector<float>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(values(ops::broadcast_to(iota_f32({2, 1}), {2, 3})), (std::vector<float>{0, 0, 0, 1, 1, 1}));
  const std::string msg = error_of<ValueError>([&] { ops::broadcast_to(iota_f32({2, 3}), {4, 4}); });
  EXPECT_TRUE(contains(msg, "(2, 3)") && contains(msg, "(4, 4)")) << msg;
  EXPECT_THROW(ops::broadcast_to(x, {-1, 3}), ValueError);
  Variable v(iota_f32({2, 1}), "v");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::multiply(ops::broadcast_to(v, {3, 2, 4}), iota_f32({3, 2, 4}))), {v});
  // Sum over the 3 leading copies and the 4 columns of w = iota.
  EXPECT_EQ(g[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(values(g[0]), (std::vector<float>{0 + 1 + 2 + 3 + 8 + 9 + 10 + 11 + 16 + 17 + 18 + 19,
                                              4 + 5 + 6 + 7 + 12 + 13 + 14 + 15 + 20 + 21 + 22 + 23}));
}

TEST(Tile, NumpySemanticsAndGradient) {
  Tensor x = iota_f32({2, 2});
  Tensor t = ops::tile(x, {2, 3});
  EXPECT_EQ(t.shape(), (Shape{4, 6}));
  EXPECT_EQ(values(ops::slice(t, {0, 0}, {1, 6})), (std::vector<float>{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(values(ops::slice(t, {3, 0}, {1, 6})), (std::vector<float>{2, 3, 2, 3, 2, 3}));
  EXPECT_EQ(ops::tile(x, {3}).shape(), (Shape{2, 6}));         // repeats padded with 1s
  EXPECT_EQ(ops::tile(x, {2, 1, 1}).shape(), (Shape{2, 2, 2}));  // input padded with 1s
  EXPECT_EQ(ops::tile(x, {0, 1}).shape(), (Shape{0, 2}));
  EXPECT_THROW(ops::tile(x, {-1, 1}), ValueError);
  EXPECT_EQ(ops::tile(Tensor::placeholder({-1, 3}), {1, 2}).shape(), (Shape{-1, 6}));

  Variable v(iota_f32({2, 2}), "v");
  GradientTape tape;
  auto g = tape.gradient(ops::sum(ops::multiply(ops::tile(v, {2, 1, 3}), iota_f32({2, 2, 6}))), {v});
  // v[i, j] appears at (k, i, j + 2m): weights 12k + 6i + j + 2m, summed over k<2, m<3.
  std::vector<float> expected;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      float s = 0;
      for (int k = 0; k < 2; ++k)
        for (int m = 0; m < 3; ++m) s += static_cast<float>(12 * k + 6 * i + j + 2 * m);
      expected.push_back(s);
    }
  EXPECT_EQ(values(g[0]), expected);
  Tensor s = Tensor::placeholder({-1, 3});
  EXPECT_EQ(gradients(ops::sum(ops::tile(s, {1, 2})), {s})[0].shape(), (Shape{-1, 3}));
}

// ---- compiled plans ---------------------------------------------------------------------------

// The same computation (and its gradient, which runs reshape_like, slice_grad and take_grad)
// traced into a Plan gives exactly the eager values, for two batch sizes.
TEST(ShapeOpsInPlan, ForwardAndGradientMatchEager) {
  Variable w(iota_f32({3, 4}, 1.0f), "w");
  const Tensor idx = Tensor::from_vector(std::vector<std::int32_t>{2, 0, 2, 1}, {4});
  auto forward = [&](const Tensor& x) {                                   // x (B, 6)
    Tensor h = ops::transpose(ops::reshape(x, {-1, 2, 3}), {0, 2, 1});    // (B, 3, 2)
    h = ops::concatenate({h, ops::slice(h, {0, 0, 1}, {-1, -1, 1})}, 2);  // (B, 3, 3)
    h = ops::take(h, idx, 2);                                             // (B, 3, 4)
    h = ops::multiply(h, ops::tile(ops::expand_dims(w, 0), {1, 1, 1}));
    Tensor s = ops::stack({ops::squeeze(ops::expand_dims(h, 1), {1}), h}, 1);  // (B, 2, 3, 4)
    return ops::sum(ops::multiply(s, ops::broadcast_to(ops::arange(0, 4), {2, 3, 4})));
  };
  Function compiled([&](const std::vector<Tensor>& in) {
    Tensor loss = forward(in[0]);
    auto g = gradients(loss, {in[0], w});
    return std::vector<Tensor>{loss, g[0], g[1]};
  });
  for (std::int64_t batch : {5, 2}) {
    const Tensor x = iota_f32({batch, 6}, -3.0f);
    const auto out = compiled({x});
    Variable xv(x, "x");
    GradientTape tape;
    const Tensor loss = forward(xv);
    const auto g = tape.gradient(loss, {xv, w});
    const std::vector<Tensor> eager{loss, g[0], g[1]};
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(out[i].shape(), eager[i].shape()) << i;
      EXPECT_EQ(values(out[i]), values(eager[i])) << "output " << i << " batch " << batch;
    }
  }
}
