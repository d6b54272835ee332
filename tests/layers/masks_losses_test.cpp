// Keras's mask propagation through layers that support masking, layer losses (add_loss,
// activity regularizers, ActivityRegularization) and their place in the training loss, and
// UpSampling2D's bilinear interpolation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "keras/keras.h"

namespace {

using namespace keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;

std::vector<float> values(const Tensor& t) { return ops::cast(t, DType::float32).to_vector<float>(); }

// Row 0 = ids {3, 4, 0, 0, 0} (last three masked); row 1 = {0, 0, 7, 2, 0}.
Tensor ids() { return Tensor::from_vector(std::vector<std::int32_t>{3, 4, 0, 0, 0, 0, 0, 7, 2, 0}, Shape{2, 5}); }

// With the mask, an LSTM with return_sequences repeats the previous output on masked steps
// and outputs zeros before the first real step.
void expect_masked_sequence(const std::vector<float>& y, int units) {
  for (int t = 2; t < 5; ++t)
    for (int j = 0; j < units; ++j) EXPECT_EQ(y[t * units + j], y[units + j]) << "row 0 step " << t;
  for (int j = 0; j < 2 * units; ++j) EXPECT_EQ(y[5 * units + j], 0.0f) << "row 1 leading step";
  for (int j = 0; j < units; ++j) EXPECT_EQ(y[5 * units + 4 * units + j], y[5 * units + 3 * units + j]);
}

TEST(MaskPropagation, EmbeddingDenseDropoutLstmInAModel) {
  keras::clear_session();
  auto emb = make<Embedding>(10, 4, EmbeddingOptions{.mask_zero = true});
  auto dense = make<Dense>(6, "tanh");
  auto drop = make<Dropout>(0.5);
  auto norm = make<LayerNormalization>();
  auto lstm = make<LSTM>(3, RecurrentOptions{.return_sequences = true});
  const Tensor inp = keras::Input({5}, DType::int32);
  keras::Model model(inp, (*lstm)((*norm)((*drop)((*dense)((*emb)(inp))))));
  expect_masked_sequence(model.predict(ids())[0].to_vector<float>(), 3);  // compiled
  expect_masked_sequence(values(model(ids())), 3);                        // eager
}

TEST(MaskPropagation, LayerChainEagerlyAndThroughTimeDistributed) {
  keras::clear_session();
  auto emb = make<Embedding>(10, 4, EmbeddingOptions{.mask_zero = true});
  auto td = make<TimeDistributed>(make<Dense>(5));
  auto act = make<Activation>("relu");
  const Tensor e = (*emb)(ids());
  const Tensor mask = get_keras_mask(e);
  ASSERT_TRUE(mask.defined());
  const Tensor h = (*act)((*td)(e));
  ASSERT_TRUE(get_keras_mask(h).defined());
  EXPECT_EQ(get_keras_mask(h).to_vector<std::int32_t>(), mask.to_vector<std::int32_t>());
  // Flatten and Conv1D do not support masking in Keras: the mask stops there.
  EXPECT_FALSE(get_keras_mask((*make<Flatten>())(e)).defined());
  EXPECT_FALSE(get_keras_mask((*make<Conv1D>(2, Ints{2}))(e)).defined());
  // Masking -> Dense: the Masking layer's own mask travels on.
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 0, 0, 3, 4}, Shape{1, 3, 2});
  const Tensor d = (*make<Dense>(3))((*make<Masking>(0.0))(x));
  EXPECT_EQ(get_keras_mask(d).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 1}));
}

TEST(MaskPropagation, MergeLayersCombineTheirInputsMasks) {
  keras::clear_session();
  auto emb = make<Embedding>(10, 3, EmbeddingOptions{.mask_zero = true});
  const Tensor a = (*emb)(Tensor::from_vector(std::vector<std::int32_t>{1, 0, 2, 0}, Shape{1, 4}));
  const Tensor b = (*emb)(Tensor::from_vector(std::vector<std::int32_t>{1, 1, 0, 0}, Shape{1, 4}));
  using V = std::vector<std::int32_t>;
  auto mask_of = [](const Tensor& t) { return get_keras_mask(t).to_vector<std::int32_t>(); };
  EXPECT_EQ(mask_of((*make<Add>())({a, b})), (V{1, 0, 0, 0}));  // Keras's Merge: all()
  EXPECT_EQ(mask_of((*make<Maximum>())({a, b})), (V{1, 0, 0, 0}));
  // An unmasked input does not restrict the others.
  const Tensor plain = ops::ones({1, 4, 3});
  EXPECT_EQ(mask_of((*make<Multiply>())({a, plain})), (V{1, 0, 1, 0}));
  // Concatenate on the features: any() over them, so a step is kept if either input keeps it.
  EXPECT_EQ(mask_of((*make<Concatenate>(-1))({a, b})), (V{1, 1, 1, 0}));
  EXPECT_EQ(mask_of((*make<Concatenate>(-1))({a, plain})), (V{1, 1, 1, 1}));
  // On the time axis: the masks follow their steps.
  EXPECT_EQ(mask_of((*make<Concatenate>(1))({a, b})), (V{1, 0, 1, 0, 1, 1, 0, 0}));
  EXPECT_FALSE(get_keras_mask((*make<Dot>(-1))({a, b})).defined());
  EXPECT_FALSE(get_keras_mask((*make<Add>())({plain, plain})).defined());
}

