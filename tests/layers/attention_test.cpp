// Attention, AdditiveAttention and MultiHeadAttention against the formulas written with
// basic ops (per head, per step), masks (Keras masks, causal, attention_mask), shapes,
// weights, configs and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "keras/layers/attention.h"
#include "keras/layers/core_extra.h"
#include "keras/models/model.h"
#include "keras/ops/ops.h"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
using namespace keras::layers;
namespace ops = keras::ops;

Tensor random_tensor(const Shape& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(gen);
  return Tensor::from_vector(v, shape);
}

void expect_near(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol) << what << " element " << i;
}

Tensor swap_last(const Tensor& x) { return ops::transpose(x, {0, 2, 1}); }

template <typename F>
std::string value_error(F&& f) {
  try {
    f();
  } catch (const keras::ValueError& e) {
    return e.what();
  }
  return "no ValueError";
}

// ---- Attention -----------------------------------------------------------------------------------

TEST(Attention, DotProductWithScaleAndMasks) {
  keras::clear_session();
  auto att = make<Attention>(AttentionOptions{.use_scale = true});
  EXPECT_EQ(att->name(), "attention");
  const Tensor q = random_tensor({2, 3, 4}, 1), v = random_tensor({2, 5, 4}, 2), k = random_tensor({2, 5, 4}, 3);
  att->build_once({q.shape(), v.shape(), k.shape()});
  ASSERT_EQ(att->weights().size(), 1u);
  att->set_weights({Tensor::from_vector(std::vector<float>{0.7f}, Shape{})});
  const Tensor want = ops::matmul(ops::softmax(ops::multiply(ops::matmul(q, swap_last(k)), 0.7), -1), v);
  expect_near((*att)(std::vector<Tensor>{q, v, k})[0], want, 1e-6, "dot");
  // Key defaults to value.
  expect_near((*att)(std::vector<Tensor>{q, v})[0],
              ops::matmul(ops::softmax(ops::multiply(ops::matmul(q, swap_last(v)), 0.7), -1), v), 1e-6, "key = value");

  // A value mask: masked steps get no weight; a query mask zeroes rows and is passed on.
  const Tensor vq = random_tensor({2, 3, 4}, 4), vv = random_tensor({2, 5, 4}, 5);
  set_keras_mask(vv, Tensor::from_bools({true, true, false, true, false, true, true, true, true, false}, Shape{2, 5}));
  set_keras_mask(vq, Tensor::from_bools({true, false, true, true, true, true}, Shape{2, 3}));
  att->set_call_options({.return_attention_scores = true});
  const keras::Outputs out = (*att)(std::vector<Tensor>{vq, vv});
  ASSERT_EQ(out.size(), 2u);
  const auto w = out[1].to_vector<float>();  // (2, 3, 5)
  for (int i = 0; i < 3; ++i) {
    EXPECT_LT(w[i * 5 + 2], 1e-6f);
    EXPECT_LT(w[i * 5 + 4], 1e-6f);
    EXPECT_LT(w[15 + i * 5 + 4], 1e-6f);
  }
  const auto y = out[0].to_vector<float>();
  for (int j = 0; j < 4; ++j) EXPECT_EQ(y[4 + j], 0.0f);  // masked query step
  EXPECT_TRUE(get_keras_mask(out[0]).defined());
  EXPECT_EQ(att->compute_output_shape(std::vector<Shape>{Shape{-1, 3, 4}, Shape{-1, 5, 6}, Shape{-1, 5, 4}}),
            (std::vector<Shape>{Shape{-1, 3, 6}, Shape{-1, 3, 5}}));
}

TEST(Attention, CausalMaskAndConcatScores) {
  auto att = make<Attention>(AttentionOptions{.score_mode = "concat"});
  const Tensor q = random_tensor({1, 4, 3}, 6), v = random_tensor({1, 4, 3}, 7);
  att->set_call_options({.return_attention_scores = true, .use_causal_mask = true});
  const keras::Outputs out = (*att)(std::vector<Tensor>{q, v});
  const auto w = out[1].to_vector<float>();
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) EXPECT_LT(w[i * 4 + j], 1e-6f) << i << "," << j;
  EXPECT_NEAR(w[0], 1.0f, 1e-6f);
  // concat scores: concat_score_weight * sum(tanh(q_i + k_j)).
  auto plain = make<Attention>(AttentionOptions{.score_mode = "concat"});
  plain->set_call_options({.return_attention_scores = true});
  const Tensor scores = ops::sum(ops::tanh(ops::add(ops::expand_dims(q, -2), ops::expand_dims(v, -3))), -1);
  expect_near((*plain)(std::vector<Tensor>{q, v})[1], ops::softmax(scores, -1), 1e-6, "concat");
  EXPECT_EQ(plain->weights().size(), 1u);  // concat_score_weight
}

