// Convolution, pooling and normalization layers: the shared harness (shapes eager/symbolic/
// compiled, config, finite-difference gradients), Keras's configs and weights, BatchNorm's
// training vs inference behaviour, and errors naming the layer and the shapes.
#include <cmath>

#include "layer_harness.h"

namespace {

using namespace keras::layers;
using keras::Shape;
using keras::Tensor;
using layer_harness::expect_value_error;
using layer_harness::LayerCase;
constexpr keras::DType f64 = keras::DType::float64;

template <class L, class... Args>
std::function<std::shared_ptr<Layer>()> factory(Args... args) {
  return [=]() -> std::shared_ptr<Layer> { return make<L>(args...); };
}

// Harness cases (ConvLayers).
KERAS_LAYER_CASES({
    {"Conv1D causal dilated", factory<Conv1D>(3, Ints{2}, ConvOptions{.padding = "causal", .dilation_rate = {2}, .dtype = f64}),
               {2, 7, 2}, {2, 7, 3}},
    {"Conv2D same strides", factory<Conv2D>(4, Ints{3, 3}, ConvOptions{.strides = {2}, .padding = "same", .dtype = f64}),
               {2, 5, 6, 3}, {2, 3, 3, 4}},
    {"Conv2D groups, tanh", factory<Conv2D>(4, Ints{2, 2}, ConvOptions{.groups = 2, .activation = "tanh", .dtype = f64}),
               {1, 4, 4, 6}, {1, 3, 3, 4}},
    {"Conv2D channels_first, no bias", factory<Conv2D>(2, Ints{3}, ConvOptions{.data_format = "channels_first", .use_bias = false, .dtype = f64}),
               {2, 3, 5, 4}, {2, 2, 3, 2}},
    {"Conv3D", factory<Conv3D>(2, Ints{2, 2, 2}, ConvOptions{.dtype = f64}), {1, 3, 4, 3, 2}, {1, 2, 3, 2, 2}},
    {"Conv2D relu (fused conv + bias + relu)", factory<Conv2D>(3, Ints{3, 3}, ConvOptions{.activation = "relu", .dtype = f64}),
               {2, 6, 5, 2}, {2, 4, 3, 3}},
    {"Conv1DTranspose", factory<Conv1DTranspose>(2, Ints{3}, ConvTransposeOptions{.strides = {2}, .dtype = f64}),
               {2, 4, 3}, {2, 9, 2}},
    {"Conv2DTranspose same, output_padding", factory<Conv2DTranspose>(3, Ints{3, 3},
               ConvTransposeOptions{.strides = {2}, .padding = "same", .output_padding = Ints{1}, .dtype = f64}),
               {1, 3, 3, 2}, {1, 6, 6, 3}},
    {"Conv3DTranspose", factory<Conv3DTranspose>(2, Ints{2}, ConvTransposeOptions{.dtype = f64}), {1, 2, 2, 2, 1},
               {1, 3, 3, 3, 2}},
    {"DepthwiseConv2D multiplier 2", factory<DepthwiseConv2D>(Ints{3, 3},
               DepthwiseConvOptions{.padding = "same", .depth_multiplier = 2, .dtype = f64}),
               {2, 4, 5, 3}, {2, 4, 5, 6}},
    {"DepthwiseConv1D", factory<DepthwiseConv1D>(Ints{2}, DepthwiseConvOptions{.dtype = f64}), {2, 5, 3}, {2, 4, 3}},
    {"SeparableConv2D", factory<SeparableConv2D>(4, Ints{3, 3}, SeparableConvOptions{.depth_multiplier = 2, .dtype = f64}),
               {1, 5, 5, 2}, {1, 3, 3, 4}},
    {"SeparableConv1D", factory<SeparableConv1D>(3, Ints{2}, SeparableConvOptions{.strides = {2}, .padding = "same", .dtype = f64}),
               {2, 5, 2}, {2, 3, 3}},
});

// Harness cases (PoolingLayers).
KERAS_LAYER_CASES({
    {"MaxPooling1D", factory<MaxPooling1D>(Ints{2}, PoolingOptions{.dtype = f64}), {2, 7, 3}, {2, 3, 3}},
    {"MaxPooling2D same", factory<MaxPooling2D>(Ints{3, 3}, PoolingOptions{.strides = {2}, .padding = "same", .dtype = f64}),
               {2, 5, 4, 2}, {2, 3, 2, 2}},
    {"MaxPooling3D", factory<MaxPooling3D>(Ints{2, 2, 2}, PoolingOptions{.dtype = f64}), {1, 4, 4, 4, 2}, {1, 2, 2, 2, 2}},
    {"AveragePooling1D channels_first", factory<AveragePooling1D>(Ints{2}, PoolingOptions{.data_format = "channels_first", .dtype = f64}),
               {2, 3, 6}, {2, 3, 3}},
    {"AveragePooling2D same", factory<AveragePooling2D>(Ints{2, 2}, PoolingOptions{.strides = {1}, .padding = "same", .dtype = f64}),
               {1, 3, 3, 2}, {1, 3, 3, 2}},
    {"AveragePooling3D", factory<AveragePooling3D>(Ints{2}, PoolingOptions{.dtype = f64}), {1, 4, 2, 2, 1}, {1, 2, 1, 1, 1}},
    {"GlobalMaxPooling1D", factory<GlobalMaxPooling1D>(GlobalPoolingOptions{.dtype = f64}), {2, 5, 3}, {2, 3}},
    {"GlobalMaxPooling2D keepdims", factory<GlobalMaxPooling2D>(GlobalPoolingOptions{.keepdims = true, .dtype = f64}),
               {2, 3, 4, 3}, {2, 1, 1, 3}},
    {"GlobalMaxPooling3D", factory<GlobalMaxPooling3D>(GlobalPoolingOptions{.dtype = f64}), {1, 2, 2, 2, 3}, {1, 3}},
    {"GlobalAveragePooling1D", factory<GlobalAveragePooling1D>(GlobalPoolingOptions{.dtype = f64}), {2, 5, 3}, {2, 3}},
    {"GlobalAveragePooling2D channels_first", factory<GlobalAveragePooling2D>(GlobalPoolingOptions{.data_format = "channels_first", .dtype = f64}),
               {2, 3, 4, 5}, {2, 3}},
    {"GlobalAveragePooling3D", factory<GlobalAveragePooling3D>(GlobalPoolingOptions{.dtype = f64}), {1, 2, 2, 2, 3}, {1, 3}},
});

// Harness cases (NormalizationLayers).
KERAS_LAYER_CASES({
    {.what = "BatchNormalization", .make = factory<BatchNormalization>(BatchNormalizationOptions{.dtype = f64}),
     .input_shape = {4, 3}, .expected_shape = {4, 3}, .training = layer_harness::Training::batch_statistics},
    {.what = "BatchNormalization axis 1", .make = factory<BatchNormalization>(BatchNormalizationOptions{.axis = 1, .dtype = f64}),
     .input_shape = {2, 3, 4}, .expected_shape = {2, 3, 4}, .training = layer_harness::Training::batch_statistics},
    {"LayerNormalization", factory<LayerNormalization>(LayerNormalizationOptions{.dtype = f64}), {3, 5}, {3, 5}},
    {"LayerNormalization two axes", factory<LayerNormalization>(LayerNormalizationOptions{.axis = {1, 2}, .dtype = f64}),
               {2, 3, 4}, {2, 3, 4}},
    {"GroupNormalization", factory<GroupNormalization>(GroupNormalizationOptions{.groups = 2, .dtype = f64}),
               {2, 3, 4}, {2, 3, 4}},
    {"UnitNormalization", factory<UnitNormalization>(std::vector<int>{-1}, LayerOptions{.dtype = f64}), {3, 4}, {3, 4}},
});

TEST(ConvLayers, WeightsAndKerasConfig) {
  keras::clear_session();
  auto conv = make<Conv2D>(8, Ints{3}, ConvOptions{.strides = {2, 1}, .groups = 2});
  (*conv)(keras::Input({9, 9, 4}));
  ASSERT_EQ(conv->weights().size(), 2u);
  EXPECT_EQ(conv->weights()[0].name(), "kernel");
  EXPECT_EQ(conv->weights()[0].shape(), Shape({3, 3, 2, 8}));
  EXPECT_EQ(conv->weights()[1].name(), "bias");
  EXPECT_EQ(conv->count_params(), 3 * 3 * 2 * 8 + 8);
  const auto c = conv->get_config();
  EXPECT_EQ(c["name"], "conv2d");
  EXPECT_EQ(c["kernel_size"].dump(), "[3,3]");
  EXPECT_EQ(c["strides"].dump(), "[2,1]");
  EXPECT_EQ(c["dilation_rate"].dump(), "[1,1]");
  EXPECT_EQ(c["groups"], 2);
  EXPECT_EQ(c["activation"], "linear");
  EXPECT_EQ(c["kernel_initializer"]["class_name"], "GlorotUniform");

  auto t = make<Conv2DTranspose>(5, Ints{3}, ConvTransposeOptions{});
  (*t)(keras::Input({4, 4, 2}));
  EXPECT_EQ(t->kernel().shape(), Shape({3, 3, 5, 2}));
  EXPECT_EQ(t->get_config()["output_padding"], nullptr);
  EXPECT_EQ(t->name(), "conv2d_transpose");

  auto d = make<DepthwiseConv2D>(Ints{3}, DepthwiseConvOptions{.depth_multiplier = 3});
  (*d)(keras::Input({6, 6, 2}));
  EXPECT_EQ(d->kernel().shape(), Shape({3, 3, 2, 3}));
  EXPECT_EQ(d->bias().shape(), Shape({6}));
  EXPECT_EQ(d->name(), "depthwise_conv2d");

  auto s = make<SeparableConv2D>(4, Ints{3}, SeparableConvOptions{.depth_multiplier = 2});
  (*s)(keras::Input({6, 6, 3}));
  const auto sw = s->weights();
  ASSERT_EQ(sw.size(), 3u);
  EXPECT_EQ(sw[0].name(), "depthwise_kernel");
  EXPECT_EQ(sw[0].shape(), Shape({3, 3, 3, 2}));
  EXPECT_EQ(sw[1].name(), "pointwise_kernel");
  EXPECT_EQ(sw[1].shape(), Shape({1, 1, 6, 4}));
  EXPECT_EQ(s->name(), "separable_conv2d");

  // Keras's int shorthand: Conv2D(16, 3), MaxPooling2D(3).
  auto short_conv = make<Conv2D>(16, 3);
  EXPECT_EQ(short_conv->kernel_size(), (Ints{3, 3}));
  EXPECT_EQ(make<MaxPooling2D>(3)->pool_size(), (Ints{3, 3}));
  EXPECT_EQ(make<MaxPooling1D>(3)->strides(), (Ints{3}));

  auto p = make<MaxPooling2D>();
  const auto pc = p->get_config();
  EXPECT_EQ(pc["pool_size"].dump(), "[2,2]");
  EXPECT_EQ(pc["strides"].dump(), "[2,2]");  // strides default to pool_size
  EXPECT_EQ(pc["padding"], "valid");
  auto g = make<GlobalAveragePooling2D>();
  EXPECT_EQ(g->get_config()["keepdims"], false);
  EXPECT_EQ(g->name(), "global_average_pooling2d");
}

TEST(ConvLayers, ErrorsNameTheLayerAndShapes) {
  keras::clear_session();
  // Wrong rank.
  expect_value_error([] { (*make<Conv2D>(2, Ints{3}, ConvOptions{.name = "c2"}))(keras::Input({10, 10})); },
                     {"\"c2\"", "min_ndim=4", "(None, 10, 10)"});
  expect_value_error([] { (*make<Conv2D>(2, Ints{3}, ConvOptions{.name = "c2b"}))(keras::ops::zeros({1, 5, 5, 5, 1})); },
                     {"\"c2b\"", "(1, 5, 5, 5, 1)"});
  expect_value_error([] { (*make<MaxPooling2D>(Ints{2}, PoolingOptions{.name = "p"}))(keras::Input({10})); },
                     {"\"p\"", "ndim=4", "(None, 10)"});
  // Kernel larger than the input with valid padding.
  expect_value_error([] { (*make<Conv2D>(2, Ints{5}, ConvOptions{.name = "big"}))(keras::Input({4, 8, 1})); },
                     {"\"big\"", "(None, 4, 8, 1)", "(5, 5)"});
  expect_value_error([] { (*make<Conv1D>(2, Ints{2}, ConvOptions{.dilation_rate = {4}, .name = "dil"}))(keras::Input({4, 1})); },
                     {"\"dil\"", "(None, 4, 1)"});
  expect_value_error([] { (*make<MaxPooling2D>(Ints{3}, PoolingOptions{.name = "bigpool"}))(keras::Input({2, 8, 1})); },
                     {"\"bigpool\"", "(None, 2, 8, 1)"});
  // A failed build creates no weights.
  auto big = make<Conv2D>(2, Ints{5});
  EXPECT_THROW((*big)(keras::ops::zeros({1, 4, 4, 1})), keras::ValueError);
  EXPECT_FALSE(big->built());
  EXPECT_TRUE(big->weights().empty());
  // Negative or zero sizes.
  expect_value_error([] { make<Conv2D>(0, Ints{3}, ConvOptions{.name = "zf"}); }, {"\"zf\"", "filters=0"});
  expect_value_error([] { make<Conv2D>(2, Ints{3, 0}, ConvOptions{.name = "zk"}); }, {"\"zk\"", "kernel_size=(3, 0)"});
  expect_value_error([] { make<Conv2D>(2, Ints{3}, ConvOptions{.strides = {-1}, .name = "zs"}); }, {"\"zs\"", "strides"});
  expect_value_error([] { make<Conv1D>(2, Ints{3}, ConvOptions{.dilation_rate = {0}, .name = "zd"}); }, {"\"zd\"", "dilation_rate"});
  expect_value_error([] { make<Conv2D>(2, Ints{3}, ConvOptions{.groups = 0, .name = "zg"}); }, {"\"zg\"", "groups=0"});
  expect_value_error([] { make<Conv2D>(3, Ints{3}, ConvOptions{.groups = 2, .name = "g3"}); }, {"\"g3\"", "groups=2", "filters=3"});
  expect_value_error([] { (*make<Conv2D>(4, Ints{3}, ConvOptions{.groups = 2, .name = "gc"}))(keras::Input({5, 5, 3})); },
                     {"\"gc\"", "3 channels", "(None, 5, 5, 3)"});
  expect_value_error([] { make<DepthwiseConv2D>(Ints{3}, DepthwiseConvOptions{.depth_multiplier = 0, .name = "dm"}); },
                     {"\"dm\"", "depth_multiplier=0"});
  expect_value_error([] { make<MaxPooling2D>(Ints{0, 2}, PoolingOptions{.name = "zp"}); }, {"\"zp\"", "pool_size"});
  expect_value_error([] { make<Conv2DTranspose>(2, Ints{3}, ConvTransposeOptions{.strides = {2}, .output_padding = Ints{2}, .name = "op"}); },
                     {"\"op\"", "output_padding"});
  expect_value_error([] { make<Conv2D>(2, Ints{3}, ConvOptions{.padding = "causal", .name = "cz"}); }, {"\"cz\"", "causal"});
  expect_value_error([] { make<Conv2D>(2, Ints{3}, ConvOptions{.strides = {2}, .dilation_rate = {2}, .name = "sd"}); },
                     {"\"sd\"", "dilation_rate"});
  // A built layer checks the channel count of later inputs.
  auto conv = make<Conv2D>(2, Ints{3}, ConvOptions{.name = "fixed"});
  (*conv)(keras::Input({8, 8, 3}));
  expect_value_error([&] { (*conv)(keras::Input({8, 8, 4})); }, {"\"fixed\"", "(None, 8, 8, 4)"});
}

TEST(BatchNormalization, TrainingUsesBatchStatisticsAndUpdatesMovingStatistics) {
  keras::clear_session();
  auto bn = make<BatchNormalization>();
  // Two features: column 0 = {1, 2, 3, 6} (mean 3, biased var 3.5), column 1 = {0, 0, 4, 4}.
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 0, 2, 0, 3, 4, 6, 4}, {4, 2});
  const Tensor inference = (*bn)(x, false);
  // Inference with the initial moving statistics (0, 1): x / sqrt(1 + 1e-3).
  const auto inf = inference.to_vector<float>();
  for (std::size_t i = 0; i < inf.size(); ++i) EXPECT_NEAR(inf[i], x.to_vector<float>()[i] / std::sqrt(1.001), 1e-6);
  EXPECT_EQ(bn->moving_mean().value().to_vector<float>(), (std::vector<float>{0, 0}));

  const auto y = (*bn)(x, true).to_vector<float>();
  const double mean0 = 3, var0 = 3.5, mean1 = 2, var1 = 4;
  EXPECT_NEAR(y[0], (1 - mean0) / std::sqrt(var0 + 1e-3), 1e-5);
  EXPECT_NEAR(y[6], (6 - mean0) / std::sqrt(var0 + 1e-3), 1e-5);
  EXPECT_NEAR(y[1], (0 - mean1) / std::sqrt(var1 + 1e-3), 1e-5);
  // moving = moving * 0.99 + batch * 0.01
  const auto mm = bn->moving_mean().value().to_vector<float>();
  const auto mv = bn->moving_variance().value().to_vector<float>();
  EXPECT_NEAR(mm[0], 0.01 * mean0, 1e-6);
  EXPECT_NEAR(mm[1], 0.01 * mean1, 1e-6);
  EXPECT_NEAR(mv[0], 0.99 + 0.01 * var0, 1e-6);
  EXPECT_NEAR(mv[1], 0.99 + 0.01 * var1, 1e-6);

  // A frozen layer normalizes with its moving statistics even in training mode (Keras 3).
  bn->set_trainable(false);
  const auto frozen = (*bn)(x, true).to_vector<float>();
  EXPECT_NEAR(frozen[0], (1 - mm[0]) / std::sqrt(mv[0] + 1e-3), 1e-5);
  EXPECT_EQ(bn->moving_mean().value().to_vector<float>(), mm);
}

