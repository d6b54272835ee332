// Bad input to compile/fit/evaluate: each a typed error with a clear message, raised before
// any batch runs (weights untouched, nothing printed); NaN losses are not errors.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "keras/keras.h"
#include "test_util.h"

namespace keras {
namespace {

using training_test::expect_throw_with;

std::shared_ptr<Model> classifier(int classes = 3) {
  auto inp = Input({4});
  auto h = (*layers::make<layers::Dense>(8, "relu"))(inp);
  return std::make_shared<Model>(inp, (*layers::make<layers::Dense>(classes, "softmax"))(h));
}

Tensor features(std::int64_t n) { return random::uniform({n, 4}, -1.0, 1.0, DType::float32, 3); }

bool same_weights(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].to_vector<float>() != b[i].to_vector<float>()) return false;
  return a.size() == b.size();
}

TEST(FitErrors, FitBeforeCompile) {
  auto model = classifier();
  const Tensor x = features(8), y = ops::zeros({8, 3});
  expect_throw_with<ValueError>([&] { model->fit(x, y); }, {"You must call `compile()` before using the model."});
  expect_throw_with<ValueError>([&] { model->evaluate(x, y); }, {"compile()"});
  expect_throw_with<ValueError>([&] { model->train_on_batch(x, y); }, {"compile()"});
  expect_throw_with<ValueError>([&] { model->test_on_batch(x, y); }, {"compile()"});
  EXPECT_FALSE(model->compiled());
  // predict needs no compile.
  EXPECT_EQ(model->predict(x, training::PredictOptions{.verbose = 0})[0].shape(), (Shape{8, 3}));
}

TEST(FitErrors, XAndYWithDifferentSampleCounts) {
  auto model = classifier();
  model->compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  const auto before = model->get_weights();
  expect_throw_with<ValueError>([&] { model->fit(features(10), ops::zeros({8, 3}), {.verbose = 0}); },
                                {"Data cardinality is ambiguous", "'x' sizes: 10", "'y' sizes: 8"});
  expect_throw_with<ValueError>(
      [&] { model->fit(features(10), ops::zeros({10, 3}), {.verbose = 0, .sample_weight = ops::ones({9})}); },
      {"Data cardinality is ambiguous", "'sample_weight' sizes: 9"});
  expect_throw_with<ValueError>(
      [&] {
        model->fit(features(10), ops::zeros({10, 3}),
                   {.verbose = 0, .validation_data = training::ValidationData{features(4), ops::zeros({5, 3})}});
      },
      {"'x' sizes: 4", "'y' sizes: 5"});
  EXPECT_TRUE(same_weights(before, model->get_weights()));
}

TEST(FitErrors, SparseLabelsOutOfRange) {
  auto model = classifier(3);
  model->compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  const auto before = model->get_weights();
  const Tensor bad = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 3, 1, 0}, Shape{6});
  expect_throw_with<ValueError>([&] { model->fit(features(6), bad, {.verbose = 0}); },
                                {"label value of 3", "outside the valid range of [0, 3)", "y_pred has 3 classes"});
  const Tensor negative = Tensor::from_vector(std::vector<std::int32_t>{0, -1}, Shape{2, 1});
  expect_throw_with<ValueError>([&] { model->evaluate(features(2), negative, {.verbose = 0}); }, {"label value of -1"});
  expect_throw_with<ValueError>([&] { model->train_on_batch(features(6), bad); }, {"label value of 3"});
  EXPECT_TRUE(same_weights(before, model->get_weights()));
  // In range, the same call trains.
  const Tensor good = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 2, 1, 0}, Shape{6});
  EXPECT_NO_THROW(model->fit(features(6), good, {.verbose = 0}));
  EXPECT_FALSE(same_weights(before, model->get_weights()));
}

TEST(FitErrors, LossWhoseShapeDoesNotFitTheOutput) {
  auto model = classifier(3);
  model->compile({.optimizer = "sgd", .loss = "mse"});
  const auto before = model->get_weights();
  std::ostringstream out;
  utils::ProgbarOptions progbar;
  progbar.out = &out;
  auto logger = std::make_shared<callbacks::ProgbarLogger>(progbar);
  // (8, 2) targets for a (None, 3) output.
  expect_throw_with<ValueError>([&] { model->fit(features(8), ops::zeros({8, 2}), {.callbacks = {logger}}); },
                                {"mean_squared_error", "y_true.shape=(8, 2)", "y_pred.shape=(8, 3)"});
  EXPECT_EQ(out.str(), "") << "the error must come before the first epoch starts";
  // Integer class labels given to categorical (one-hot) cross-entropy.
  model->compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  expect_throw_with<ValueError>([&] { model->fit(features(8), ops::zeros({8}), {.verbose = 0}); }, {"(8,)", "(8, 3)"});
  EXPECT_TRUE(same_weights(before, model->get_weights()));
}