TEST(Attention, AdditiveAttentionScores) {
  keras::clear_session();
  auto att = make<AdditiveAttention>();
  EXPECT_EQ(att->name(), "additive_attention");
  const Tensor q = random_tensor({2, 3, 4}, 8), v = random_tensor({2, 5, 4}, 9);
  att->build_once({q.shape(), v.shape()});
  ASSERT_EQ(att->weights().size(), 1u);
  EXPECT_EQ(att->weights()[0].shape(), (Shape{4}));
  const Tensor scale = att->weights()[0];
  const Tensor scores = ops::sum(ops::multiply(scale, ops::tanh(ops::add(ops::expand_dims(q, -2), ops::expand_dims(v, -3)))), -1);
  expect_near((*att)(std::vector<Tensor>{q, v})[0], ops::matmul(ops::softmax(scores, -1), v), 1e-6, "additive");
  const Config c = att->get_config();
  EXPECT_FALSE(c.contains("score_mode"));
  EXPECT_EQ(c["use_scale"], true);
}

TEST(Attention, MismatchedShapesNameTheLayerAndShapes) {
  auto att = make<Attention>(AttentionOptions{.name = "att"});
  const std::string e = value_error([&] { (*att)(std::vector<Tensor>{keras::Input({3, 8}), keras::Input({5, 6})}); });
  EXPECT_NE(e.find("\"att\""), std::string::npos) << e;
  EXPECT_NE(e.find("query shape (None, 3, 8)"), std::string::npos) << e;
  EXPECT_NE(e.find("(None, 5, 6)"), std::string::npos) << e;
  EXPECT_NE(value_error([&] { (*att)(std::vector<Tensor>{keras::Input({3, 8}), keras::Input({5, 8}), keras::Input({4, 8})}); })
                .find("same number of steps"),
            std::string::npos);
  EXPECT_THROW((*att)(keras::Input({3, 8})), keras::ValueError);  // not a list
  EXPECT_THROW(make<Attention>(AttentionOptions{.score_mode = "bilinear"}), keras::ValueError);
  EXPECT_FALSE(att->built());
}

// ---- MultiHeadAttention ----------------------------------------------------------------------------

// Per head h: softmax((q Wq_h + bq_h)(k Wk_h + bk_h)^T / sqrt(kd)) (v Wv_h + bv_h), then the
// output projection summed over heads. Weights from the layer, laid out as Keras's.
Tensor mha_reference(const MultiHeadAttention& mha, const Tensor& q, const Tensor& v, const Tensor& k,
                     const Tensor& mask = Tensor()) {
  const std::int64_t N = mha.num_heads(), kd = mha.key_dim(), vd = mha.value_dim();
  auto head_proj = [&](const EinsumDense& d, const Tensor& x, std::int64_t h, std::int64_t dim) {
    const std::int64_t in = d.kernel().shape()[0];
    const Tensor w = ops::reshape(ops::slice(d.kernel(), {0, h, 0}, {in, 1, dim}), Shape{in, dim});
    const Tensor b = ops::reshape(ops::slice(d.bias(), {h, 0}, {1, dim}), Shape{dim});
    return ops::add(ops::matmul(x, w), b);
  };
  Tensor out;
  const auto& od = *mha.output_dense();
  const std::int64_t dout = od.kernel().shape()[2];
  for (std::int64_t h = 0; h < N; ++h) {
    Tensor s = ops::divide(ops::matmul(head_proj(*mha.query_dense(), q, h, kd), swap_last(head_proj(*mha.key_dense(), k, h, kd))),
                           std::sqrt(static_cast<double>(kd)));
    if (mask.defined()) s = ops::where(mask, s, ops::full_like(s, -1e9));
    const Tensor o = ops::matmul(ops::softmax(s, -1), head_proj(*mha.value_dense(), v, h, vd));
    const Tensor wo = ops::reshape(ops::slice(od.kernel(), {h, 0, 0}, {1, vd, dout}), Shape{vd, dout});
    const Tensor contrib = ops::matmul(o, wo);
    out = out.defined() ? ops::add(out, contrib) : contrib;
  }
  return ops::add(out, od.bias());
}