TEST(BatchNormalization, CompiledTrainingStepAssignsMovingStatisticsEachRun) {
  keras::clear_session();
  auto bn = make<BatchNormalization>(BatchNormalizationOptions{.momentum = 0.5});
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 3, 5, 7}, {4, 1});  // mean 4, var 5
  (*bn)(x, false);  // build
  keras::Function step([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{(*bn)(in[0], true)}; });
  step({x});
  EXPECT_NEAR(bn->moving_mean().value().item(), 2.0, 1e-6);      // 0 * 0.5 + 4 * 0.5
  EXPECT_NEAR(bn->moving_variance().value().item(), 3.0, 1e-6);  // 1 * 0.5 + 5 * 0.5
  step({x});
  EXPECT_EQ(step.num_traces(), 1);
  EXPECT_NEAR(bn->moving_mean().value().item(), 3.0, 1e-6);
  EXPECT_NEAR(bn->moving_variance().value().item(), 4.0, 1e-6);
  // Inference-mode plans read the current moving statistics.
  keras::Function infer([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{(*bn)(in[0], false)}; });
  EXPECT_NEAR(infer({x})[0].to_vector<float>()[0], (1 - 3.0) / std::sqrt(4.0 + 1e-3), 1e-5);
}

TEST(BatchNormalization, ConfigAndWeights) {
  keras::clear_session();
  auto bn = make<BatchNormalization>(BatchNormalizationOptions{.center = false});
  (*bn)(keras::Input({5, 3}));
  const auto w = bn->weights();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].name(), "gamma");
  EXPECT_EQ(w[1].name(), "moving_mean");
  EXPECT_FALSE(w[1].trainable());
  EXPECT_EQ(w[2].name(), "moving_variance");
  EXPECT_EQ(bn->trainable_weights().size(), 1u);
  const auto c = bn->get_config();
  EXPECT_EQ(c["axis"], -1);
  EXPECT_EQ(c["momentum"], 0.99);
  EXPECT_EQ(c["epsilon"], 0.001);
  EXPECT_EQ(c["center"], false);
  EXPECT_EQ(c["moving_variance_initializer"]["class_name"], "Ones");
  expect_value_error([] { (*make<BatchNormalization>(BatchNormalizationOptions{.axis = 3, .name = "bn3"}))(keras::Input({4})); },
                     {"\"bn3\"", "(None, 4)"});
  expect_value_error([] { (*make<BatchNormalization>(BatchNormalizationOptions{.name = "bnx"}))(keras::Input({-1})); },
                     {"\"bnx\"", "(None, None)"});
}

