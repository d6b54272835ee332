// Callbacks driven through a CallbackList against a fake model: History, EarlyStopping,
// ModelCheckpoint, CSVLogger, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN,
// LambdaCallback, and the logs' ordering and mutation rules.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "keras/training/callbacks.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace callbacks;
using namespace training_test;

struct FakeModel : CallbackModel {
  std::vector<Tensor> weights{f32({0})};
  double lr = static_cast<float>(0.01);
  std::vector<std::string> saved, saved_weights;
  std::vector<Tensor> get_weights() const override { return {weights[0].copy()}; }
  void set_weights(const std::vector<Tensor>& w) override { weights = w; }
  double learning_rate() const override { return lr; }
  void set_learning_rate(double v) override { lr = static_cast<float>(v); }  // a float32 variable
  void save(const std::string& p) override { saved.push_back(p); }
  void save_weights(const std::string& p) override { saved_weights.push_back(p); }
  metrics::Direction metric_direction(const std::string& name) const override {
    return name == "accuracy" ? metrics::Direction::up : metrics::Direction::unknown;
  }
};

// Runs epochs with the given epoch logs; the model's weight records the epoch it was set in.
void run_epochs(CallbackList& list, FakeModel& model, const std::vector<Logs>& epoch_logs) {
  list.on_train_begin();
  for (std::size_t e = 0; e < epoch_logs.size() && !model.stop_training; ++e) {
    list.on_epoch_begin(static_cast<int>(e));
    model.weights = {f32({static_cast<float>(e)})};
    list.on_epoch_end(static_cast<int>(e), epoch_logs[e]);
  }
  list.on_train_end();
}

std::vector<Logs> val_losses(const std::vector<double>& v) {
  std::vector<Logs> out;
  for (double x : v) out.push_back({{"loss", 1.0}, {"val_loss", x}});
  return out;
}

TEST(Callbacks, LogsAreSortedPerCallAndMutationsReachLaterCallbacks) {
  FakeModel model;
  auto first = std::make_shared<LambdaCallback>();
  std::vector<std::string> seen_keys;
  first->on_epoch_end_fn = [&](int, Logs& logs) {
    seen_keys = logs.keys();
    logs["added"] = 7;
  };
  CallbackList list({first}, /*add_history=*/true, false, &model, Params{0, 1, 1});
  Logs input{{"val_loss", 1}, {"loss", 2}, {"accuracy", 3}};
  Logs out = list.on_epoch_end(0, input);
  EXPECT_EQ(seen_keys, (std::vector<std::string>{"accuracy", "loss", "val_loss"}));
  EXPECT_EQ(out.get("added"), 7.0);
  EXPECT_FALSE(input.contains("added"));  // the caller's logs are untouched
  EXPECT_EQ((*list.history())["added"], std::vector<double>{7.0});
  EXPECT_THROW((*list.history())["missing"], KeyError);
  EXPECT_THROW(input.at("nope"), KeyError);
}

TEST(Callbacks, EarlyStoppingPatienceAndRestoreBestWeights) {
  FakeModel model;
  std::ostringstream out;
  auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2, .verbose = 1, .restore_best_weights = true});
  es->set_streams(&out, &out);
  CallbackList list({es}, true, false, &model, Params{0, 10, 1});
  run_epochs(list, model, val_losses({1.0, 0.9, 0.95, 0.97, 0.8, 0.7}));
  // Keras counts the non-improving epoch before checking: epochs 2 and 3 -> stop at epoch 3.
  EXPECT_TRUE(model.stop_training);
  EXPECT_EQ(es->stopped_epoch(), 3);
  EXPECT_EQ(es->best_epoch(), 1);
  EXPECT_EQ(list.history()->epoch, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(close_to(model.weights[0], {1.0}));  // restored from the end of epoch 1
  EXPECT_EQ(out.str(), "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n");
}