TEST(LayerLosses, ActivityRegularizationAddsItsPenaltyPerCall) {
  keras::clear_session();
  auto ar = make<ActivityRegularization>(0.1, 0.01);
  const Tensor a = Tensor::from_vector(std::vector<float>{1, -2, 3, 0}, {2, 2});
  EXPECT_TRUE(ar->losses().empty());
  (*ar)(a);
  ASSERT_EQ(ar->losses().size(), 1u);
  EXPECT_NEAR(ar->losses()[0].item(), (0.1 * 6 + 0.01 * 14) / 2, 1e-6);  // divided by the batch size
  (*ar)(a);  // a new outermost call replaces the previous call's losses
  EXPECT_EQ(ar->losses().size(), 1u);
}

TEST(LayerLosses, ActivityRegularizerOnAnyLayerAndModelLossesCollectSublayers) {
  keras::clear_session();
  auto dense = make<Dense>(2, DenseOptions{.use_bias = false, .kernel_initializer = "ones"});
  dense->set_activity_regularizer(keras::regularizers::L1L2{.l1 = 0.5});
  auto ar = make<ActivityRegularization>(0.0, 1.0);
  const Tensor inp = keras::Input({3});
  keras::Model model(inp, (*ar)((*dense)(inp)));
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, -1, 0, 0}, {2, 3});
  model(x);
  // Dense output rows: {6, 6} and {-1, -1}.
  const auto losses = model.losses();
  ASSERT_EQ(losses.size(), 2u);
  std::vector<double> got{losses[0].item(), losses[1].item()};
  std::sort(got.begin(), got.end());
  EXPECT_NEAR(got[0], 0.5 * 14 / 2, 1e-5);        // dense: l1 * sum|y| / batch
  EXPECT_NEAR(got[1], 1.0 * (72 + 2) / 2, 1e-5);  // ActivityRegularization: l2 * sum y² / batch
  model(x);
  EXPECT_EQ(model.losses().size(), 2u);
}

TEST(LayerLosses, ActivityRegularizerInTheConfigsThatHaveTheKey) {
  keras::clear_session();
  auto conv = make<Conv1D>(2, Ints{3});
  EXPECT_TRUE(conv->get_config()["activity_regularizer"].is_null());
  conv->set_activity_regularizer(keras::regularizers::L1L2{.l2 = 0.01});
  const auto r = conv->get_config()["activity_regularizer"];
  EXPECT_EQ(r["class_name"], "L1L2");
  EXPECT_EQ(r["module"], "keras.regularizers");
  EXPECT_EQ(r["config"]["l1"], 0.0);
  EXPECT_EQ(r["config"]["l2"], 0.01);
  auto lstm = make<LSTM>(2);
  lstm->set_activity_regularizer(keras::regularizers::L1L2{.l1 = 0.5});
  const auto lc = lstm->get_config();
  EXPECT_EQ(lc["activity_regularizer"]["config"]["l1"], 0.5);
  // Keras's key order is kept: activity_regularizer right after bias_regularizer.
  std::vector<std::string> keys;
  for (auto it = lc.begin(); it != lc.end(); ++it) keys.push_back(it.key());
  const auto at = std::find(keys.begin(), keys.end(), "activity_regularizer");
  ASSERT_NE(at, keys.end());
  EXPECT_EQ(*(at - 1), "bias_regularizer");
  // Its penalty follows each call: 0.01 * sum(y²) / batch.
  const Tensor y = (*conv)(ops::ones({2, 4, 1}));
  ASSERT_EQ(conv->losses().size(), 1u);
  EXPECT_NEAR(conv->losses()[0].item(), 0.01 * ops::sum(ops::square(y)).item() / 2, 1e-7);
}

