// Reshaping, activation and regularization layers: the shared harness, values on small
// inputs, Keras's configs, training vs inference, and errors.
#include <cmath>

#include "layer_harness.h"

namespace {

using namespace keras::layers;
using keras::Shape;
using keras::Tensor;
using layer_harness::expect_value_error;
using layer_harness::Training;
constexpr keras::DType f64 = keras::DType::float64;
const LayerOptions o64{.dtype = f64};

template <class L, class... Args>
std::function<std::shared_ptr<Layer>()> factory(Args... args) {
  return [=]() -> std::shared_ptr<Layer> { return make<L>(args...); };
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

// Harness cases (ReshapingLayers).
KERAS_LAYER_CASES({
    {"Permute", factory<Permute>(std::vector<int>{2, 3, 1}, o64), {2, 3, 4, 5}, {2, 4, 5, 3}},
    {"RepeatVector", factory<RepeatVector>(3, o64), {2, 4}, {2, 3, 4}},
    {"Cropping1D", factory<Cropping1D>(Ints{1, 2}, o64), {2, 6, 3}, {2, 3, 3}},
    {"Cropping2D", factory<Cropping2D>(std::vector<Ints>{{1}, {0, 2}}, "channels_last", o64), {2, 5, 6, 2},
               {2, 3, 4, 2}},
    {"Cropping2D channels_first", factory<Cropping2D>(std::vector<Ints>{{1, 0}, {1}}, "channels_first", o64),
               {1, 2, 4, 5}, {1, 2, 3, 3}},
    {"ZeroPadding1D", factory<ZeroPadding1D>(Ints{2, 1}, "channels_last", o64), {2, 3, 2}, {2, 6, 2}},
    {"ZeroPadding2D", factory<ZeroPadding2D>(std::vector<Ints>{{1}, {2, 0}}, "channels_last", o64),
               {1, 3, 3, 2}, {1, 5, 5, 2}},
    {"UpSampling1D", factory<UpSampling1D>(3, o64), {2, 3, 2}, {2, 9, 2}},
    {"UpSampling2D", factory<UpSampling2D>(Ints{2, 3}, "channels_last", "nearest", o64), {1, 2, 3, 2},
               {1, 4, 9, 2}},
    {"UpSampling2D channels_first", factory<UpSampling2D>(Ints{2}, "channels_first", "nearest", o64),
               {1, 2, 2, 3}, {1, 2, 4, 6}},
});

TEST(ReshapingLayers, ValuesAndConfigs) {
  keras::clear_session();
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 2, 2, 1});
  auto pad = make<ZeroPadding2D>(std::vector<Ints>{{1, 0}, {0, 1}});
  EXPECT_EQ(values((*pad)(x)), (std::vector<float>{0, 0, 0, 1, 2, 0, 3, 4, 0}));
  EXPECT_EQ(pad->get_config()["padding"].dump(), "[[1,0],[0,1]]");
  auto up = make<UpSampling2D>();
  EXPECT_EQ(values((*up)(x)), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  EXPECT_EQ(up->get_config()["interpolation"], "nearest");
  auto up1 = make<UpSampling1D>();
  EXPECT_EQ(values((*up1)(Tensor::from_vector(std::vector<float>{1, 2}, {1, 2, 1}))), (std::vector<float>{1, 1, 2, 2}));
  auto crop = make<Cropping2D>(std::vector<Ints>{{1, 0}, {0, 1}});
  EXPECT_EQ(values((*crop)(x)), (std::vector<float>{3}));
  EXPECT_EQ(crop->get_config()["cropping"].dump(), "[[1,0],[0,1]]");
  auto rep = make<RepeatVector>(2);
  EXPECT_EQ(values((*rep)(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}))),
            (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4}));
  auto perm = make<Permute>(std::vector<int>{2, 1});
  EXPECT_EQ(values((*perm)(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {1, 2, 3}))),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(perm->get_config()["dims"].dump(), "[2,1]");
  EXPECT_EQ(make<Cropping1D>()->get_config()["cropping"].dump(), "[1,1]");
  EXPECT_EQ(make<ZeroPadding1D>()->get_config()["padding"].dump(), "[1,1]");
  EXPECT_EQ(make<ZeroPadding2D>()->get_config()["padding"].dump(), "[[1,1],[1,1]]");
}