TEST(Callbacks, EarlyStoppingMinDeltaBaselineStartEpochAndModes) {
  {
    FakeModel model;
    auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.min_delta = 0.05, .patience = 1});
    CallbackList list({es}, false, false, &model);
    run_epochs(list, model, val_losses({1.0, 0.97, 0.5}));  // 0.97 improves by less than min_delta
    EXPECT_EQ(es->stopped_epoch(), 1);
  }
  {
    // The baseline is never beaten, so patience keeps counting even while improving.
    FakeModel model;
    auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2, .baseline = 0.5});
    CallbackList list({es}, false, false, &model);
    run_epochs(list, model, val_losses({0.9, 0.8, 0.85, 0.7}));
    EXPECT_EQ(es->stopped_epoch(), 2);
    FakeModel model2;
    auto plain = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 2});
    CallbackList list2({plain}, false, false, &model2);
    run_epochs(list2, model2, val_losses({0.9, 0.8, 0.85, 0.7}));
    EXPECT_FALSE(model2.stop_training);
  }
  {
    FakeModel model;
    auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.patience = 0, .start_from_epoch = 2});
    CallbackList list({es}, false, false, &model);
    run_epochs(list, model, val_losses({0.1, 0.9, 0.8, 0.85}));
    EXPECT_EQ(es->stopped_epoch(), 3);  // epochs 0 and 1 are not watched
  }
  {
    // "auto" on an accuracy-like metric maximizes (the model says its direction).
    FakeModel model;
    auto es = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "val_accuracy", .patience = 1});
    CallbackList list({es}, false, false, &model);
    run_epochs(list, model, {{{"val_accuracy", 0.5}}, {{"val_accuracy", 0.6}}, {{"val_accuracy", 0.55}}});
    EXPECT_EQ(es->stopped_epoch(), 2);
    FakeModel model2;
    auto unknown = std::make_shared<EarlyStopping>(EarlyStoppingOptions{.monitor = "val_foo"});
    CallbackList list2({unknown}, false, false, &model2);
    expect_throw_with<ValueError>([&] { run_epochs(list2, model2, {{{"val_foo", 1.0}}}); },
                                  {"monitor=val_foo", "mode='max'"});
  }
  {
    // A missing monitor only warns.
    FakeModel model;
    std::ostringstream err;
    auto es = std::make_shared<EarlyStopping>();
    es->set_streams(&err, &err);
    CallbackList list({es}, false, false, &model);
    run_epochs(list, model, {{{"loss", 1.0}}});
    EXPECT_NE(err.str().find("Early stopping conditioned on metric `val_loss` which is not available. Available "
                             "metrics are: loss"),
              std::string::npos);
  }
}

TEST(Callbacks, ModelCheckpointSaveBestOnlyWithFormattedPaths) {
  FakeModel model;
  std::ostringstream out;
  std::vector<std::string> paths;
  ModelCheckpointOptions o;
  o.save_best_only = true;
  o.verbose = 1;
  o.save_fn = [&](const std::string& p) { paths.push_back(p); };
  auto ckpt = std::make_shared<ModelCheckpoint>("ckpt-{epoch:02d}-{val_loss:.2f}.keras", o);
  ckpt->set_streams(&out, &out);
  CallbackList list({ckpt}, false, false, &model);
  run_epochs(list, model, val_losses({0.5, 0.6, 0.4}));
  EXPECT_EQ(paths, (std::vector<std::string>{"ckpt-01-0.50.keras", "ckpt-03-0.40.keras"}));
  EXPECT_EQ(out.str(),
            "\nEpoch 1: val_loss improved from None to 0.50000, saving model to ckpt-01-0.50.keras\n"
            "\nEpoch 1: finished saving model to ckpt-01-0.50.keras\n"
            "\nEpoch 2: val_loss did not improve from 0.50000\n"
            "\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to ckpt-03-0.40.keras\n"
            "\nEpoch 3: finished saving model to ckpt-03-0.40.keras\n");
}