// loss = mean((y - x·w)²) + l2 * sum((x·w)²) / batch, for a one-unit Dense without bias:
// train_on_batch returns it (before the update) and SGD steps along its gradient.
TEST(LayerLosses, TrainingAddsTheActivityPenaltyToTheLossAndItsGradient) {
  keras::clear_session();
  const double l2 = 0.25, lr = 0.1;
  auto dense = make<Dense>(1, DenseOptions{.use_bias = false, .kernel_initializer = "ones"});
  auto ar = make<ActivityRegularization>(0.0, l2);
  const Tensor inp = keras::Input({2});
  auto model = std::make_shared<keras::Model>(inp, (*ar)((*dense)(inp)));
  model->compile({.optimizer = std::make_shared<keras::optimizers::SGD>(lr), .loss = "mse"});
  const std::vector<float> xv{1, 2, -1, 0.5f, 3, 1};
  const std::vector<float> yv{1, 0, 2};
  const Tensor x = Tensor::from_vector(xv, {3, 2}), y = Tensor::from_vector(yv, {3, 1});
  double mse = 0, pen = 0, g0 = 0, g1 = 0;
  for (int i = 0; i < 3; ++i) {
    const double p = xv[2 * i] + xv[2 * i + 1];  // w = (1, 1)
    mse += (yv[i] - p) * (yv[i] - p) / 3;
    pen += l2 * p * p / 3;
    const double dp = -2 * (yv[i] - p) / 3 + 2 * l2 * p / 3;
    g0 += dp * xv[2 * i];
    g1 += dp * xv[2 * i + 1];
  }
  const double loss = model->train_on_batch(x, y).at("loss");
  EXPECT_NEAR(loss, mse + pen, 1e-5);
  const auto w = dense->kernel().value().to_vector<float>();
  EXPECT_NEAR(w[0], 1 - lr * g0, 1e-5);
  EXPECT_NEAR(w[1], 1 - lr * g1, 1e-5);
  // evaluate includes it too, as Keras's compute_loss does.
  const double p0 = xv[0] * w[0] + xv[1] * w[1], p1 = xv[2] * w[0] + xv[3] * w[1], p2 = xv[4] * w[0] + xv[5] * w[1];
  const double eval = ((yv[0] - p0) * (yv[0] - p0) + (yv[1] - p1) * (yv[1] - p1) + (yv[2] - p2) * (yv[2] - p2)) / 3 +
                      l2 * (p0 * p0 + p1 * p1 + p2 * p2) / 3;
  EXPECT_NEAR(model->test_on_batch(x, y).at("loss"), eval, 1e-5);
}

// ops.image.resize(bilinear) with half-pixel centers: output i samples (i + 0.5) / f - 0.5,
// clamped to the edges.
double bilinear_1d(const std::vector<double>& v, std::int64_t i, std::int64_t f) {
  const auto n = static_cast<std::int64_t>(v.size());
  double pos = std::clamp((i + 0.5) / static_cast<double>(f) - 0.5, 0.0, static_cast<double>(n - 1));
  const auto lo = static_cast<std::int64_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, n - 1);
  return v[static_cast<std::size_t>(lo)] * (1 - (pos - lo)) + v[static_cast<std::size_t>(hi)] * (pos - lo);
}

TEST(UpSampling2DBilinear, HalfPixelCentersLikeImageResize) {
  keras::clear_session();
  // One channel, 1 x 3 row [0, 4, 8] upsampled x2 along columns: Keras (jax/tf) gives
  // [0, 1, 3, 5, 7, 8].
  auto up = make<UpSampling2D>(Ints{1, 2}, "channels_last", "bilinear");
  const Tensor row = Tensor::from_vector(std::vector<float>{0, 4, 8}, Shape{1, 1, 3, 1});
  EXPECT_EQ(values((*up)(row)), (std::vector<float>{0, 1, 3, 5, 7, 8}));
  EXPECT_EQ(up->get_config()["interpolation"], "bilinear");

  // 2-D, several channels, factor 3 x 2, channels_first: separable reference.
  auto up2 = make<UpSampling2D>(Ints{3, 2}, "channels_first", "BILINEAR", LayerOptions{.dtype = DType::float64});
  const std::int64_t C = 2, H = 3, W = 4;
  std::vector<double> xv(static_cast<std::size_t>(C * H * W));
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = std::sin(0.7 * static_cast<double>(i)) * 3;
  const Tensor x = Tensor::from_vector(xv, Shape{1, C, H, W});
  const auto y = (*up2)(x).to_vector<double>();
  ASSERT_EQ(y.size(), static_cast<std::size_t>(C * H * 3 * W * 2));
  for (std::int64_t c = 0; c < C; ++c)
    for (std::int64_t i = 0; i < H * 3; ++i)
      for (std::int64_t j = 0; j < W * 2; ++j) {
        std::vector<double> rows(static_cast<std::size_t>(H));
        for (std::int64_t r = 0; r < H; ++r) {
          std::vector<double> line(xv.begin() + (c * H + r) * W, xv.begin() + (c * H + r + 1) * W);
          rows[static_cast<std::size_t>(r)] = bilinear_1d(line, j, 2);
        }
        EXPECT_NEAR(y[static_cast<std::size_t>((c * H * 3 + i) * W * 2 + j)], bilinear_1d(rows, i, 3), 1e-12);
      }
  EXPECT_THROW(make<UpSampling2D>(Ints{2, 2}, "channels_last", "bicubic"), keras::NotImplementedError);
}

}  // namespace