TEST(ReshapingLayers, Errors) {
  keras::clear_session();
  expect_value_error([] { make<Permute>(std::vector<int>{0, 1}, LayerOptions{.name = "p"}); }, {"\"p\"", "dims=(0, 1)"});
  expect_value_error([] { make<RepeatVector>(0, LayerOptions{.name = "r"}); }, {"\"r\"", "n=0"});
  expect_value_error([] { (*make<RepeatVector>(2, LayerOptions{.name = "r3"}))(keras::Input({2, 3})); },
                     {"\"r3\"", "(None, 2, 3)"});
  expect_value_error([] { (*make<Cropping1D>(Ints{2, 2}, LayerOptions{.name = "c1"}))(keras::Input({4, 3})); },
                     {"\"c1\"", "(None, 4, 3)"});
  expect_value_error([] { (*make<Cropping2D>(std::vector<Ints>{{2}, {0}}, "channels_last", LayerOptions{.name = "c2"}))(
                              keras::Input({4, 4, 1})); },
                     {"\"c2\"", "(None, 4, 4, 1)"});
  expect_value_error([] { make<Cropping1D>(Ints{-1, 0}, LayerOptions{.name = "cn"}); }, {"\"cn\"", "cropping"});
  expect_value_error([] { make<ZeroPadding2D>(std::vector<Ints>{{1}, {-2}}, "channels_last", LayerOptions{.name = "zn"}); },
                     {"\"zn\"", "padding"});
  expect_value_error([] { make<UpSampling1D>(0, LayerOptions{.name = "u0"}); }, {"\"u0\"", "size=0"});
  expect_value_error([] { make<UpSampling2D>(Ints{2, 0}, "channels_last", "nearest", LayerOptions{.name = "u2"}); },
                     {"\"u2\"", "size"});
  EXPECT_THROW(make<UpSampling2D>(Ints{2}, "channels_last", "bicubic"), keras::NotImplementedError);
}

// Harness cases (ActivationLayers).
// Inputs stay away from the kinks (0, threshold, max_value) so that finite differences hold.
KERAS_LAYER_CASES({
    {"ReLU", factory<ReLU>(std::nullopt, 0.0, 0.0, o64), {3, 4}, {3, 4}, true, 0.1, 2.0},
    {"ReLU negative slope", factory<ReLU>(std::nullopt, 0.2, 0.0, o64), {3, 4}, {3, 4}, true, -2.0, -0.1},
    {"LeakyReLU", factory<LeakyReLU>(0.3, o64), {3, 4}, {3, 4}, true, -2.0, -0.1},
    {"PReLU", factory<PReLU>(keras::initializers::InitializerArg("uniform"), std::nullopt, o64), {2, 3, 4},
               {2, 3, 4}, true, -2.0, -0.1},
    {"PReLU shared axes", factory<PReLU>(keras::initializers::InitializerArg("uniform"),
               std::optional<std::vector<int>>(std::vector<int>{1}), o64), {2, 3, 4}, {2, 3, 4}, true, -2.0, -0.1},
    {"ELU", factory<ELU>(1.0, o64), {3, 4}, {3, 4}, true, -2.0, -0.1},
    {"Softmax", factory<Softmax>(-1, o64), {3, 4}, {3, 4}},
    {"Softmax over two axes", factory<Softmax>(std::vector<int>{1, 2}, o64), {2, 3, 4}, {2, 3, 4}},
});

