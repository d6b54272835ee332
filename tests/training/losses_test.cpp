// Losses against hand-computed values (and the values Keras's docstrings print), with
// reductions, sample weights, from_logits, label smoothing, masks, errors and tracing.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace training_test;
using losses::Reduction;

// The two-sample example used throughout Keras's loss docstrings.
Tensor doc_true() { return f32({0, 1, 0, 0}, {2, 2}); }
Tensor doc_pred() { return f32({0.6f, 0.4f, 0.4f, 0.6f}, {2, 2}); }

TEST(Losses, MeanSquaredErrorReductionsAndWeights) {
  Tensor t = f32({0, 1, 0, 0}, {2, 2}), p = f32({1, 1, 1, 0}, {2, 2});
  EXPECT_TRUE(close_to(losses::mean_squared_error(t, p), {0.5, 0.5}));
  EXPECT_TRUE(close_to(losses::MeanSquaredError()(t, p), {0.5}));
  EXPECT_TRUE(close_to(losses::MeanSquaredError(Reduction::sum)(t, p), {1.0}));
  EXPECT_TRUE(close_to(losses::MeanSquaredError(Reduction::none)(t, p), {0.5, 0.5}));
  // Keras doc: mse(y_true, y_pred, sample_weight=[0.7, 0.3]) == 0.25 (sum of weighted / 2).
  EXPECT_TRUE(close_to(losses::MeanSquaredError()(t, p, f32({0.7f, 0.3f})), {0.25}));
  EXPECT_TRUE(close_to(losses::MeanSquaredError(Reduction::mean_with_sample_weight)(t, p, f32({0.7f, 0.3f})), {0.5}));
  // A scalar weight scales everything.
  EXPECT_TRUE(close_to(losses::MeanSquaredError()(t, p, Tensor::scalar(2.0)), {1.0}));
}

TEST(Losses, MseIsMeanOfAllElementsForFixtureShapes) {
  // (4, 1) predictions against (4,) targets: ranks are aligned, then the mean of all elements.
  Tensor t = f32({1, 2, 3, 4}), p = f32({1.5f, 2, 2, 4}, {4, 1});
  const double expected = (0.25 + 0 + 1 + 0) / 4.0;
  EXPECT_TRUE(close_to(losses::MeanSquaredError()(t, p), {expected}));
  EXPECT_TRUE(close_to(losses::get("mse")->operator()(t, p), {expected}));
}

TEST(Losses, RegressionLossesMatchKerasDocValues) {
  EXPECT_TRUE(close_to(losses::MeanAbsoluteError()(f32({0, 1, 0, 0}, {2, 2}), f32({1, 1, 1, 0}, {2, 2})), {0.5}));
  EXPECT_TRUE(close_to(losses::MeanAbsolutePercentageError()(f32({2, 1, 2, 3}, {2, 2}), f32({1, 1, 1, 0}, {2, 2})),
                       {50.0}));
  const double l2 = std::log(2.0);
  EXPECT_TRUE(close_to(losses::MeanSquaredLogarithmicError()(f32({0, 1, 0, 0}, {2, 2}), f32({1, 1, 1, 0}, {2, 2})),
                       {l2 * l2 / 2}));
  EXPECT_TRUE(close_to(losses::LogCosh()(f32({0, 1, 0, 0}, {2, 2}), f32({1, 1, 0, 0}, {2, 2})),
                       {std::log(std::cosh(1.0)) / 4}));
  EXPECT_TRUE(close_to(losses::Huber()(doc_true(), doc_pred()), {0.155}));
  EXPECT_TRUE(close_to(losses::CosineSimilarity()(f32({0, 1, 1, 1}, {2, 2}), f32({1, 0, 1, 1}, {2, 2})), {-0.5}));
}

TEST(Losses, HuberLinearBranch) {
  // |error| = 3 > delta = 2: delta * |e| - delta^2 / 2 = 4; |error| = 1: 0.5.
  Tensor v = losses::huber(f32({0, 0}, {1, 2}), f32({3, 1}, {1, 2}), 2.0);
  EXPECT_TRUE(close_to(v, {(4.0 + 0.5) / 2}));
}

