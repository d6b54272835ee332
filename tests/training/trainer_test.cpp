// compile/fit/evaluate/predict semantics beyond the fixtures: optimizer names, per-output
// losses and loss_weights with their logs, metric resolution and naming, sample and class
// weights, validation split, shuffling, initial_epoch, callbacks' hooks, plan caching and
// the *_on_batch methods — each checked against values computed independently in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.h"
#include "test_util.h"

namespace keras {
namespace {

using training_test::close_to;

Tensor uniform(const Shape& s, std::uint64_t seed) { return random::uniform(s, -1.0, 1.0, DType::float32, seed); }

std::shared_ptr<Model> linear_model(std::int64_t in = 3, std::int64_t out = 1) {
  auto inp = Input({in});
  return std::make_shared<Model>(inp, (*layers::make<layers::Dense>(out))(inp));
}

// mean over all elements of (prediction - y)^2, in double
double mse_of(const Tensor& pred, const Tensor& y) {
  const auto p = pred.to_vector<double>(), t = y.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) s += (p[i] - t[i]) * (p[i] - t[i]);
  return s / static_cast<double>(p.size());
}

TEST(Trainer, OptimizerNamesAndDefault) {
  auto model = linear_model();
  model->compile({.loss = "mse"});
  EXPECT_EQ(model->trainer()->optimizer()->class_name(), "RMSprop");  // Keras's default
  model->compile({.optimizer = "sgd", .loss = "mse"});
  EXPECT_EQ(model->trainer()->optimizer()->class_name(), "SGD");
  model->compile({.optimizer = "adam", .loss = "mse"});
  EXPECT_EQ(model->trainer()->optimizer()->class_name(), "Adam");
  EXPECT_NEAR(model->trainer()->optimizer()->learning_rate_value(), 0.001, 1e-9);
  auto sgd = std::make_shared<optimizers::SGD>(0.5, 0.9);
  model->compile({.optimizer = sgd, .loss = "mse"});
  EXPECT_EQ(model->trainer()->optimizer(), sgd);
}

TEST(Trainer, TrainOnBatchReturnsPreUpdateLossAndStepsOnce) {
  auto model = linear_model();
  const Tensor x = uniform({6, 3}, 1), y = uniform({6, 1}, 2);
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "mse"});
  const double before = mse_of(model->predict(x, training::PredictOptions{.verbose = 0})[0], y);
  EXPECT_TRUE(close_to(model->test_on_batch(x, y).at("loss"), before, 1e-5));
  EXPECT_TRUE(close_to(model->train_on_batch(x, y).at("loss"), before, 1e-5));  // the loss before the update
  const double after = mse_of(model->predict(x, training::PredictOptions{.verbose = 0})[0], y);
  EXPECT_LT(after, before);
  EXPECT_TRUE(close_to(model->test_on_batch(x, y).at("loss"), after, 1e-5));
  EXPECT_EQ(model->trainer()->optimizer()->iterations().item(), 1.0);
  // predict with options, predict_on_batch and the model's own predict agree.
  const auto a = model->predict(x)[0].to_vector<float>();
  EXPECT_EQ(model->predict_on_batch(x)[0].to_vector<float>(), a);
  EXPECT_EQ(model->predict(x, training::PredictOptions{.batch_size = 4, .verbose = 0})[0].to_vector<float>(), a);
}

TEST(Trainer, RepeatedPredictOnBatchSeesNewWeightsAndOtherShapes) {
  // The second call with the same signature runs the remembered plan directly: it must still
  // read the current weights, return fresh tensors, and leave other shapes and dtypes to the
  // full path.
  auto model = linear_model();
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "mse"});
  const Tensor x = uniform({2, 3}, 5), y = uniform({2, 1}, 6);
  const Tensor first = model->predict_on_batch(x)[0];
  const Tensor second = model->predict_on_batch(x)[0];
  EXPECT_EQ(second.to_vector<float>(), first.to_vector<float>());
  EXPECT_NE(second.raw_data(), first.raw_data());
  model->train_on_batch(x, y);
  const auto expected = model->predict(x, training::PredictOptions{.verbose = 0})[0].to_vector<float>();
  EXPECT_NE(expected, first.to_vector<float>());
  EXPECT_EQ(model->predict_on_batch(x)[0].to_vector<float>(), expected);
  const Tensor other = uniform({5, 3}, 7);
  EXPECT_EQ(model->predict_on_batch(other)[0].shape(), Shape({5, 1}));
  EXPECT_EQ(model->predict_on_batch(other)[0].to_vector<float>(),
            model->predict(other, training::PredictOptions{.verbose = 0})[0].to_vector<float>());
  const Tensor x64 = ops::cast(x, DType::float64);
  EXPECT_EQ(model->predict_on_batch(x64)[0].dtype(), DType::float32);
  EXPECT_EQ(model->predict_on_batch(x)[0].to_vector<float>(), expected);
}