TEST(Callbacks, ModelCheckpointUsesTheModelAndChecksExtensions) {
  FakeModel model;
  auto every_epoch = std::make_shared<ModelCheckpoint>("model.keras", ModelCheckpointOptions{.monitor = "loss"});
  auto weights = std::make_shared<ModelCheckpoint>(
      "w-{epoch}.weights.h5", ModelCheckpointOptions{.monitor = "loss", .save_weights_only = true});
  CallbackList list({every_epoch, weights}, false, false, &model);
  run_epochs(list, model, val_losses({0.5, 0.6}));
  EXPECT_EQ(model.saved, (std::vector<std::string>{"model.keras", "model.keras"}));
  EXPECT_EQ(model.saved_weights, (std::vector<std::string>{"w-1.weights.h5", "w-2.weights.h5"}));
  expect_throw_with<ValueError>([] { ModelCheckpoint("model.txt"); }, {"must end in `.keras`"});
  expect_throw_with<ValueError>([] { ModelCheckpoint("w.h5", ModelCheckpointOptions{.save_weights_only = true}); },
                                {"`.weights.h5`"});
  // Every 2 batches, with the batch number in the name.
  std::vector<std::string> paths;
  auto batches = std::make_shared<ModelCheckpoint>(
      "b{epoch}-{batch}.keras", ModelCheckpointOptions{.save_freq = 2, .save_fn = [&](const std::string& p) {
                                                          paths.push_back(p);
                                                        }});
  CallbackList list2({batches}, false, false, &model);
  list2.on_epoch_begin(0);
  for (int b = 0; b < 5; ++b) list2.on_train_batch_end(b, {{"loss", 1.0}});
  EXPECT_EQ(paths, (std::vector<std::string>{"b1-2.keras", "b1-4.keras"}));
  EXPECT_THROW(format_filepath("{nope}.keras", {{"epoch", 1}}, Logs{}), KeyError);
  EXPECT_EQ(format_filepath("{{x}}-{epoch:03d}-{loss}", {{"epoch", 7}}, Logs{{"loss", 0.25}}), "{x}-007-0.25");
}

TEST(Callbacks, CsvLoggerWritesPythonCsv) {
  namespace fs = std::filesystem;
  const std::string path = (fs::temp_directory_path() / ("keras_cpp_csv_" + std::to_string(::getpid()) + ".csv")).string();
  FakeModel model;
  auto csv = std::make_shared<CSVLogger>(path);
  CallbackList list({csv}, false, false, &model);
  run_epochs(list, model, {{{"loss", 0.447468101978302}, {"accuracy", 0.75}}, {{"loss", std::nan("")}, {"accuracy", 1}}});
  auto read = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(),
            "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
            "0,0.75,0.447468101978302,NA,NA\r\n"
            "1,1.0,nan,NA,NA\r\n");
  // append=true keeps the rows and does not repeat the header.
  auto again = std::make_shared<CSVLogger>(path, ",", true);
  CallbackList list2({again}, false, false, &model);
  run_epochs(list2, model, {{{"loss", 0.5}, {"accuracy", 0.5}}});
  EXPECT_EQ(read(),
            "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
            "0,0.75,0.447468101978302,NA,NA\r\n"
            "1,1.0,nan,NA,NA\r\n"
            "0,0.5,0.5,NA,NA\r\n");
  fs::remove(path);
}

TEST(Callbacks, LearningRateSchedulerSetsAndLogsTheRate) {
  FakeModel model;
  std::ostringstream out;
  auto sched = std::make_shared<LearningRateScheduler>([](int epoch, double lr) { return epoch == 0 ? lr : lr * 0.5; }, 1);
  sched->set_streams(&out, &out);
  CallbackList list({sched}, true, false, &model);
  run_epochs(list, model, {{{"loss", 1}}, {{"loss", 1}}});
  const double lr0 = static_cast<float>(0.01), lr1 = static_cast<float>(lr0 * 0.5);
  EXPECT_EQ((*list.history())["learning_rate"], (std::vector<double>{lr0, lr1}));
  EXPECT_EQ(out.str(),
            "\nEpoch 1: LearningRateScheduler setting learning rate to 0.009999999776482582.\n"
            "\nEpoch 2: LearningRateScheduler setting learning rate to 0.004999999888241291.\n");
}

