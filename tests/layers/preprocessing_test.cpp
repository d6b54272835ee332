// Rescaling and Normalization: values, adapt (whole data and batches), given statistics,
// invert, weights, configs, compiled use inside a model, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "keras/layers/core.h"
#include "keras/layers/preprocessing.h"
#include "keras/models/model.h"
#include "keras/ops/ops.h"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
using namespace keras::layers;
namespace ops = keras::ops;

Tensor random_tensor(const Shape& shape, unsigned seed, float low, float high) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(gen);
  return Tensor::from_vector(v, shape);
}

TEST(Rescaling, ScalesAndOffsetsInFloat) {
  keras::clear_session();
  auto r = make<Rescaling>(1.0 / 255, -0.5);
  EXPECT_EQ(r->name(), "rescaling");
  const Tensor pixels = Tensor::from_vector(std::vector<std::int32_t>{0, 51, 255}, Shape{1, 3});
  const auto y = (*r)(pixels);
  EXPECT_EQ(y.dtype(), DType::float32);
  const auto v = y.to_vector<float>();
  EXPECT_NEAR(v[0], -0.5f, 1e-7f);
  EXPECT_NEAR(v[1], -0.3f, 1e-6f);
  EXPECT_NEAR(v[2], 0.5f, 1e-6f);
  EXPECT_EQ(r->get_config()["scale"], 1.0 / 255);
  EXPECT_EQ(r->get_config()["offset"], -0.5);
  EXPECT_TRUE(r->weights().empty());
  auto per_channel = make<Rescaling>(std::vector<double>{2, 3}, std::vector<double>{0, 1});
  EXPECT_EQ((*per_channel)(Tensor::from_vector(std::vector<float>{1, 1, 2, 2}, Shape{2, 2})).to_vector<float>(),
            (std::vector<float>{2, 4, 4, 7}));
  EXPECT_EQ(per_channel->get_config()["scale"], (Config{2.0, 3.0}));
}

TEST(Normalization, AdaptComputesPerFeatureStatistics) {
  keras::clear_session();
  auto norm = make<Normalization>();
  EXPECT_EQ(norm->name(), "normalization");
  const Tensor x = random_tensor({200, 3}, 1, -4, 10);
  norm->adapt(x);
  ASSERT_EQ(norm->weights().size(), 3u);
  EXPECT_EQ(norm->weights()[0].name(), "mean");
  EXPECT_EQ(norm->weights()[1].name(), "variance");
  EXPECT_EQ(norm->weights()[2].name(), "count");
  EXPECT_EQ(norm->weights()[2].dtype(), DType::int32);
  EXPECT_TRUE(norm->trainable_weights().empty());
  const auto xv = x.to_vector<double>();
  for (int f = 0; f < 3; ++f) {
    double mean = 0, var = 0;
    for (int i = 0; i < 200; ++i) mean += xv[i * 3 + f] / 200;
    for (int i = 0; i < 200; ++i) var += (xv[i * 3 + f] - mean) * (xv[i * 3 + f] - mean) / 200;
    EXPECT_NEAR(norm->weights()[0].value().to_vector<double>()[f], mean, 1e-5);
    EXPECT_NEAR(norm->weights()[1].value().to_vector<double>()[f], var, 1e-4);
  }
  // The output has zero mean and unit variance per feature.
  const Tensor y = (*norm)(x);
  const auto m = ops::mean(y, 0).to_vector<double>(), v = ops::var(y, 0).to_vector<double>();
  for (int f = 0; f < 3; ++f) {
    EXPECT_NEAR(m[f], 0.0, 1e-5);
    EXPECT_NEAR(v[f], 1.0, 1e-4);
  }
}