TEST(Trainer, RepeatedPredictOnBatchNeverOverwritesAResultTheCallerHolds) {
  // A result nobody holds any more is refilled by the next call (the serving loop allocates
  // nothing); one the caller keeps, directly or through a view of its buffer, never changes.
  auto model = linear_model();
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "mse"});
  const Tensor x = uniform({2, 3}, 5), x2 = uniform({2, 3}, 8), y = uniform({2, 1}, 6);
  model->predict_on_batch(x);  // the full path; remembers the plan
  const void* dropped = model->predict_on_batch(x)[0].raw_data();
  EXPECT_EQ(model->predict_on_batch(x)[0].raw_data(), dropped);  // reused: nobody held it

  const Tensor held = model->predict_on_batch(x)[0];
  const auto held_values = held.to_vector<float>();
  const Tensor view = ops::reshape(model->predict_on_batch(x2)[0], {2});
  const auto view_values = view.to_vector<float>();
  model->train_on_batch(x, y);
  const Tensor fresh = model->predict_on_batch(x2)[0];
  EXPECT_NE(fresh.raw_data(), held.raw_data());
  EXPECT_EQ(held.to_vector<float>(), held_values);
  EXPECT_EQ(view.to_vector<float>(), view_values);
  EXPECT_NE(fresh.to_vector<float>(), view_values);  // new weights: the view kept the old numbers
}

TEST(Trainer, OnePlanPerBatchShape) {
  auto model = linear_model();
  model->compile({.optimizer = "sgd", .loss = "mse"});
  model->fit(uniform({12, 3}, 1), uniform({12, 1}, 2), {.batch_size = 4, .epochs = 3, .verbose = 0});
  EXPECT_EQ(model->trainer()->num_train_traces(), 1);
  model->fit(uniform({10, 3}, 1), uniform({10, 1}, 2), {.batch_size = 4, .epochs = 2, .verbose = 0});
  EXPECT_EQ(model->trainer()->num_train_traces(), 2);  // + the last batch of 2
  EXPECT_EQ(model->trainer()->optimizer()->iterations().item(), 9.0 + 6.0);
}

// Two inputs, two named outputs: per-output losses (a map), loss_weights, prefixed metrics
// and "<output>_loss" logs of the unweighted losses.
TEST(Trainer, SeveralOutputsWithPerOutputLossesAndWeights) {
  auto a = Input({2}), b = Input({3});
  auto joined = (*layers::make<layers::Concatenate>())(std::vector<Tensor>{a, b});
  auto reg = (*layers::make<layers::Dense>(1, activations::ActivationArg{}, layers::LayerOptions{.name = "reg"}))(joined);
  auto cls = (*layers::make<layers::Dense>(2, "softmax", layers::LayerOptions{.name = "cls"}))(joined);
  Model model(std::vector<Tensor>{a, b}, std::vector<Tensor>{reg, cls});
  model.compile({.optimizer = std::make_shared<optimizers::SGD>(0.05),
                 .loss = std::map<std::string, training::LossArg>{{"cls", "sparse_categorical_crossentropy"},
                                                                  {"reg", "mse"}},
                 .loss_weights = std::map<std::string, double>{{"reg", 0.5}, {"cls", 2.0}},
                 .metrics = std::map<std::string, std::vector<training::MetricArg>>{{"cls", {"accuracy"}}}});
  const Tensor xa = uniform({8, 2}, 1), xb = uniform({8, 3}, 2), y_reg = uniform({8, 1}, 3);
  const Tensor y_cls = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 1, 0, 1, 0, 0, 1}, Shape{8});

  const callbacks::Logs logs = model.test_on_batch({xa, xb}, {y_reg, y_cls});
  EXPECT_EQ(model.trainer()->metrics_names(),
            (std::vector<std::string>{"loss", "cls_accuracy", "reg_loss", "cls_loss"}));
  // Independent values from predict.
  const auto preds = model.predict({xa, xb}, training::PredictOptions{.verbose = 0});
  const double reg_loss = mse_of(preds[0], y_reg);
  const auto p = preds[1].to_vector<double>();
  const auto labels = y_cls.to_vector<int>();
  double ce = 0, correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ce -= std::log(p[2 * i + static_cast<std::size_t>(labels[i])]);
    correct += (p[2 * i + 1] > p[2 * i]) == (labels[i] == 1);
  }
  ce /= static_cast<double>(labels.size());
  EXPECT_TRUE(close_to(logs.at("reg_loss"), reg_loss, 1e-5));
  EXPECT_TRUE(close_to(logs.at("cls_loss"), ce, 1e-5));
  EXPECT_TRUE(close_to(logs.at("loss"), 0.5 * reg_loss + 2.0 * ce, 1e-5));
  EXPECT_TRUE(close_to(logs.at("cls_accuracy"), correct / 8.0, 1e-6));

  auto history = model.fit({xa, xb}, {y_reg, y_cls}, {.batch_size = 8, .epochs = 20, .verbose = 0});
  EXPECT_LT(history["loss"].back(), history["loss"].front());
  for (const char* key : {"loss", "reg_loss", "cls_loss", "cls_accuracy"}) EXPECT_EQ(history[key].size(), 20u) << key;
}