TEST(Losses, HingeFamilyMatchesKerasDocValues) {
  EXPECT_TRUE(close_to(losses::Hinge()(doc_true(), doc_pred()), {1.3}));
  EXPECT_TRUE(close_to(losses::SquaredHinge()(doc_true(), doc_pred()), {1.86}));
  EXPECT_TRUE(close_to(losses::CategoricalHinge()(doc_true(), doc_pred()), {1.4}));
  // Labels already in {-1, 1} are not converted again.
  Tensor t = f32({-1, 1}, {1, 2}), p = f32({0.5f, 0.5f}, {1, 2});
  EXPECT_TRUE(close_to(losses::hinge(t, p), {(1.5 + 0.5) / 2}));
}

TEST(Losses, ProbabilisticLosses) {
  const double eps = 1e-7;
  // KL: y_true clipped to [eps, 1].
  const double kl1 = eps * std::log(eps / 0.6) + 1.0 * std::log(1.0 / 0.4);
  const double kl2 = eps * std::log(eps / 0.4) + eps * std::log(eps / 0.6);
  EXPECT_TRUE(close_to(losses::KLDivergence()(doc_true(), doc_pred()), {(kl1 + kl2) / 2}));
  auto pois = [&](double t, double p) { return p - t * std::log(p + eps); };
  const double s1 = (pois(0, 0.6) + pois(1, 0.4)) / 2, s2 = (pois(0, 0.4) + pois(0, 0.6)) / 2;
  EXPECT_TRUE(close_to(losses::Poisson()(doc_true(), doc_pred()), {(s1 + s2) / 2}));
}

TEST(Losses, BinaryCrossentropyProbabilitiesLogitsSmoothing) {
  // Keras doc: 0.815 for the two-sample example.
  EXPECT_TRUE(close_to(losses::BinaryCrossentropy()(doc_true(), doc_pred()), {0.81492}, 1e-4));
  // Probabilities of exactly 0 and 1 are clipped to [1e-7, 1 - 1e-7].
  Tensor v = losses::binary_crossentropy(f32({1, 0}, {1, 2}), f32({0, 1}, {1, 2}));
  const double low = static_cast<float>(1e-7), high = static_cast<float>(1.0 - 1e-7);  // float32 clip bounds
  EXPECT_TRUE(close_to(v, {(-std::log(low) - std::log(1.0 - high)) / 2}, 1e-5));
  // Keras doc: from_logits on [-18.6, 0.51, 2.94, -12.8] vs [0, 1, 0, 0] -> 0.865.
  Tensor logits = f32({-18.6f, 0.51f, 2.94f, -12.8f}), labels = f32({0, 1, 0, 0});
  auto bce_logit = [](double t, double x) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x))); };
  const double expected = (bce_logit(0, -18.6) + bce_logit(1, 0.51) + bce_logit(0, 2.94) + bce_logit(0, -12.8)) / 4;
  EXPECT_TRUE(close_to(losses::BinaryCrossentropy(true)(labels, logits), {expected}));
  EXPECT_TRUE(close_to(expected, 0.865, 1e-3));
  // Label smoothing 0.2 moves labels to {0.1, 0.9}.
  Tensor smoothed = losses::binary_crossentropy(f32({1}, {1, 1}), f32({0.7f}, {1, 1}), false, 0.2);
  EXPECT_TRUE(close_to(smoothed, {-(0.9 * std::log(0.7) + 0.1 * std::log(0.3))}));
  // A large logit stays finite.
  EXPECT_TRUE(close_to(losses::binary_crossentropy(f32({0}, {1, 1}), f32({500}, {1, 1}), true), {500.0}));
}