TEST(FitErrors, WrongNumberOfArraysAndConflictingWeights) {
  auto model = classifier();
  model->compile({.optimizer = "sgd", .loss = "categorical_crossentropy"});
  const Tensor x = features(4), y = ops::zeros({4, 3});
  expect_throw_with<ValueError>([&] { model->fit({x, x}, y, {.verbose = 0}); }, {"expects 1 input(s)", "received 2"});
  expect_throw_with<ValueError>([&] { model->fit(x, {y, y}, {.verbose = 0}); }, {"has 1 output(s)", "received 2"});
  expect_throw_with<ValueError>(
      [&] { model->fit(x, y, {.verbose = 0, .class_weight = {{0, 2.0}}, .sample_weight = ops::ones({4})}); },
      {"`sample_weight` and `class_weight` cannot be specified at the same time"});
  expect_throw_with<ValueError>([&] { model->fit(x, y, {.batch_size = 0}); }, {"batch_size=0"});
  expect_throw_with<ValueError>([&] { model->fit(x, y, {.verbose = 0, .validation_split = 1.0}); },
                                {"validation_split"});
  // floor(4 * (1 - 0.8)) = 0 training samples.
  expect_throw_with<ValueError>([&] { model->fit(x, y, {.verbose = 0, .validation_split = 0.8}); },
                                {"Training data contains 4 samples", "validation_split=0.8"});
}

TEST(FitErrors, UnknownNamesAtCompile) {
  auto model = classifier();
  expect_throw_with<ValueError>([&] { model->compile({.optimizer = "adamm", .loss = "mse"}); }, {"adamm"});
  expect_throw_with<ValueError>([&] { model->compile({.optimizer = "sgd", .loss = "mean_squared"}); },
                                {"Could not interpret loss identifier: mean_squared"});
  EXPECT_FALSE(model->compiled());
  model->compile({.optimizer = "sgd"});  // no loss: compiles, but fit has nothing to minimize
  expect_throw_with<ValueError>([&] { model->fit(features(4), ops::zeros({4, 3}), {.verbose = 0}); },
                                {"No loss to compute"});
}

// A NaN in the data makes the loss NaN: not an error. TerminateOnNaN stops training after
// that batch; without it every epoch is logged as nan and training completes.
TEST(FitErrors, NanLossStopsWithTerminateOnNaNAndIsLoggedOtherwise) {
  std::vector<float> xv(8 * 4, 0.5f);
  xv[5] = std::nanf("");
  const Tensor x = Tensor::from_vector(xv, Shape{8, 4});
  const Tensor y = ops::zeros({8, 3});

  auto model = classifier();
  model->compile({.optimizer = "sgd", .loss = "mse"});
  auto terminate = std::make_shared<callbacks::TerminateOnNaN>();
  std::ostringstream messages;
  terminate->set_streams(&messages, &messages);
  auto history = model->fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .callbacks = {terminate}, .shuffle = false});
  ASSERT_EQ(history["loss"].size(), 1u);
  EXPECT_TRUE(std::isnan(history["loss"][0]));
  EXPECT_EQ(messages.str(), "Batch 0: Invalid loss, terminating training\n");
  EXPECT_EQ(model->trainer()->optimizer()->iterations().item(), 1.0);

  auto plain = classifier();
  plain->compile({.optimizer = "sgd", .loss = "mse", .metrics = {"mae"}});
  callbacks::History h;
  EXPECT_NO_THROW(h = plain->fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .shuffle = false}));
  ASSERT_EQ(h["loss"].size(), 3u);
  for (double v : h["loss"]) EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(plain->trainer()->optimizer()->iterations().item(), 6.0);
  EXPECT_TRUE(std::isnan(plain->evaluate(x, y, {.verbose = 0}).at("loss")));
}

}  // namespace
}  // namespace keras