TEST(Trainer, LossListMustMatchOutputs) {
  auto inp = Input({2});
  auto o1 = (*layers::make<layers::Dense>(1))(inp);
  auto o2 = (*layers::make<layers::Dense>(1))(inp);
  Model model(inp, std::vector<Tensor>{o1, o2});
  model.compile({.optimizer = "sgd", .loss = {"mse"}});
  training_test::expect_throw_with<ValueError>(
      [&] { model.fit(uniform({4, 2}, 1), {uniform({4, 1}, 2), uniform({4, 1}, 3)}, {.verbose = 0}); },
      {"one entry per output"});
  // One loss for all outputs: each output gets its own and logs "<name>_loss".
  model.compile({.optimizer = "sgd", .loss = "mae", .metrics = {"mse", "mse"}});
  const auto logs = model.test_on_batch(uniform({4, 2}, 1), {uniform({4, 1}, 2), uniform({4, 1}, 3)});
  EXPECT_EQ(logs.size(), 5u);
  const std::string n1 = layers::keras_history(o1)->layer->name(), n2 = layers::keras_history(o2)->layer->name();
  EXPECT_TRUE(logs.contains(n1 + "_mse") && logs.contains(n2 + "_mse") && logs.contains(n1 + "_loss") &&
              logs.contains(n2 + "_loss"));
  EXPECT_TRUE(close_to(logs.at("loss"), logs.at(n1 + "_loss") + logs.at(n2 + "_loss"), 1e-6));
}

TEST(Trainer, AccuracyResolvesFromShapesAndWeightedMetricsGetWeights) {
  auto inp = Input({4});
  Model model(inp, (*layers::make<layers::Dense>(3, "softmax"))(inp));
  model.compile({.optimizer = "sgd",
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"},
                 .weighted_metrics = {"accuracy"}});
  const Tensor x = uniform({6, 4}, 5);
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 0, 1, 2}, Shape{6, 1});
  const Tensor w = Tensor::from_vector(std::vector<float>{1, 0, 0, 0, 0, 0}, Shape{6});
  const auto logs = model.test_on_batch(x, y, {.sample_weight = w});
  EXPECT_EQ(model.trainer()->metrics_names(), (std::vector<std::string>{"loss", "accuracy", "weighted_accuracy"}));
  EXPECT_EQ(model.trainer()->metrics()[1]->class_name(), "SparseCategoricalAccuracy");
  const auto p = model.predict(x, training::PredictOptions{.verbose = 0})[0].to_vector<float>();
  const auto labels = y.to_vector<int>();
  double correct = 0, ce0 = 0;
  for (int i = 0; i < 6; ++i) {
    const auto* row = &p[static_cast<std::size_t>(3 * i)];
    correct += std::max_element(row, row + 3) - row == labels[static_cast<std::size_t>(i)];
  }
  ce0 = -std::log(p[0]);  // only sample 0 weighs
  EXPECT_TRUE(close_to(logs.at("accuracy"), correct / 6.0, 1e-6));  // float32 metric state
  const auto* row0 = &p[0];
  EXPECT_DOUBLE_EQ(logs.at("weighted_accuracy"), std::max_element(row0, row0 + 3) == row0 ? 1.0 : 0.0);
  // Keras's sum_over_batch_size: sum(w * ce) / number of samples.
  EXPECT_TRUE(close_to(logs.at("loss"), ce0 / 6.0, 1e-5));
}