TEST(Losses, CategoricalCrossentropy) {
  Tensor t = f32({0, 1, 0, 0, 0, 1}, {2, 3}), p = f32({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}, {2, 3});
  const double expected = (-std::log(0.95) - std::log(0.1)) / 2;  // Keras doc: 1.177
  EXPECT_TRUE(close_to(losses::CategoricalCrossentropy()(t, p), {expected}));
  EXPECT_TRUE(close_to(losses::CategoricalCrossentropy()(t, p, f32({0.3f, 0.7f})),
                       {(-0.3 * std::log(0.95) - 0.7 * std::log(0.1)) / 2}));
  // Unnormalized probabilities are renormalized per row.
  EXPECT_TRUE(close_to(losses::categorical_crossentropy(f32({0, 1}, {1, 2}), f32({1, 3}, {1, 2})), {-std::log(0.75)}));
  // Logits: log_softmax.
  Tensor logits = f32({1, 2, 3}, {1, 3});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_TRUE(close_to(losses::CategoricalCrossentropy(true)(f32({0, 0, 1}, {1, 3}), logits), {lse - 3.0}));
  // Label smoothing 0.3 over 3 classes: targets become 0.1 / 0.8.
  Tensor ls = losses::categorical_crossentropy(f32({0, 0, 1}, {1, 3}), f32({0.2f, 0.3f, 0.5f}, {1, 3}), false, 0.3);
  EXPECT_TRUE(close_to(ls, {-(0.1 * std::log(0.2) + 0.1 * std::log(0.3) + 0.8 * std::log(0.5))}));
}

TEST(Losses, SparseCategoricalCrossentropy) {
  Tensor p = f32({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}, {2, 3});
  const double expected = (-std::log(0.95) - std::log(0.1)) / 2;
  EXPECT_TRUE(close_to(losses::SparseCategoricalCrossentropy()(i32({1, 2}, {2}), p), {expected}));
  EXPECT_TRUE(close_to(losses::SparseCategoricalCrossentropy()(f32({1, 2}, {2, 1}), p), {expected}));
  EXPECT_TRUE(close_to(losses::get("sparse_categorical_crossentropy")->operator()(i32({1, 2}, {2}), p), {expected}));
  // Logits.
  Tensor logits = f32({1, 2, 3, 0, 0, 0}, {2, 3});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_TRUE(close_to(losses::SparseCategoricalCrossentropy(true)(i32({0, 1}, {2}), logits),
                       {((lse - 1.0) + std::log(3.0)) / 2}));
}

TEST(Losses, SparseCategoricalIgnoreClassMasksTheMean) {
  Tensor p = f32({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f, 0.2f, 0.2f, 0.6f}, {3, 3});
  Tensor t = i32({1, -1, 2}, {3});
  losses::SparseCategoricalCrossentropy loss(false, -1);
  // The ignored sample counts neither in the sum nor in the divisor.
  EXPECT_TRUE(close_to(loss(t, p), {(-std::log(0.95) - std::log(0.6)) / 2}));
  EXPECT_TRUE(close_to(losses::sparse_categorical_crossentropy(t, p, false, -1), {-std::log(0.95), 0.0, -std::log(0.6)}));
}

TEST(Losses, SparseLabelsOutOfRangeAreClearErrors) {
  Tensor p = f32({0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f}, {2, 3});
  expect_throw_with<ValueError>([&] { losses::SparseCategoricalCrossentropy()(i32({1, 3}, {2}), p); },
                                {"label value of 3", "[0, 3)", "sparse_categorical_crossentropy"});
  expect_throw_with<ValueError>([&] { losses::sparse_categorical_crossentropy(i32({-1, 0}, {2}), p); },
                                {"label value of -1"});
  // check_targets validates a whole data set before training.
  losses::SparseCategoricalCrossentropy loss;
  EXPECT_NO_THROW(loss.check_targets(i32({0, 1, 2, 2}, {4}), Shape{-1, 3}));
  expect_throw_with<ValueError>([&] { loss.check_targets(i32({0, 1, 7}, {3}), Shape{-1, 3}); }, {"label value of 7"});
}