TEST(Callbacks, ReduceLROnPlateau) {
  FakeModel model;
  model.lr = 1.0;
  std::ostringstream out;
  auto reduce = std::make_shared<ReduceLROnPlateau>(
      ReduceLROnPlateauOptions{.factor = 0.5, .patience = 1, .verbose = 1, .min_delta = 0.0, .cooldown = 1, .min_lr = 0.3});
  reduce->set_streams(&out, &out);
  CallbackList list({reduce}, true, false, &model);
  run_epochs(list, model, val_losses({1.0, 1.0, 1.0, 1.0, 1.0, 1.0}));
  // Epoch 1: no improvement -> 0.5 (cooldown 1). Epoch 2: the cooldown counts down first, so
  // it reduces again: max(0.25, min_lr) = 0.3. Later epochs: already at min_lr.
  EXPECT_TRUE(close_to(model.lr, 0.3, 1e-6));
  const double f03 = static_cast<float>(0.3);
  EXPECT_EQ((*list.history())["learning_rate"], (std::vector<double>{1.0, 1.0, 0.5, f03, f03, f03}));
  EXPECT_EQ(out.str(),
            "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"
            "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.3.\n");
  EXPECT_THROW(ReduceLROnPlateau(ReduceLROnPlateauOptions{.factor = 1.0}), ValueError);
}

TEST(Callbacks, TerminateOnNaN) {
  FakeModel model;
  std::ostringstream out;
  auto t = std::make_shared<TerminateOnNaN>();
  t->set_streams(&out, &out);
  CallbackList list({t}, false, false, &model);
  list.on_train_batch_end(2, {{"loss", 0.5}});
  EXPECT_FALSE(model.stop_training);
  list.on_train_batch_end(3, {{"loss", std::nan("")}});
  EXPECT_TRUE(model.stop_training);
  EXPECT_EQ(out.str(), "Batch 3: Invalid loss, terminating training\n");
  FakeModel model2;
  CallbackList strict({std::make_shared<TerminateOnNaN>(true)}, false, false, &model2);
  expect_throw_with<RuntimeError>([&] { strict.on_train_batch_end(0, {{"loss", INFINITY}}); },
                                  {"NaN or Inf loss encountered at batch 0. Loss value: inf."});
}

TEST(Callbacks, LambdaCallbackAndAllHooksReachCallbacks) {
  struct Recorder : Callback {
    std::vector<std::string> calls;
    void on_train_begin(Logs&) override { calls.push_back("train_begin"); }
    void on_batch_end(std::int64_t b, Logs&) override { calls.push_back("batch_end " + std::to_string(b)); }
    void on_test_begin(Logs&) override { calls.push_back("test_begin"); }
    void on_test_batch_begin(std::int64_t, Logs&) override { calls.push_back("test_batch_begin"); }
    void on_predict_end(Logs&) override { calls.push_back("predict_end"); }
  };
  auto rec = std::make_shared<Recorder>();
  auto lambda = std::make_shared<LambdaCallback>();
  int epochs_begun = 0;
  lambda->on_epoch_begin_fn = [&](int, Logs&) { ++epochs_begun; };
  FakeModel model;
  CallbackList list({rec, lambda}, false, false, &model);
  list.on_train_begin();
  list.on_epoch_begin(0);
  list.on_train_batch_end(4);  // reaches on_batch_end by default, as in Keras
  list.on_test_begin();
  list.on_test_batch_begin(0);
  list.on_predict_end();
  EXPECT_EQ(rec->calls, (std::vector<std::string>{"train_begin", "batch_end 4", "test_begin", "test_batch_begin",
                                                  "predict_end"}));
  EXPECT_EQ(epochs_begun, 1);
  EXPECT_EQ(rec->model(), &model);
}

TEST(Callbacks, CallbacksWithoutAModelSayWhy) {
  CallbackList list({std::make_shared<TerminateOnNaN>()});
  expect_throw_with<RuntimeError>([&] { list.on_train_batch_end(0, {{"loss", std::nan("")}}); },
                                  {"TerminateOnNaN needs a model"});
  struct Bare : CallbackModel {
    std::vector<Tensor> get_weights() const override { return {}; }
    void set_weights(const std::vector<Tensor>&) override {}
  } bare;
  EXPECT_THROW(bare.learning_rate(), RuntimeError);
  EXPECT_THROW(bare.save("x.keras"), NotImplementedError);
}

}  // namespace
}  // namespace keras