TEST(Trainer, ClassWeightEqualsTheSampleWeightsItStandsFor) {
  const Tensor x = uniform({6, 4}, 7);
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 2, 1, 0}, Shape{6});
  auto run = [&](bool use_class_weight) {
    keras::clear_session();
    auto inp = Input({4});
    auto model = std::make_shared<Model>(inp, (*layers::make<layers::Dense>(3, "softmax"))(inp));
    model->set_weights({uniform({4, 3}, 9), ops::zeros({3})});
    model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "sparse_categorical_crossentropy"});
    training::FitOptions o{.batch_size = 3, .epochs = 2, .verbose = 0, .shuffle = false};
    if (use_class_weight) o.class_weight = {{0, 1.0}, {1, 3.0}, {2, 0.5}};
    else o.sample_weight = Tensor::from_vector(std::vector<float>{1, 3, 0.5, 0.5, 3, 1}, Shape{6});
    auto h = model->fit(x, y, o);
    return std::make_pair(h["loss"], model->get_weights()[0].to_vector<float>());
  };
  const auto [loss_cw, w_cw] = run(true);
  const auto [loss_sw, w_sw] = run(false);
  EXPECT_EQ(loss_cw, loss_sw);
  EXPECT_EQ(w_cw, w_sw);
}

TEST(Trainer, ValidationSplitHoldsOutTheLastSamples) {
  const Tensor x = uniform({10, 3}, 11), y = uniform({10, 1}, 12);
  auto model = linear_model();
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.0), .loss = "mse", .metrics = {"mae"}});
  auto h = model->fit(x, y, {.batch_size = 4, .verbose = 0, .validation_split = 0.3});
  // floor(10 * 0.7) = 7 training samples; the last 3 validate (weights unchanged: lr 0).
  const auto tail = model->evaluate(ops::slice(x, {7, 0}, {3, 3}), ops::slice(y, {7, 0}, {3, 1}), {.verbose = 0});
  const auto head = model->evaluate(ops::slice(x, {0, 0}, {7, 3}), ops::slice(y, {0, 0}, {7, 1}), {.verbose = 0});
  EXPECT_TRUE(close_to(h["val_loss"][0], tail.at("loss"), 1e-6));
  EXPECT_TRUE(close_to(h["val_mae"][0], tail.at("mae"), 1e-6));
  EXPECT_TRUE(close_to(h["loss"][0], head.at("loss"), 1e-6));
}

TEST(Trainer, ClassWeightWeighsTrainingButNotTheValidationSplit) {
  const Tensor x = uniform({10, 4}, 13);
  const Tensor y = Tensor::from_vector(std::vector<std::int32_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, Shape{10});
  auto inp = Input({4});
  Model model(inp, (*layers::make<layers::Dense>(3, "softmax"))(inp));
  model.compile({.optimizer = std::make_shared<optimizers::SGD>(0.0), .loss = "sparse_categorical_crossentropy"});
  auto h = model.fit(x, y, {.batch_size = 10, .verbose = 0, .validation_split = 0.2, .class_weight = {{0, 10.0}}});
  const auto head = model.evaluate(ops::slice(x, {0, 0}, {8, 4}), ops::slice(y, {0}, {8}), {.verbose = 0});
  const auto tail = model.evaluate(ops::slice(x, {8, 0}, {2, 4}), ops::slice(y, {8}, {2}), {.verbose = 0});
  EXPECT_TRUE(close_to(h["val_loss"][0], tail.at("loss"), 1e-6));
  EXPECT_GT(h["loss"][0], 1.5 * head.at("loss"));  // class 0 (3 of the 8 samples) weighs 10
}

TEST(Trainer, ShuffleIsSeededAndChangesTheBatches) {
  const Tensor x = uniform({16, 3}, 21), y = uniform({16, 1}, 22);
  auto run = [&](bool shuffle, std::uint64_t seed) {
    auto model = linear_model();
    model->set_weights({ops::ones({3, 1}), ops::zeros({1})});
    model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "mse"});
    model->fit(x, y, {.batch_size = 4, .epochs = 3, .verbose = 0, .shuffle = shuffle, .seed = seed});
    return model->get_weights()[0].to_vector<float>();
  };
  EXPECT_EQ(run(true, 1), run(true, 1));
  EXPECT_NE(run(true, 1), run(true, 2));
  EXPECT_NE(run(true, 1), run(false, 1));
  EXPECT_EQ(run(false, 1), run(false, 2));
}

