// Dropout inside compiled training steps: the in-graph `random_uniform` op (its threaded
// kernel against the naive twin, its statistics and errors), SeedGenerator (eager and traced
// draws advance; several draws in one step differ; the mask of a run is the same in the
// forward pass and in the gradient) and model.fit through a Dropout layer.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.h"
#include "keras/ops/random.h"
#include "ops/random_ops.h"
#include "test_util.h"

namespace keras {
namespace {

TEST(RandomUniformKernel, ThreadedKernelEqualsNaiveTwin) {
  for (std::int64_t n : {0, 1, 3, 4, 5, 1000, 70001})
    for (std::uint64_t seed : {0ull, 7ull, 0xFFFFFFFFFFFFull})
      for (std::uint64_t counter : {0ull, 1ull, 1ull << 33}) {
        std::vector<float> a(static_cast<std::size_t>(n)), b(static_cast<std::size_t>(n));
        ops::detail::random_uniform_f32(a.data(), n, seed, counter);
        ops::detail::random_uniform_f32_reference(b.data(), n, seed, counter);
        EXPECT_EQ(a, b) << n << " " << seed << " " << counter;
        std::vector<double> c(static_cast<std::size_t>(n)), d(static_cast<std::size_t>(n));
        ops::detail::random_uniform_f64(c.data(), n, seed, counter);
        ops::detail::random_uniform_f64_reference(d.data(), n, seed, counter);
        EXPECT_EQ(c, d) << n << " " << seed << " " << counter;
      }
}

TEST(RandomUniformOp, UniformInUnitIntervalAndAFunctionOfTheState) {
  const Tensor like = ops::zeros({200, 500});
  const Tensor s1 = Tensor::from_vector(std::vector<std::int64_t>{42, 0}, Shape{2});
  const Tensor s2 = Tensor::from_vector(std::vector<std::int64_t>{42, 1}, Shape{2});
  const auto u = ops::random_uniform(like, s1).to_vector<double>();
  EXPECT_EQ(ops::random_uniform(like, s1).to_vector<double>(), u);  // same state, same numbers
  EXPECT_NE(ops::random_uniform(like, s2).to_vector<double>(), u);  // next counter, new numbers
  double sum = 0, sq = 0;
  for (double v : u) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    sum += v;
    sq += v * v;
  }
  const double n = static_cast<double>(u.size()), mean = sum / n;
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sq / n - mean * mean, 1.0 / 12.0, 0.002);
  EXPECT_EQ(ops::random_uniform(ops::zeros({3}, DType::float64), s1).dtype(), DType::float64);
}

TEST(RandomUniformOp, RejectsBadOperands) {
  const Tensor state = Tensor::from_vector(std::vector<std::int64_t>{1, 0}, Shape{2});
  EXPECT_THROW(ops::random_uniform(ops::zeros({2}, DType::int32), state), TypeError);
  EXPECT_THROW(ops::random_uniform(ops::zeros({2}), ops::zeros({2})), TypeError);
  EXPECT_THROW(ops::random_uniform(ops::zeros({2}), Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3}, Shape{3})),
               TypeError);
}

TEST(SeedGenerator, EagerDrawsAdvanceAndSeedsReproduce) {
  random::SeedGenerator a(5), b(5), c(6);
  const Tensor like = ops::zeros({64});
  const auto a1 = random::uniform_like(like, a).to_vector<float>();
  const auto a2 = random::uniform_like(like, a).to_vector<float>();
  EXPECT_NE(a1, a2);
  EXPECT_EQ(random::uniform_like(like, b).to_vector<float>(), a1);
  EXPECT_NE(random::uniform_like(like, c).to_vector<float>(), a1);
  EXPECT_EQ(a.state().to_vector<std::int64_t>(), (std::vector<std::int64_t>{5, 2}));
  const auto scaled = random::uniform_like(like, b, 2.0, 3.0).to_vector<float>();
  EXPECT_EQ(scaled.size(), 64u);
  for (float v : scaled) EXPECT_TRUE(v >= 2.0f && v < 3.0f) << v;
}

