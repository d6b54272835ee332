// The progress bar's text through model.fit / evaluate (Keras 3's layout), with the stream
// and clock injected through a ProgbarLogger passed as a callback: verbose 1 off a terminal
// (a line per update, each starting with a newline), verbose 2 (one line per epoch), the
// running means of loss and metrics within an epoch, and validation values at epoch end.
//
// The model predicts 0 (zero weights) and learns nothing (learning rate 0), so every value is
// known: targets 1,1 | 3,3 | 2 in batches of 2 give batch mse 1, 9, 4 and running means
// 1, (2 + 18) / 4 = 5, 24 / 5 = 4.8; mae 1, 2, 2.
#include <gtest/gtest.h>

#include <sstream>

#include "keras/keras.h"

namespace keras {
namespace {

struct FakeClock {
  std::vector<double> times;
  std::size_t next = 0;
  utils::Clock clock() {
    return [this] { return times[std::min(next++, times.size() - 1)]; };
  }
};

std::string bars(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "\xe2\x94\x81";
  return s;
}
const std::string B = "\x1b[1m", R = "\x1b[0m", G = "\x1b[32m", W = "\x1b[37m";

std::shared_ptr<callbacks::ProgbarLogger> logger(std::ostream& out, FakeClock& clock) {
  utils::ProgbarOptions o;
  o.out = &out;
  o.clock = clock.clock();
  return std::make_shared<callbacks::ProgbarLogger>(o);
}

std::shared_ptr<Model> zero_model() {
  auto inp = Input({1});
  auto dense = layers::make<layers::Dense>(1);
  auto model = std::make_shared<Model>(inp, (*dense)(inp));
  model->set_weights({ops::zeros({1, 1}), ops::zeros({1})});
  model->compile({.optimizer = std::make_shared<optimizers::SGD>(0.0), .loss = "mse", .metrics = {"mae"}});
  return model;
}

const Tensor kX = Tensor::from_vector(std::vector<float>{0.5f, -1, 2, 0, 1}, Shape{5, 1});
const Tensor kY = Tensor::from_vector(std::vector<float>{1, 1, 3, 3, 2}, Shape{5, 1});

// One epoch at verbose 1 with the clock at start, start+1, +2, +3 (three batches) and +3 for
// the final line: 1 s per step, ETA counting down, elapsed time on the final line.
std::string verbose1_epoch(const std::string& final_values) {
  auto line = [](int step, int done, const std::string& time, const std::string& values) {
    return "\n" + B + std::to_string(step) + "/3" + R + " " + G + bars(done) + R + W + bars(20 - done) + R + " " + B +
           time + R + " 1s/step" + values;
  };
  return line(1, 6, "2s", " - loss: 1.0000 - mae: 1.0000") + line(2, 13, "1s", " - loss: 5.0000 - mae: 2.0000") +
         line(3, 20, "0s", " - loss: 4.8000 - mae: 2.0000") + line(3, 20, "3s", final_values) + "\n";
}

TEST(FitProgbar, Verbose1OffTerminalPrintsEveryBatchAndTheEpochLine) {
  auto model = zero_model();
  std::ostringstream out;
  FakeClock clock{{0, 1, 2, 3, 3, 10, 11, 12, 13, 13}};
  auto history = model->fit(kX, kY, {.batch_size = 2, .epochs = 2, .verbose = 1, .callbacks = {logger(out, clock)},
                                     .shuffle = false});
  const std::string values = " - loss: 4.8000 - mae: 2.0000";
  EXPECT_EQ(out.str(), "Epoch 1/2\n" + verbose1_epoch(values) + "Epoch 2/2\n" + verbose1_epoch(values));
  EXPECT_EQ(history["loss"].size(), 2u);
  EXPECT_NEAR(history["loss"][1], 4.8, 1e-6);
  EXPECT_NEAR(history["mae"][0], 2.0, 1e-6);
}

TEST(FitProgbar, Verbose1ShowsValidationValuesOnlyOnTheEpochLine) {
  auto model = zero_model();
  std::ostringstream out;
  FakeClock clock{{0, 1, 2, 3, 3}};
  const Tensor x_val = ops::zeros({2, 1});
  const Tensor y_val = Tensor::from_vector(std::vector<float>{2, 4}, Shape{2, 1});
  auto history = model->fit(kX, kY, {.batch_size = 2, .verbose = 1, .callbacks = {logger(out, clock)},
                                     .validation_data = training::ValidationData{x_val, y_val}, .shuffle = false});
  // One epoch: no "Epoch 1/1" header. Validation (mse (4 + 16) / 2 = 10, mae 3) is silent
  // while it runs and appears, sorted after the training values, on the final line.
  EXPECT_EQ(out.str(), verbose1_epoch(" - loss: 4.8000 - mae: 2.0000 - val_loss: 10.0000 - val_mae: 3.0000"));
  EXPECT_EQ(history["val_loss"], (std::vector<double>{10.0}));
  EXPECT_EQ(history["val_mae"], (std::vector<double>{3.0}));
}

TEST(FitProgbar, Verbose2PrintsOneLinePerEpoch) {
  auto model = zero_model();
  std::ostringstream out;
  // At verbose 2 the bar reads the clock only when an epoch starts and ends.
  FakeClock clock{{0, 3, 10, 10.75}};
  model->fit(kX, kY, {.batch_size = 2, .epochs = 2, .verbose = 2, .callbacks = {logger(out, clock)}, .shuffle = false});
  EXPECT_EQ(out.str(),
            "Epoch 1/2\n3/3 - 3s - 1s/step - loss: 4.8000 - mae: 2.0000\n"
            "Epoch 2/2\n3/3 - 1s - 250ms/step - loss: 4.8000 - mae: 2.0000\n");
}

TEST(FitProgbar, Verbose0PrintsNothing) {
  auto model = zero_model();
  testing::internal::CaptureStdout();
  model->fit(kX, kY, {.batch_size = 2, .epochs = 2, .verbose = 0});
  model->evaluate(kX, kY, {.verbose = 0});
  model->predict(kX, training::PredictOptions{.verbose = 0});
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
}

TEST(FitProgbar, EvaluateShowsItsOwnBar) {
  auto model = zero_model();
  std::ostringstream out;
  FakeClock clock{{0, 1, 2, 2.5, 2.5}};
  const callbacks::Logs logs = model->evaluate(kX, kY, {.batch_size = 2, .callbacks = {logger(out, clock)}});
  EXPECT_NEAR(logs.at("loss"), 4.8, 1e-6);
  EXPECT_NEAR(logs.at("mae"), 2.0, 1e-6);
  // (2.5 - 1) / 2 = 750 ms per step after the first; the final line shows the elapsed 2.5 s as "2s".
  const std::string final_line = "\n" + B + "3/3" + R + " " + G + bars(20) + R + W + R + " " + B + "2s" + R +
                                 " 750ms/step - loss: 4.8000 - mae: 2.0000\n";
  ASSERT_GE(out.str().size(), final_line.size());
  EXPECT_EQ(out.str().substr(out.str().size() - final_line.size()), final_line) << out.str();
}

}  // namespace
}  // namespace keras