TEST(Normalization, AdaptOverBatchesMatchesWholeData) {
  const Tensor x = random_tensor({10, 4, 2}, 2, -1, 3);
  auto whole = make<Normalization>(NormalizationOptions{.axis = {1, 2}});
  whole->adapt(x);
  auto batched = make<Normalization>(NormalizationOptions{.axis = {1, 2}});
  batched->adapt(std::vector<Tensor>{ops::slice(x, {0, 0, 0}, {4, -1, -1}), ops::slice(x, {4, 0, 0}, {3, -1, -1}),
                                     ops::slice(x, {7, 0, 0}, {3, -1, -1})});
  for (int w = 0; w < 2; ++w) {
    const auto a = whole->weights()[w].value().to_vector<double>(), b = batched->weights()[w].value().to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << w << " " << i;
  }
  EXPECT_EQ(whole->weights()[0].shape(), (Shape{4, 2}));
  // axis = None: one mean for everything.
  auto global = make<Normalization>(NormalizationOptions{.axis = {}});
  global->adapt(x);
  EXPECT_EQ(global->weights()[0].shape(), Shape{});
  EXPECT_NEAR(global->weights()[0].value().item(), ops::mean(x).item(), 1e-5);
  EXPECT_THROW(whole->adapt(random_tensor({5, 3, 2}, 3, 0, 1)), keras::ValueError);  // kept axis 1 differs
}

TEST(Normalization, GivenStatisticsInvertAndConfig) {
  const Tensor mean = Tensor::from_vector(std::vector<float>{1, 2}, Shape{2});
  const Tensor var = Tensor::from_vector(std::vector<float>{4, 0}, Shape{2});
  auto norm = make<Normalization>(NormalizationOptions{.mean = mean, .variance = var});
  const Tensor x = Tensor::from_vector(std::vector<float>{3, 2, 5, 3}, Shape{2, 2});
  const auto y = (*norm)(x).to_vector<float>();
  EXPECT_NEAR(y[0], 1.0f, 1e-6f);
  EXPECT_NEAR(y[1], 0.0f, 1e-6f);
  EXPECT_NEAR(y[2], 2.0f, 1e-6f);
  EXPECT_NEAR(y[3], 1.0f / 1e-7f, 1.0f);  // variance 0: divided by epsilon
  EXPECT_TRUE(norm->weights().empty());
  auto inverse = make<Normalization>(NormalizationOptions{.mean = mean, .variance = var, .invert = true});
  EXPECT_NEAR((*inverse)(Tensor::from_vector(std::vector<float>{1, 0}, Shape{1, 2})).to_vector<float>()[0], 3.0f, 1e-6f);
  const Config c = norm->get_config();
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "trainable", "dtype", "axis", "invert", "mean", "variance"}));
  EXPECT_EQ(c["axis"], (Config{-1}));
  EXPECT_EQ(c["mean"], (Config{1.0, 2.0}));
  EXPECT_EQ(make<Normalization>()->get_config()["mean"], nullptr);
  EXPECT_THROW(make<Normalization>(NormalizationOptions{.mean = mean}), keras::ValueError);
  EXPECT_THROW(make<Normalization>(NormalizationOptions{.mean = mean, .variance = ops::ones({3})}), keras::ValueError);
  EXPECT_THROW(norm->adapt(x), keras::ValueError);  // fixed statistics
  EXPECT_THROW((*make<Normalization>(NormalizationOptions{.axis = {3}}))(x), keras::ValueError);
}

TEST(Normalization, InsideACompiledModelUsesTheAdaptedValues) {
  const Tensor x = random_tensor({50, 4}, 4, 5, 9);
  auto norm = make<Normalization>();
  const Tensor inp = keras::Input({4});
  keras::Model model(inp, (*make<Dense>(2, "linear"))((*norm)(inp)));
  const Tensor before = model.predict(x)[0];
  norm->adapt(x);  // the plan reads the variables: adapting after compiling still counts
  const Tensor after = model.predict(x)[0];
  EXPECT_NE(before.to_vector<float>(), after.to_vector<float>());
  const Tensor eager = (*model.get_layer(2))((*norm)(x));
  const auto a = after.to_vector<float>(), e = eager.to_vector<float>();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], 1e-5);
}

}  // namespace