TEST(ActivationLayers, ValuesAndConfigs) {
  keras::clear_session();
  const Tensor x = Tensor::from_vector(std::vector<float>{-10, -5, 0, 5, 10}, {1, 5});
  EXPECT_EQ(values((*make<ReLU>())(x)), (std::vector<float>{0, 0, 0, 5, 10}));
  EXPECT_EQ(values((*make<ReLU>(std::nullopt, 0.5))(x)), (std::vector<float>{-5, -2.5, 0, 5, 10}));
  EXPECT_EQ(values((*make<ReLU>(5.0))(x)), (std::vector<float>{0, 0, 0, 5, 5}));
  EXPECT_EQ(values((*make<ReLU>(std::nullopt, 0.0, 5.0))(x)), (std::vector<float>{0, 0, 0, 0, 10}));
  EXPECT_EQ(values((*make<ReLU>(8.0, 0.1, 2.0))(x)), (std::vector<float>{-1.2f, -0.7f, -0.2f, 5, 8}));
  EXPECT_EQ(values((*make<LeakyReLU>())(x)), (std::vector<float>{-3, -1.5, 0, 5, 10}));
  auto relu = make<ReLU>(6.0);
  EXPECT_EQ(relu->get_config()["max_value"], 6.0);
  EXPECT_EQ(relu->get_config()["negative_slope"], 0.0);
  EXPECT_EQ(make<LeakyReLU>()->get_config()["negative_slope"], 0.3);
  auto elu = make<ELU>();
  EXPECT_EQ(elu->get_config().size(), 3u);  // Keras's ELU config holds the base entries only
  EXPECT_NEAR(values((*elu)(x))[0], std::expm1(-10.0), 1e-6);
  auto prelu = make<PReLU>();
  (*prelu)(keras::Input({3, 4}));
  EXPECT_EQ(prelu->alpha().shape(), Shape({3, 4}));
  EXPECT_EQ(prelu->get_config()["alpha_initializer"]["class_name"], "Zeros");
  EXPECT_EQ(prelu->get_config()["shared_axes"], nullptr);
  auto shared = make<PReLU>("zeros", std::optional<std::vector<int>>(std::vector<int>{1, 2}));
  (*shared)(keras::Input({3, 4, 5}));
  EXPECT_EQ(shared->alpha().shape(), Shape({1, 1, 5}));
  EXPECT_EQ(shared->get_config()["shared_axes"].dump(), "[1,2]");
  const auto s = values((*make<Softmax>())(x));
  double total = 0;
  for (float v : s) total += v;
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_EQ(make<Softmax>()->get_config()["axis"], -1);
  expect_value_error([] { make<ReLU>(-1.0, 0.0, 0.0, LayerOptions{.name = "rn"}); }, {"\"rn\"", "max_value"});
  expect_value_error([] { make<LeakyReLU>(-0.1, LayerOptions{.name = "ln"}); }, {"\"ln\"", "negative_slope"});
}

// Harness cases (RegularizationLayers).
// At inference (what the harness calls) every one of these is the identity.
KERAS_LAYER_CASES({
    {.what = "SpatialDropout1D", .make = factory<SpatialDropout1D>(0.5, std::optional<std::uint64_t>(1), o64),
     .input_shape = {2, 3, 4}, .expected_shape = {2, 3, 4}, .training = Training::noise},
    {.what = "SpatialDropout2D", .make = factory<SpatialDropout2D>(0.5, "channels_last", std::optional<std::uint64_t>(1), o64),
     .input_shape = {2, 3, 3, 4}, .expected_shape = {2, 3, 3, 4}, .training = Training::noise},
    {.what = "SpatialDropout3D channels_first", .make = factory<SpatialDropout3D>(0.5, "channels_first", std::nullopt, o64),
     .input_shape = {2, 3, 2, 2, 2}, .expected_shape = {2, 3, 2, 2, 2}, .training = Training::noise},
    {.what = "GaussianNoise", .make = factory<GaussianNoise>(0.1, std::optional<std::uint64_t>(1), o64),
     .input_shape = {2, 3}, .expected_shape = {2, 3}, .training = Training::noise},
    {.what = "GaussianDropout", .make = factory<GaussianDropout>(0.2, std::optional<std::uint64_t>(1), o64),
     .input_shape = {2, 3}, .expected_shape = {2, 3}, .training = Training::noise},
    {"ActivityRegularization", factory<ActivityRegularization>(0.1, 0.2, o64), {2, 3}, {2, 3}},
});