TEST(NormalizationLayers, ValuesAndConfigs) {
  keras::clear_session();
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 2, 2, 2, 2}, {2, 4});
  auto ln = make<LayerNormalization>();
  EXPECT_EQ(ln->get_config()["axis"], -1);
  const auto y = (*ln)(x).to_vector<float>();
  const double sd = std::sqrt(1.25 + 1e-3);
  EXPECT_NEAR(y[0], (1 - 2.5) / sd, 1e-5);
  EXPECT_NEAR(y[3], (4 - 2.5) / sd, 1e-5);
  EXPECT_NEAR(y[5], 0.0, 1e-6);
  EXPECT_EQ(ln->get_config()["axis"].dump(), "[-1]");  // a built layer's axis is a list, as in Keras
  ASSERT_EQ(ln->weights().size(), 2u);
  EXPECT_EQ(ln->weights()[0].name(), "gamma");

  // Two groups of two channels: group {1,2} and {3,4} of sample 0.
  auto gn = make<GroupNormalization>(GroupNormalizationOptions{.groups = 2});
  const auto g = (*gn)(x).to_vector<float>();
  EXPECT_NEAR(g[0], -0.5 / std::sqrt(0.25 + 1e-3), 1e-5);
  EXPECT_NEAR(g[3], 0.5 / std::sqrt(0.25 + 1e-3), 1e-5);
  EXPECT_EQ(gn->get_config()["groups"], 2);
  expect_value_error([] { (*make<GroupNormalization>(GroupNormalizationOptions{.groups = 3, .name = "g3"}))(keras::Input({4})); },
                     {"\"g3\"", "(3)", "(4)"});
  expect_value_error([] { (*make<GroupNormalization>(GroupNormalizationOptions{.name = "g32"}))(keras::Input({4})); },
                     {"\"g32\"", "(32)"});
  expect_value_error([] { make<GroupNormalization>(GroupNormalizationOptions{.groups = 0, .name = "g0"}); }, {"\"g0\"", "groups=0"});

  auto un = make<UnitNormalization>();
  const auto u = (*un)(x).to_vector<float>();
  EXPECT_NEAR(u[0], 1 / std::sqrt(30.0), 1e-6);
  EXPECT_NEAR(u[4], 0.5, 1e-6);
  EXPECT_EQ(un->get_config()["axis"], -1);
}

}  // namespace
