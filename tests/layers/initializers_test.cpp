// Initializers: Keras names, formulas (limits, standard deviations), seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "keras/keras.h"

namespace {

namespace init = keras::initializers;
using keras::Shape;

struct Stats {
  double mean = 0, var = 0, min = 1e300, max = -1e300;
};

Stats stats(const keras::Tensor& t) {
  const auto v = t.to_vector<double>();
  Stats s;
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.var += (x - s.mean) * (x - s.mean);
  s.var /= static_cast<double>(v.size());
  return s;
}

TEST(Initializers, ConstantsAndBroadcast) {
  EXPECT_EQ(init::Zeros()({2, 2}).to_vector<float>(), (std::vector<float>(4, 0)));
  EXPECT_EQ(init::Ones()({3}).to_vector<float>(), (std::vector<float>(3, 1)));
  EXPECT_EQ(init::Constant(2.5)({2}).to_vector<float>(), (std::vector<float>{2.5f, 2.5f}));
  const auto w = init::Constant(std::vector<double>{0, 1, 2})({1, 3});
  EXPECT_EQ(w.shape(), (Shape{1, 3}));
  EXPECT_EQ(w.to_string(), "[[0. 1. 2.]]");
  EXPECT_THROW(init::Constant(std::vector<double>{0, 1, 2})({1, 4}), keras::ValueError);
  EXPECT_EQ(init::Identity(2.0)({2, 3}).to_vector<float>(), (std::vector<float>{2, 0, 0, 0, 2, 0}));
  EXPECT_THROW(init::Identity()({2, 2, 2}), keras::ValueError);
  EXPECT_EQ(init::Zeros()({2}, keras::DType::int32).dtype(), keras::DType::int32);
}

TEST(Initializers, RandomUniformAndNormalDefaults) {
  const auto u = stats(init::get("uniform")->operator()({200, 200}));
  EXPECT_GE(u.min, -0.05);
  EXPECT_LE(u.max, 0.05);
  EXPECT_NEAR(u.var, 0.1 * 0.1 / 12, 2e-5);
  const auto n = stats(init::get("normal")->operator()({200, 200}));
  EXPECT_NEAR(n.mean, 0, 2e-3);
  EXPECT_NEAR(std::sqrt(n.var), 0.05, 1e-3);
  const auto t = stats(init::TruncatedNormal(0.0, 1.0, 3)({200, 200}));
  EXPECT_GE(t.min, -2.0);
  EXPECT_LE(t.max, 2.0);
  EXPECT_NEAR(std::sqrt(t.var), 0.87962566103423978, 1e-2);  // a unit normal cut at 2 sigma
}

TEST(Initializers, VarianceScalingFamilies) {
  const Shape shape{300, 200};
  // glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
  const double limit = std::sqrt(6.0 / 500.0);
  const auto gu = stats(init::GlorotUniform(1)(shape));
  EXPECT_LE(gu.max, limit);
  EXPECT_GE(gu.min, -limit);
  EXPECT_GT(gu.max, 0.99 * limit);
  EXPECT_NEAR(gu.var, limit * limit / 3, 1e-4);
  // Truncated-normal families reach variance scale / fan thanks to the 0.8796 correction.
  EXPECT_NEAR(stats(init::GlorotNormal(2)(shape)).var, 2.0 / 500.0, 2e-4);
  EXPECT_NEAR(stats(init::HeNormal(3)(shape)).var, 2.0 / 300.0, 3e-4);
  EXPECT_NEAR(stats(init::LecunNormal(4)(shape)).var, 1.0 / 300.0, 2e-4);
  EXPECT_NEAR(stats(init::HeUniform(5)(shape)).var, 2.0 / 300.0, 3e-4);
  EXPECT_NEAR(stats(init::LecunUniform(6)(shape)).var, 1.0 / 300.0, 2e-4);
  EXPECT_NEAR(stats(init::VarianceScaling(2.0, "fan_out", "untruncated_normal", 7)(shape)).var, 2.0 / 200.0, 4e-4);
  EXPECT_THROW(init::VarianceScaling(1.0, "fan_sideways"), keras::ValueError);
  EXPECT_THROW(init::VarianceScaling(1.0, "fan_in", "cauchy"), keras::ValueError);
  EXPECT_THROW(init::VarianceScaling(-1.0), keras::ValueError);
}

TEST(Initializers, FansOfConvKernels) {
  EXPECT_EQ(init::compute_fans(Shape{3, 3, 4, 8}), (std::pair<double, double>{36, 72}));
  EXPECT_EQ(init::compute_fans(Shape{5}), (std::pair<double, double>{5, 5}));
  EXPECT_EQ(init::compute_fans(Shape{}), (std::pair<double, double>{1, 1}));
}

TEST(Initializers, OrthogonalColumnsOrRowsAreOrthonormal) {
  for (const Shape& shape : {Shape{6, 4}, Shape{4, 6}, Shape{2, 3, 5}}) {
    const auto q = init::Orthogonal(1.0, 11)(shape);
    const std::int64_t cols = shape.dims().back(), rows = q.size() / cols;
    const auto v = q.to_vector<double>();
    // The smaller side is orthonormal: Q^T Q = I (tall) or Q Q^T = I (wide).
    const bool tall = rows >= cols;
    const std::int64_t k = tall ? cols : rows, len = tall ? rows : cols;
    for (std::int64_t i = 0; i < k; ++i)
      for (std::int64_t j = 0; j < k; ++j) {
        double dot = 0;
        for (std::int64_t t = 0; t < len; ++t)
          dot += tall ? v[t * cols + i] * v[t * cols + j] : v[i * cols + t] * v[j * cols + t];
        EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5) << shape.to_string();
      }
  }
}

TEST(Initializers, SeedsAreRepeatableAndUnseededDiffer) {
  EXPECT_EQ(init::RandomNormal(0, 1, 7)({5}).to_vector<float>(), init::RandomNormal(0, 1, 7)({5}).to_vector<float>());
  init::RandomUniform unseeded;
  EXPECT_EQ(unseeded({5}).to_vector<float>(), unseeded({5}).to_vector<float>());
  EXPECT_NE(init::RandomUniform()({5}).to_vector<float>(), init::RandomUniform()({5}).to_vector<float>());
  EXPECT_EQ(init::RandomNormal(0, 1, 7).get_config()["seed"], 7);
  EXPECT_TRUE(init::RandomNormal().get_config()["seed"].is_null());
}

TEST(Initializers, LookupByKerasNameAndClass) {
  for (const char* name : {"zeros", "zero", "ones", "one", "constant", "uniform", "random_uniform", "normal",
                           "random_normal", "truncated_normal", "glorot_uniform", "glorot_normal", "he_uniform",
                           "he_normal", "lecun_uniform", "lecun_normal", "orthogonal", "identity", "variance_scaling",
                           "GlorotUniform", "HeNormal", "RandomUniform"})
    EXPECT_NO_THROW(init::get(name)) << name;
  EXPECT_EQ(init::get("glorot_uniform")->class_name(), "GlorotUniform");
  EXPECT_EQ(init::get("uniform")->class_name(), "RandomUniform");
  EXPECT_EQ(init::serialize(*init::get("glorot_uniform")).dump(),
            R"({"module":"keras.initializers","class_name":"GlorotUniform","config":{"seed":null,"input_axes":null,)"
            R"("output_axes":null},"registered_name":null})");
  try {
    init::get("glorot");
    FAIL() << "expected ValueError";
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Received: glorot"), std::string::npos);
  }
}

}  // namespace