TEST(RegularizationLayers, TrainingVersusInference) {
  keras::clear_session();
  const Tensor x = keras::ops::ones({8, 5, 6});
  auto sd = make<SpatialDropout1D>(0.5, std::optional<std::uint64_t>(3));
  EXPECT_EQ(values((*sd)(x, false)), values(x));
  const auto y = values((*sd)(x, true));
  // Whole channels are dropped: along the steps axis every value of a (sample, channel) is
  // the same, 0 or 1 / (1 - rate).
  int dropped = 0;
  for (int n = 0; n < 8; ++n)
    for (int c = 0; c < 6; ++c) {
      const float first = y[static_cast<std::size_t>((n * 5) * 6 + c)];
      EXPECT_TRUE(first == 0.0f || first == 2.0f);
      dropped += first == 0.0f;
      for (int t = 1; t < 5; ++t) EXPECT_EQ(y[static_cast<std::size_t>((n * 5 + t) * 6 + c)], first);
    }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 48);
  EXPECT_NE(values((*sd)(x, true)), y);  // a fresh mask per call

  auto sd2 = make<SpatialDropout2D>(0.5, "channels_first", std::optional<std::uint64_t>(4));
  const auto y2 = values((*sd2)(keras::ops::ones({2, 3, 4, 4}), true));
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int i = 1; i < 16; ++i) EXPECT_EQ(y2[static_cast<std::size_t>((n * 3 + c) * 16 + i)], y2[static_cast<std::size_t>((n * 3 + c) * 16)]);

  auto noise = make<GaussianNoise>(0.5, std::optional<std::uint64_t>(5));
  const Tensor big = keras::ops::zeros({100, 100});
  EXPECT_EQ(values((*noise)(big, false)), values(big));
  const Tensor n = (*noise)(big, true);
  EXPECT_NEAR(keras::ops::mean(n).item(), 0.0, 0.02);
  EXPECT_NEAR(keras::ops::std(n).item(), 0.5, 0.02);

  auto gd = make<GaussianDropout>(0.5, std::optional<std::uint64_t>(6));  // stddev sqrt(0.5 / 0.5) = 1
  const Tensor g = (*gd)(keras::ops::full({100, 100}, 2.0), true);
  EXPECT_NEAR(keras::ops::mean(g).item(), 2.0, 0.05);
  EXPECT_NEAR(keras::ops::std(g).item(), 2.0, 0.05);

  auto ar = make<ActivityRegularization>(0.1, 0.01);
  const Tensor a = Tensor::from_vector(std::vector<float>{1, -2, 3, 0}, {2, 2});
  EXPECT_EQ(values((*ar)(a)), values(a));
  EXPECT_NEAR(ar->activity_loss().item(), (0.1 * 6 + 0.01 * 14) / 2, 1e-6);  // divided by the batch size
}

TEST(RegularizationLayers, CompiledTrainingStepsDrawFreshNoiseEachRun) {
  keras::clear_session();
  auto sd = make<SpatialDropout2D>(0.5, "channels_last", std::optional<std::uint64_t>(11));
  auto noise = make<GaussianNoise>(0.3, std::optional<std::uint64_t>(12));
  auto gd = make<GaussianDropout>(0.3, std::optional<std::uint64_t>(13));
  keras::Function step([&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{(*sd)(in[0], true), (*noise)(in[0], true), (*gd)(in[0], true)};
  });
  const Tensor x = keras::ops::ones({4, 3, 3, 8});
  const auto first = step({x}), second = step({x});
  EXPECT_EQ(step.num_traces(), 1);
  for (int i = 0; i < 3; ++i) EXPECT_NE(values(first[static_cast<std::size_t>(i)]), values(second[static_cast<std::size_t>(i)])) << i;
  // The spatial mask still covers whole channels in the compiled step.
  const auto m = values(second[0]);
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 8; ++c)
      for (int p = 1; p < 9; ++p) EXPECT_EQ(m[static_cast<std::size_t>((n * 9 + p) * 8 + c)], m[static_cast<std::size_t>(n * 72 + c)]);
}

TEST(RegularizationLayers, Configs) {
  keras::clear_session();
  auto sd = make<SpatialDropout2D>(0.25);
  EXPECT_EQ(sd->get_config().dump(),
            R"({"rate":0.25,"seed":null,"name":"spatial_dropout2d","dtype":"float32","data_format":"channels_last"})");
  EXPECT_EQ(make<SpatialDropout1D>(0.1, std::optional<std::uint64_t>(7))->get_config()["seed"], 7);
  EXPECT_EQ(make<GaussianNoise>(0.1)->get_config()["stddev"], 0.1);
  EXPECT_EQ(make<GaussianDropout>(0.3)->get_config()["rate"], 0.3);
  const auto ar = make<ActivityRegularization>(0.5)->get_config();
  EXPECT_EQ(ar["l1"], 0.5);
  EXPECT_EQ(ar["l2"], 0.0);
  expect_value_error([] { make<SpatialDropout1D>(1.5, std::nullopt, LayerOptions{.name = "s15"}); }, {"\"s15\"", "rate"});
  expect_value_error([] { make<GaussianNoise>(-0.1, std::nullopt, LayerOptions{.name = "gn"}); }, {"\"gn\"", "stddev"});
  expect_value_error([] { (*make<SpatialDropout2D>(0.5, "channels_last", std::nullopt, LayerOptions{.name = "s2"}))(
                              keras::Input({3, 3})); },
                     {"\"s2\"", "(None, 3, 3)"});
}

}  // namespace
