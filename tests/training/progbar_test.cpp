// The progress bar's exact text (Keras 3's progbar.py) with a fake clock: verbose 1 off a
// terminal (a line per update), verbose 1 redrawn in place, verbose 2, and ProgbarLogger's
// epoch layout; plus Python's float repr used in callback messages.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "keras/training/callbacks.h"
#include "keras/training/progbar.h"

namespace keras {
namespace {

using utils::Progbar;
using utils::ProgbarOptions;

// A clock that returns the queued times in order (then repeats the last one).
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

ProgbarOptions options(std::ostream& out, FakeClock& clock, int verbose = 1, bool dynamic = false) {
  ProgbarOptions o;
  o.out = &out;
  o.clock = clock.clock();
  o.verbose = verbose;
  o.dynamic_display = dynamic;
  o.all_stateful = true;
  return o;
}

TEST(Progbar, Verbose1OffTerminalPrintsALinePerUpdate) {
  std::ostringstream out;
  FakeClock clock{{100.0, 105.0, 105.01, 106.0}};
  Progbar bar(3, options(out, clock));
  bar.update(1, {{"loss", 0.5}});
  bar.update(2, {{"loss", 0.25}});  // 10 ms after the last line: skipped (interval 0.05 s)
  bar.update(3, {{"loss", 0.0005}});
  const std::string expected =
      // step 1: ETA = 5 s/step * 2 steps, 6 of 20 bar cells done
      "\n" + B + "1/3" + R + " " + G + bars(6) + R + W + bars(14) + R + " " + B + "10s" + R + " 5s/step - loss: 0.5000" +
      // final: elapsed time, step time excludes the first step ((106 - 105) / 2), %.4e below 1e-3
      "\n" + B + "3/3" + R + " " + G + bars(20) + R + W + R + " " + B + "6s" + R + " 500ms/step - loss: 5.0000e-04\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(Progbar, Verbose1OnTerminalRedrawsInPlaceAndPads) {
  std::ostringstream out;
  FakeClock clock{{0.0, 2.0, 4.0}};
  Progbar bar(10, options(out, clock, 1, /*dynamic=*/true));
  bar.update(1, {{"accuracy", 0.8123}, {"loss", 1234.5}});
  bar.update(10, {{"accuracy", 0.5}, {"loss", 0.5}});
  // Line 1 visible width: " 1/10 " (6) + 20 bars + " 18s" + " 2s/step" + " - accuracy: 0.8123 - loss: 1234.5000"
  const std::string line1 = B + " 1/10" + R + " " + G + bars(2) + R + W + bars(18) + R + " " + B + "18s" + R +
                            " 2s/step - accuracy: 0.8123 - loss: 1234.5000";
  const int width1 = 6 + 20 + 4 + 8 + 37;
  // Final: 4 s elapsed, (4 - 2) / 9 s per step = 222 ms; one character shorter, so one space pads.
  const std::string line2 = B + "10/10" + R + " " + G + bars(20) + R + W + R + " " + B + "4s" + R +
                            " 222ms/step - accuracy: 0.5000 - loss: 0.5000";
  const int width2 = 6 + 20 + 3 + 11 + 34;
  ASSERT_GT(width1, width2);
  const std::string expected = "\r" + line1 + std::string(static_cast<std::size_t>(width1), '\b') + "\r" + line2 +
                               std::string(static_cast<std::size_t>(width1 - width2), ' ') + "\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(Progbar, Verbose2PrintsOnlyTheFinalLine) {
  std::ostringstream out;
  FakeClock clock{{0.0, 0.01, 0.02, 0.064}};
  Progbar bar(32, options(out, clock, 2));
  bar.update(1, {{"loss", 0.3}});
  bar.update(16, {{"loss", 0.2}});
  EXPECT_EQ(out.str(), "");
  bar.update(32, {{"loss", 0.1234}, {"val_loss", -0.5}});
  // verbose 2 tests `avg > 1e-3` without abs(): a negative value prints in %.4e.
  EXPECT_EQ(out.str(), "32/32 - 0s - 2ms/step - loss: 0.1234 - val_loss: -5.0000e-01\n");
}

TEST(Progbar, AveragesStatelessValuesAndHandlesUnknownTarget) {
  std::ostringstream out;
  FakeClock clock{{0.0, 1.0, 2.0, 3.0}};
  ProgbarOptions o = options(out, clock);
  o.all_stateful = false;  // Progbar's own default: values are averaged over steps
  o.stateful_metrics = {"acc"};
  Progbar bar(std::nullopt, o);
  bar.update(2, {{"loss", 1.0}, {"acc", 0.5}});
  bar.update(4, {{"loss", 3.0}, {"acc", 0.75}});
  const std::string tail = out.str().substr(out.str().rfind('\n') + 1);
  // Unknown target: "%7d/Unknown", elapsed time; loss averaged (1*2 + 3*2) / 4 = 2, acc as given.
  EXPECT_EQ(tail, "      4/Unknown " + B + "2s" + R + " 500ms/step - loss: 2.0000 - acc: 0.7500");
}

TEST(Progbar, NanAndInfPrintLikePython) {
  std::ostringstream out;
  FakeClock clock{{0.0, 1.0}};
  Progbar bar(1, options(out, clock));
  bar.update(1, {{"loss", std::nan("")}, {"x", -INFINITY}});
  EXPECT_NE(out.str().find(" - loss: nan - x: -inf\n"), std::string::npos) << out.str();
}

TEST(ProgbarLogger, EpochLayoutThroughCallbackList) {
  std::ostringstream out;
  FakeClock clock{{0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0}};
  ProgbarOptions o;
  o.out = &out;
  o.clock = clock.clock();
  o.dynamic_display = false;
  auto logger = std::make_shared<callbacks::ProgbarLogger>(o);
  callbacks::CallbackList list({logger}, /*add_history=*/true, /*add_progbar=*/true, nullptr,
                               callbacks::Params{1, 2, 2});
  EXPECT_EQ(list.progbar(), logger);  // not added twice
  list.on_train_begin();
  for (int epoch = 0; epoch < 2; ++epoch) {
    list.on_epoch_begin(epoch);
    list.on_train_batch_end(0, {{"loss", 0.5}, {"accuracy", 0.25}});
    list.on_train_batch_end(1, {{"loss", 0.4}, {"accuracy", 0.5}});
    list.on_test_begin();  // validation inside fit prints nothing
    list.on_test_batch_end(0, {{"loss", 9.0}});
    list.on_test_end({{"loss", 9.0}});
    list.on_epoch_end(epoch, {{"loss", 0.4}, {"accuracy", 0.5}, {"val_loss", 0.6}, {"val_accuracy", 0.375}});
  }
  list.on_train_end();
  const std::string text = out.str();
  // Logs reach the bar sorted by name: accuracy, loss, then the validation values.
  const std::string epoch_end_values = " - accuracy: 0.5000 - loss: 0.4000 - val_accuracy: 0.3750 - val_loss: 0.6000\n";
  EXPECT_EQ(text.rfind("Epoch 1/2\n", 0), 0u) << text;
  EXPECT_NE(text.find("\nEpoch 2/2\n"), std::string::npos) << text;
  EXPECT_NE(text.find(B + "1/2" + R + " " + G + bars(10) + R + W + bars(10) + R), std::string::npos) << text;
  EXPECT_NE(text.find(epoch_end_values), std::string::npos) << text;
  EXPECT_EQ(text.find("9.0000"), std::string::npos) << "validation must stay silent inside fit";
  EXPECT_EQ(list.history()->operator[]("val_accuracy"), (std::vector<double>{0.375, 0.375}));
  EXPECT_EQ(list.history()->epoch, (std::vector<int>{0, 1}));
}

TEST(ProgbarLogger, Verbose2OneLinePerEpochAndNoEpochHeaderForOneEpoch) {
  std::ostringstream out;
  FakeClock clock{{0.0, 0.25}};
  ProgbarOptions o;
  o.out = &out;
  o.clock = clock.clock();
  auto logger = std::make_shared<callbacks::ProgbarLogger>(o);
  callbacks::CallbackList list({logger}, false, false, nullptr, callbacks::Params{2, 1, 32});
  list.on_train_begin();
  list.on_epoch_begin(0);
  for (int b = 0; b < 32; ++b) list.on_train_batch_end(b, {{"loss", 0.1}});
  list.on_epoch_end(0, {{"loss", 0.1234}});
  EXPECT_EQ(out.str(), "32/32 - 0s - 8ms/step - loss: 0.1234\n");
}

TEST(ProgbarLogger, EvaluateAndPredictShowTheirOwnBars) {
  std::ostringstream out;
  FakeClock clock{{0.0, 1.0, 2.0}};
  ProgbarOptions o;
  o.out = &out;
  o.clock = clock.clock();
  o.dynamic_display = false;
  auto logger = std::make_shared<callbacks::ProgbarLogger>(o);
  callbacks::CallbackList list({logger}, false, false, nullptr, callbacks::Params{1, 1, 2});
  list.on_test_begin();
  list.on_test_batch_end(0, {{"loss", 0.5}});
  list.on_test_batch_end(1, {{"loss", 0.25}});
  list.on_test_end({{"loss", 0.25}});
  const std::string text = out.str();
  EXPECT_NE(text.find(B + "2/2" + R), std::string::npos) << text;
  EXPECT_NE(text.find(" - loss: 0.2500\n"), std::string::npos) << text;
}

TEST(PythonFormat, FloatReprMatchesPython) {
  EXPECT_EQ(utils::python_float_repr(0.1), "0.1");
  EXPECT_EQ(utils::python_float_repr(0.05000000074505806), "0.05000000074505806");
  EXPECT_EQ(utils::python_float_repr(static_cast<double>(0.01f)), "0.009999999776482582");
  EXPECT_EQ(utils::python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(utils::python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(utils::python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(utils::python_float_repr(100.0), "100.0");
  EXPECT_EQ(utils::python_float_repr(123456789.0), "123456789.0");
  EXPECT_EQ(utils::python_float_repr(1e16), "1e+16");
  EXPECT_EQ(utils::python_float_repr(1.25e20), "1.25e+20");
  EXPECT_EQ(utils::python_float_repr(-0.5), "-0.5");
  EXPECT_EQ(utils::python_float_repr(0.447468101978302), "0.447468101978302");
  EXPECT_EQ(utils::python_float_repr(std::nan("")), "nan");
  EXPECT_EQ(utils::python_float_repr(-INFINITY), "-inf");
  EXPECT_EQ(utils::python_format(0.123456, ".2f"), "0.12");
  EXPECT_EQ(utils::python_format(0.5, ".0f"), "0");  // round half to even, as Python
  EXPECT_EQ(utils::python_format(0.00012345, ".4e"), "1.2345e-04");
  EXPECT_THROW(utils::python_format(1.0, "d"), ValueError);
}

}  // namespace
}  // namespace keras