TEST(Losses, ShapeMismatchNamesBothShapes) {
  Tensor t = f32({1, 2, 3, 4}, {4, 1}), p = ops::zeros({4, 3});
  expect_throw_with<ValueError>([&] { losses::MeanSquaredError()(t, p); }, {"(4, 1)", "(4, 3)"});
  expect_throw_with<ValueError>([&] { losses::CategoricalCrossentropy()(ops::zeros({4, 2}), p); }, {"(4, 2)", "(4, 3)"});
  expect_throw_with<ValueError>([&] { losses::SparseCategoricalCrossentropy()(ops::zeros({5}), p); }, {"(5,)", "(4, 3)"});
  expect_throw_with<ValueError>([&] { losses::BinaryCrossentropy()(ops::zeros({4, 2}), p); }, {"(4, 2)", "(4, 3)"});
}

TEST(Losses, FocalCrossentropies) {
  // Binary focal, gamma 2: mean of (1 - p_t)^2 * bce; from_logits applies sigmoid first.
  std::vector<double> t = {0, 1, 0, 0}, x = {-18.6, 0.51, 2.94, -12.8};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double p = 1 / (1 + std::exp(-x[i]));
    p = std::min(std::max(p, 1e-7), 1 - 1e-7);
    const double bce = -(t[i] * std::log(p) + (1 - t[i]) * std::log(1 - p));
    const double p_t = t[i] * p + (1 - t[i]) * (1 - p);
    sum += (1 - p_t) * (1 - p_t) * bce;
  }
  Tensor v = losses::BinaryFocalCrossentropy(false, 0.25, 2.0, true)(f32({0, 1, 0, 0}), f32({-18.6f, 0.51f, 2.94f, -12.8f}));
  EXPECT_TRUE(close_to(v, {sum / 4}, 1e-4));
  EXPECT_TRUE(close_to(sum / 4, 0.691, 2e-3));  // Keras doc value
  // Categorical focal: Keras doc value 0.23315276.
  Tensor ct = f32({0, 1, 0, 0, 0, 1}, {2, 3}), cp = f32({0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f}, {2, 3});
  const double cf = (0.25 * 0.05 * 0.05 * -std::log(0.95) + 0.25 * 0.9 * 0.9 * -std::log(0.1)) / 2;
  EXPECT_TRUE(close_to(losses::CategoricalFocalCrossentropy()(ct, cp), {cf}));
  EXPECT_TRUE(close_to(cf, 0.23315276, 1e-6));
  // Class balancing weighs positives by alpha and negatives by 1 - alpha.
  Tensor bal = losses::binary_focal_crossentropy(f32({1, 0}, {1, 2}), f32({0.8f, 0.3f}, {1, 2}), true, 0.25, 2.0);
  const double b1 = 0.25 * 0.2 * 0.2 * -std::log(0.8), b2 = 0.75 * 0.3 * 0.3 * -std::log(0.7);
  EXPECT_TRUE(close_to(bal, {(b1 + b2) / 2}));
}

TEST(Losses, GetByNameAndAlias) {
  auto mse = losses::get("mse");
  EXPECT_EQ(mse->name(), "mse");
  EXPECT_EQ(mse->class_name(), "LossFunctionWrapper");
  auto cls = losses::get("MeanSquaredError");
  EXPECT_EQ(cls->name(), "mean_squared_error");
  EXPECT_EQ(cls->class_name(), "MeanSquaredError");
  EXPECT_EQ(losses::get("huber")->name(), "huber");
  EXPECT_EQ(losses::Huber().name(), "huber_loss");
  for (const char* alias : {"mae", "MAE", "mape", "MAPE", "msle", "MSLE", "bce", "BCE", "kld", "KLD"})
    EXPECT_NO_THROW(losses::get(alias)) << alias;
  expect_throw_with<ValueError>([] { losses::get("mean_sqared_error"); },
                                {"Could not interpret loss identifier: mean_sqared_error", "mean_squared_error"});
  EXPECT_EQ(losses::reduction_from_string("sum"), Reduction::sum);
  EXPECT_THROW(losses::reduction_from_string("avg"), ValueError);
}