TEST(Trainer, CallbackHooksInKerasOrderAndInitialEpoch) {
  auto model = linear_model();
  model->compile({.optimizer = "sgd", .loss = "mse"});
  std::vector<std::string> calls;
  auto cb = std::make_shared<callbacks::LambdaCallback>();
  cb->on_train_begin_fn = [&](callbacks::Logs&) { calls.push_back("train_begin"); };
  cb->on_epoch_begin_fn = [&](int e, callbacks::Logs&) { calls.push_back("epoch_begin " + std::to_string(e)); };
  cb->on_train_batch_end_fn = [&](std::int64_t b, callbacks::Logs& l) {
    calls.push_back("batch_end " + std::to_string(b) + (l.contains("loss") ? " loss" : ""));
  };
  cb->on_test_begin_fn = [&](callbacks::Logs&) { calls.push_back("test_begin"); };
  cb->on_test_end_fn = [&](callbacks::Logs& l) { calls.push_back(l.contains("loss") ? "test_end loss" : "test_end"); };
  cb->on_epoch_end_fn = [&](int e, callbacks::Logs& l) {
    calls.push_back("epoch_end " + std::to_string(e) + (l.contains("val_loss") ? " val_loss" : ""));
  };
  cb->on_train_end_fn = [&](callbacks::Logs&) { calls.push_back("train_end"); };
  auto h = model->fit(uniform({6, 3}, 1), uniform({6, 1}, 2),
                      {.batch_size = 4, .epochs = 4, .verbose = 0, .callbacks = {cb}, .validation_split = 0.5,
                       .initial_epoch = 2, .validation_freq = 2});
  EXPECT_EQ(calls, (std::vector<std::string>{"train_begin", "epoch_begin 2", "batch_end 0 loss", "epoch_end 2",
                                             "epoch_begin 3", "batch_end 0 loss", "test_begin", "test_end loss",
                                             "epoch_end 3 val_loss", "train_end"}));
  EXPECT_EQ(h.epoch, (std::vector<int>{2, 3}));
  EXPECT_EQ(h["loss"].size(), 2u);
  EXPECT_EQ(h["val_loss"].size(), 1u);
}

TEST(Trainer, EarlyStoppingStopsAndRestoresBestWeights) {
  auto model = linear_model();
  // Learning rate so large that the loss grows from the first epoch on.
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(5.0), .loss = "mse"});
  const auto initial = model->get_weights();
  auto stop = std::make_shared<callbacks::EarlyStopping>(
      callbacks::EarlyStoppingOptions{.monitor = "loss", .patience = 1, .restore_best_weights = true});
  auto h = model->fit(uniform({8, 3}, 1), uniform({8, 1}, 2),
                      {.batch_size = 8, .epochs = 20, .verbose = 0, .callbacks = {stop}, .shuffle = false});
  EXPECT_EQ(h["loss"].size(), 2u);  // epoch 0 is the best, epoch 1 worse: patience 1 stops there
  EXPECT_GT(h["loss"][1], h["loss"][0]);
  // Restored: the weights after epoch 0, i.e. one step from the start, not the initial ones.
  EXPECT_NE(model->get_weights()[0].to_vector<float>(), initial[0].to_vector<float>());
}

TEST(Trainer, SequentialWithoutInputIsBuiltByFit) {
  Sequential model({layers::make<layers::Dense>(4, "relu"), layers::make<layers::Dense>(1)});
  model.compile({.optimizer = "adam", .loss = "mse", .metrics = {"mae"}});
  auto h = model.fit(uniform({16, 5}, 1), uniform({16, 1}, 2), {.batch_size = 8, .epochs = 2, .verbose = 0});
  EXPECT_TRUE(model.built());
  EXPECT_EQ(h["mae"].size(), 2u);
  EXPECT_EQ(model.predict(uniform({3, 5}, 3))[0].shape(), (Shape{3, 1}));
}

TEST(Trainer, LearningRateThroughCallbacks) {
  auto model = linear_model();
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.1), .loss = "mse"});
  auto schedule = std::make_shared<callbacks::LearningRateScheduler>([](int epoch, double lr) { return lr / 2; });
  auto h = model->fit(uniform({4, 3}, 1), uniform({4, 1}, 2), {.epochs = 3, .verbose = 0, .callbacks = {schedule}});
  EXPECT_TRUE(close_to(Tensor::from_vector(h["learning_rate"], Shape{3}), {0.05, 0.025, 0.0125}, 1e-6));
  EXPECT_NEAR(model->trainer()->learning_rate(), 0.0125, 1e-8);
}

}  // namespace
}  // namespace keras