TEST(SeedGenerator, TracedDrawsAreFreshEveryRunAndDistinctWithinARun) {
  random::SeedGenerator gen(11);
  Function f([&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{random::uniform_like(in[0], gen), random::uniform_like(in[0], gen)};
  });
  const Tensor x = ops::zeros({32});
  const auto r1 = f({x}), r2 = f({x});
  EXPECT_EQ(f.num_traces(), 1);
  EXPECT_NE(r1[0].to_vector<float>(), r1[1].to_vector<float>());  // two draws in one step
  EXPECT_NE(r1[0].to_vector<float>(), r2[0].to_vector<float>());  // a new run draws anew
  // Each run advanced the counter by the two draws, so runs never reuse a counter.
  EXPECT_EQ(gen.state().to_vector<std::int64_t>(), (std::vector<std::int64_t>{11, 4}));
  EXPECT_NE(r2[0].to_vector<float>(), r1[1].to_vector<float>());
}

TEST(Dropout, CompiledGradientUsesTheForwardMask) {
  random::SeedGenerator gen(3);
  Variable w(ops::ones({1000}), "w");
  Function step([&](const std::vector<Tensor>& in) {
    Tensor y = random::dropout(ops::multiply(in[0], w), 0.25, gen);
    return std::vector<Tensor>{y, gradients(ops::sum(y), {w})[0]};
  });
  const Tensor x = ops::full({1000}, 2.0);
  for (int run = 0; run < 3; ++run) {
    const auto out = step({x});
    const auto y = out[0].to_vector<float>(), g = out[1].to_vector<float>();
    int dropped = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      // y = x * mask / 0.75 and dy/dw = x * mask / 0.75: the same mask in both.
      ASSERT_FLOAT_EQ(y[i], g[i]) << "run " << run << " element " << i;
      ASSERT_TRUE(y[i] == 0.0f || std::abs(y[i] - 2.0f / 0.75f) < 1e-5f) << y[i];
      dropped += y[i] == 0.0f;
    }
    EXPECT_GT(dropped, 180);
    EXPECT_LT(dropped, 320);
  }
  EXPECT_THROW(random::dropout(x, 1.5, gen), ValueError);
  EXPECT_EQ(random::dropout(x, 0.0, gen).to_vector<float>(), x.to_vector<float>());
}

std::shared_ptr<Sequential> dropout_model(double rate) {
  auto model = std::make_shared<Sequential>(std::vector<SequentialItem>{
      Input({8}), layers::make<layers::Dense>(32, "relu"), layers::make<layers::Dropout>(rate, 1),
      layers::make<layers::Dense>(1)});
  return model;
}

TEST(Dropout, FitTrainsThroughADropoutLayer) {
  const Tensor x = random::uniform({64, 8}, -1.0, 1.0, DType::float32, 1);
  const Tensor y = ops::sum(x, -1, true);
  auto model = dropout_model(0.2);
  model->compile({.optimizer = std::make_shared<optimizers::Adam>(0.01), .loss = "mse"});
  const double before = model->evaluate(x, y, {.verbose = 0}).at("loss");
  auto h = model->fit(x, y, {.batch_size = 16, .epochs = 30, .verbose = 0});
  EXPECT_EQ(model->trainer()->num_train_traces(), 1);
  EXPECT_LT(h["loss"].back(), 0.5 * h["loss"].front());
  const double after = model->evaluate(x, y, {.verbose = 0}).at("loss");
  EXPECT_LT(after, 0.25 * before);
  // Inference has no dropout: evaluate and predict are deterministic.
  EXPECT_EQ(model->evaluate(x, y, {.verbose = 0}).at("loss"), after);
  EXPECT_EQ(model->predict(x)[0].to_vector<float>(), model->predict(x)[0].to_vector<float>());
}

TEST(Dropout, EachCompiledStepDrawsANewMask) {
  const Tensor x = random::uniform({16, 8}, -1.0, 1.0, DType::float32, 2);
  const Tensor y = ops::zeros({16, 1});
  auto model = dropout_model(0.5);
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.0), .loss = "mse"});  // weights never move
  const double a = model->train_on_batch(x, y).at("loss");
  const double b = model->train_on_batch(x, y).at("loss");
  const double c = model->train_on_batch(x, y).at("loss");
  EXPECT_EQ(model->trainer()->num_train_traces(), 1);
  EXPECT_TRUE(a != b && b != c && a != c) << a << " " << b << " " << c;
  const double eval = model->test_on_batch(x, y).at("loss");
  EXPECT_EQ(model->test_on_batch(x, y).at("loss"), eval);
}

}  // namespace
}  // namespace keras