TEST(MultiHeadAttention, WeightsLikeKerasAndValuesMatchPerHeadReference) {
  keras::clear_session();
  auto mha = make<MultiHeadAttention>(2, 3, MultiHeadAttentionOptions{.value_dim = 4});
  EXPECT_EQ(mha->name(), "multi_head_attention");
  const Tensor qi = keras::Input({5, 6}), vi = keras::Input({7, 8});
  EXPECT_EQ((*mha)(std::vector<Tensor>{qi, vi}).front().shape(), (Shape{-1, 5, 6}));
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const auto& layer : mha->sublayers())
    for (const auto& w : layer->weights()) names.push_back(layer->name() + "/" + w.name()), shapes.push_back(w.shape());
  EXPECT_EQ(names, (std::vector<std::string>{"query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel",
                                             "value/bias", "attention_output/kernel", "attention_output/bias"}));
  EXPECT_EQ(shapes, (std::vector<Shape>{{6, 2, 3}, {2, 3}, {8, 2, 3}, {2, 3}, {8, 2, 4}, {2, 4}, {2, 4, 6}, {6}}));
  EXPECT_EQ(mha->query_dense()->get_config()["equation"], "abc,cde->abde");
  EXPECT_EQ(mha->output_dense()->get_config()["equation"], "abcd,cde->abe");
  // Softmax and Dropout took their auto-names when the layer was built, as in Keras.
  EXPECT_EQ(keras::layers::unique_name("dropout"), "dropout_1");
  // Random (non-zero) biases so that every term is checked.
  std::vector<Tensor> w;
  unsigned seed = 20;
  for (const auto& v : mha->weights()) w.push_back(random_tensor(v.shape(), seed++));
  mha->set_weights(w);
  const Tensor q = random_tensor({2, 5, 6}, 10), v = random_tensor({2, 7, 8}, 11);
  expect_near((*mha)(std::vector<Tensor>{q, v})[0], mha_reference(*mha, q, v, v), 1e-5, "self.mha");
  // Through a compiled model.
  keras::Model model(std::vector<Tensor>{qi, vi}, (*mha)(std::vector<Tensor>{qi, vi}).front());
  expect_near(model.predict(std::vector<Tensor>{q, v})[0], mha_reference(*mha, q, v, v), 1e-5, "predict");
}

TEST(MultiHeadAttention, MasksCausalAndScores) {
  auto mha = make<MultiHeadAttention>(2, 4);
  const Tensor x = random_tensor({2, 5, 3}, 12);
  mha->build_once({x.shape(), x.shape()});
  mha->set_call_options({.return_attention_scores = true, .use_causal_mask = true});
  const keras::Outputs out = (*mha)(std::vector<Tensor>{x, x});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].shape(), (Shape{2, 2, 5, 5}));
  const auto s = out[1].to_vector<float>();
  for (int bh = 0; bh < 4; ++bh)
    for (int i = 0; i < 5; ++i) {
      float row = 0;
      for (int j = 0; j < 5; ++j) {
        row += s[bh * 25 + i * 5 + j];
        if (j > i) EXPECT_EQ(s[bh * 25 + i * 5 + j], 0.0f);
      }
      EXPECT_NEAR(row, 1.0f, 1e-5f);
    }
  std::vector<bool> tril(25);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) tril[i * 5 + j] = j <= i;
  expect_near(out[0], mha_reference(*mha, x, x, x, Tensor::from_bools(tril, Shape{1, 5, 5})), 1e-5, "causal");
  // Changing the future leaves earlier outputs alone.
  const Tensor x2 = ops::concatenate({ops::slice(x, {0, 0, 0}, {2, 3, 3}), random_tensor({2, 2, 3}, 13)}, 1);
  const auto a = out[0].to_vector<float>(), b = (*mha)(std::vector<Tensor>{x2, x2})[0].to_vector<float>();
  for (int bi = 0; bi < 2; ++bi)
    for (int i = 0; i < 3 * 3; ++i) EXPECT_NEAR(a[bi * 15 + i], b[bi * 15 + i], 1e-6);

  // A value mask (Keras mask) and an explicit attention_mask agree.
  mha->set_call_options({});
  const Tensor v = random_tensor({2, 5, 3}, 14);
  const Tensor vmask = Tensor::from_bools({true, true, false, true, false, true, true, true, true, true}, Shape{2, 5});
  Tensor attn(Tensor::from_bools(std::vector<bool>(50, true), Shape{2, 5, 5}));
  attn = ops::logical_and(attn, ops::expand_dims(vmask, 1));
  const Tensor explicit_mask = (*mha)(std::vector<Tensor>{x, v, v, attn})[0];
  set_keras_mask(v, vmask);
  expect_near((*mha)(std::vector<Tensor>{x, v})[0], explicit_mask, 1e-6, "value mask");
  expect_near(explicit_mask, mha_reference(*mha, x, v, v, ops::expand_dims(vmask, 1)), 1e-5, "masked reference");
}