TEST(Losses, GetConfigFollowsKeras) {
  EXPECT_EQ(losses::MeanSquaredError().get_config().dump(),
            "{\"name\":\"mean_squared_error\",\"reduction\":\"sum_over_batch_size\"}");
  EXPECT_EQ(losses::BinaryCrossentropy(true, 0.25, -1, Reduction::sum).get_config().dump(),
            "{\"name\":\"binary_crossentropy\",\"reduction\":\"sum\",\"from_logits\":true,"
            "\"label_smoothing\":0.25,\"axis\":-1}");
  EXPECT_EQ(losses::SparseCategoricalCrossentropy().get_config().dump(),
            "{\"name\":\"sparse_categorical_crossentropy\",\"reduction\":\"sum_over_batch_size\","
            "\"from_logits\":false,\"ignore_class\":null}");
  EXPECT_EQ(losses::CategoricalFocalCrossentropy().get_config()["gamma"].get<double>(), 2.0);
  EXPECT_EQ(losses::Huber(2.0).get_config().size(), 2u);  // Keras's Huber config holds name and reduction only
}

TEST(Losses, CrossentropyResolvedFromShapes) {
  EXPECT_EQ(losses::resolve("crossentropy", Shape{-1, 1}, Shape{-1, 1})->name(), "crossentropy");
  auto sparse = losses::resolve("ce", Shape{-1}, Shape{-1, 10});
  EXPECT_EQ(sparse->class_name(), "SparseCategoricalCrossentropy");
  auto sparse2 = losses::resolve("crossentropy", Shape{-1, 1}, Shape{-1, 10});
  EXPECT_EQ(sparse2->class_name(), "SparseCategoricalCrossentropy");
  auto cat = losses::resolve("crossentropy", Shape{-1, 10}, Shape{-1, 10});
  Tensor t = f32({0, 1}, {1, 2}), p = f32({0.25f, 0.75f}, {1, 2});
  EXPECT_TRUE(close_to((*cat)(t, p), {-std::log(0.75)}));
  // Binary: one output unit.
  auto bin = losses::resolve("crossentropy", Shape{-1, 1}, Shape{-1, 1});
  EXPECT_TRUE(close_to((*bin)(f32({1}, {1, 1}), f32({0.75f}, {1, 1})), {-std::log(0.75)}));
}

TEST(Losses, TracedLossAndGradientMatchEager) {
  // The same loss object in a compiled step (placeholders) and eagerly.
  losses::CategoricalCrossentropy loss(true, 0.1);
  Variable w(f32({0.1f, -0.2f, 0.3f, 0.05f, 0.2f, -0.1f}, {2, 3}), "w");
  Tensor x = f32({1, 2, -1, 0.5f}, {2, 2}), y = f32({0, 0, 1, 1, 0, 0}, {2, 3});
  Function step([&](const std::vector<Tensor>& in) {
    Tensor l = loss(in[1], ops::matmul(in[0], w));
    return std::vector<Tensor>{l, gradients(l, {w})[0]};
  });
  auto traced = step({x, y});
  GradientTape tape;
  Tensor eager = loss(y, ops::matmul(x, w));
  Tensor eager_grad = tape.gradient(eager, {w})[0];
  EXPECT_TRUE(close_to(traced[0], eager.to_vector<double>()));
  EXPECT_TRUE(close_to(traced[1], eager_grad.to_vector<double>()));
}

TEST(Losses, SymbolicShapes) {
  Tensor t = Tensor::placeholder({-1, 3}), p = Tensor::placeholder({-1, 3});
  Tensor l = losses::MeanSquaredError()(t, p);
  EXPECT_TRUE(l.is_symbolic());
  EXPECT_EQ(l.shape(), Shape{});
  Tensor per_sample = losses::categorical_crossentropy(t, p);
  EXPECT_EQ(per_sample.shape(), (Shape{-1}));
}

}  // namespace
}  // namespace keras