TEST(MultiHeadAttention, AttentionAxesOnImages) {
  // (batch, rows, cols, channels), attention along the columns only: each row attends within itself.
  auto mha = make<MultiHeadAttention>(2, 3, MultiHeadAttentionOptions{.attention_axes = {2}});
  const Tensor x = random_tensor({2, 3, 4, 5}, 15);
  const Tensor y = (*mha)(std::vector<Tensor>{x, x})[0];
  EXPECT_EQ(y.shape(), (Shape{2, 3, 4, 5}));
  for (std::int64_t r = 0; r < 3; ++r) {
    const Tensor row = ops::reshape(ops::slice(x, {0, r, 0, 0}, {2, 1, 4, 5}), Shape{2, 4, 5});
    const Tensor got = ops::reshape(ops::slice(y, {0, r, 0, 0}, {2, 1, 4, 5}), Shape{2, 4, 5});
    expect_near(got, mha_reference(*mha, row, row, row), 1e-5, "row " + std::to_string(r));
  }
  EXPECT_EQ(mha->get_config()["attention_axes"], (Config{2}));
  // Default axes on 4-D inputs: attention over rows and columns together.
  auto all = make<MultiHeadAttention>(1, 2);
  all->set_call_options({.return_attention_scores = true});
  const keras::Outputs out = (*all)(std::vector<Tensor>{x, x});
  EXPECT_EQ(out[1].shape(), (Shape{2, 1, 3, 4, 3, 4}));
  EXPECT_EQ(all->get_config()["attention_axes"], (Config{1, 2}));
}

TEST(MultiHeadAttention, ConfigInKerasOrder) {
  auto mha = make<MultiHeadAttention>(4, 8, MultiHeadAttentionOptions{.dropout = 0.1, .output_shape = {5}});
  Config c = mha->get_config();
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "trainable", "dtype", "num_heads", "key_dim", "value_dim",
                                            "dropout", "use_bias", "use_gate", "output_shape", "attention_axes",
                                            "sliding_window", "kernel_initializer", "bias_initializer",
                                            "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                            "kernel_constraint", "bias_constraint", "seed"}));
  EXPECT_EQ(c["value_dim"], 8);
  EXPECT_EQ(c["attention_axes"], nullptr);
  EXPECT_EQ(c["output_shape"], (Config{5}));
  (*mha)(std::vector<Tensor>{keras::Input({3, 6}), keras::Input({4, 6})});
  EXPECT_EQ(mha->get_config()["attention_axes"], (Config{1}));  // resolved when built, as Keras stores it
  EXPECT_EQ(mha->output_dense()->kernel().shape(), (Shape{4, 8, 5}));
}

TEST(MultiHeadAttention, GateSlidingWindowAndDropout) {
  auto gated = make<MultiHeadAttention>(2, 2, MultiHeadAttentionOptions{.sliding_window = 2, .use_gate = true});
  const Tensor x = random_tensor({1, 6, 4}, 16);
  gated->set_call_options({.return_attention_scores = true});
  const keras::Outputs out = (*gated)(std::vector<Tensor>{x, x});
  ASSERT_EQ(gated->weights().size(), 10u);  // query, key, gate, value, attention_output
  const auto s = out[1].to_vector<float>();
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j)
        if (std::abs(i - j) >= 2) EXPECT_EQ(s[h * 36 + i * 6 + j], 0.0f);
  auto drop = make<MultiHeadAttention>(2, 2, MultiHeadAttentionOptions{.dropout = 0.5, .seed = 3});
  const Tensor a = (*drop)(std::vector<Tensor>{x, x}, true)[0], b = (*drop)(std::vector<Tensor>{x, x}, false)[0];
  EXPECT_NE(a.to_vector<float>(), b.to_vector<float>());
}

TEST(MultiHeadAttention, ErrorsNameTheLayerAndShapes) {
  auto mha = make<MultiHeadAttention>(2, 4, MultiHeadAttentionOptions{.name = "mha"});
  std::string e = value_error([&] {
    (*mha)(std::vector<Tensor>{keras::Input({3, 8}), keras::Input({5, 8}), keras::Input({4, 8})});
  });
  EXPECT_NE(e.find("\"mha\""), std::string::npos) << e;
  EXPECT_NE(e.find("value_shape=(None, 5, 8) and key_shape=(None, 4, 8)"), std::string::npos) << e;
  e = value_error([&] { (*mha)(std::vector<Tensor>{keras::Input({3, 8}), keras::Input({2, 5, 8})}); });
  EXPECT_NE(e.find("query_shape=(None, 3, 8) and value_shape=(None, 2, 5, 8)"), std::string::npos) << e;
  e = value_error([&] { (*mha)(std::vector<Tensor>{random_tensor({2, 3, 8}, 1), random_tensor({3, 5, 8}, 2)}); });
  EXPECT_NE(e.find("(2, 3, 8)"), std::string::npos) << e;
  EXPECT_FALSE(mha->built());
  EXPECT_THROW(make<MultiHeadAttention>(0, 4), keras::ValueError);
  EXPECT_THROW(make<MultiHeadAttention>(2, 4, MultiHeadAttentionOptions{.value_dim = 0}), keras::ValueError);
}

}  // namespace
