// Learning-rate schedules against their float64 formulas at many steps.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "keras/training/schedules.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace optimizers::schedules;
using training_test::close_to;

void expect_schedule(const LearningRateSchedule& s, const std::function<double(double)>& reference,
                     const std::vector<int>& steps) {
  for (int step : steps) EXPECT_TRUE(close_to(s.value_at(step), reference(step), 2e-6, 1e-8)) << "step " << step;
}

const std::vector<int> kSteps = {0, 1, 5, 9, 10, 11, 37, 99, 100, 101, 150, 250, 1000};

TEST(Schedules, ExponentialDecay) {
  expect_schedule(ExponentialDecay(0.1, 10, 0.5), [](double s) { return 0.1 * std::pow(0.5, s / 10); }, kSteps);
  expect_schedule(ExponentialDecay(0.1, 10, 0.5, true), [](double s) { return 0.1 * std::pow(0.5, std::floor(s / 10)); },
                  kSteps);
}

TEST(Schedules, InverseTimeDecay) {
  expect_schedule(InverseTimeDecay(0.1, 10, 0.5), [](double s) { return 0.1 / (1 + 0.5 * s / 10); }, kSteps);
  expect_schedule(InverseTimeDecay(0.1, 10, 0.5, true), [](double s) { return 0.1 / (1 + 0.5 * std::floor(s / 10)); },
                  kSteps);
}

TEST(Schedules, PiecewiseConstantDecay) {
  PiecewiseConstantDecay s({100, 110}, {1.0, 0.5, 0.1});
  expect_schedule(s, [](double step) { return step <= 100 ? 1.0 : step <= 110 ? 0.5 : 0.1; },
                  {0, 99, 100, 101, 109, 110, 111, 5000});
  EXPECT_THROW(PiecewiseConstantDecay({1, 2}, {1.0, 0.5}), ValueError);
}

TEST(Schedules, PolynomialDecay) {
  expect_schedule(PolynomialDecay(0.1, 100, 0.01, 0.5),
                  [](double s) { return 0.09 * std::sqrt(1 - std::min(s, 100.0) / 100) + 0.01; }, kSteps);
  expect_schedule(PolynomialDecay(0.1, 100, 0.01, 2.0, true),
                  [](double s) {
                    const double steps = 100 * (s == 0 ? 1.0 : std::ceil(s / 100));
                    return 0.09 * std::pow(1 - s / steps, 2.0) + 0.01;
                  },
                  kSteps);
}

TEST(Schedules, CosineDecayWithAndWithoutWarmup) {
  expect_schedule(CosineDecay(0.1, 100, 0.1),
                  [](double s) {
                    s = std::min(s, 100.0);
                    return 0.1 * (0.9 * 0.5 * (1 + std::cos(M_PI * s / 100)) + 0.1);
                  },
                  kSteps);
  expect_schedule(CosineDecay(0.0, 100, 0.0, 0.1, 10),
                  [](double s) {
                    s = std::min(s, 110.0);
                    if (s < 10) return 0.1 * s / 10;
                    return 0.1 * 0.5 * (1 + std::cos(M_PI * (s - 10) / 100));
                  },
                  kSteps);
  EXPECT_THROW(CosineDecay(0.1, 100, 0.0, 0.2, 0), ValueError);
}

TEST(Schedules, CosineDecayRestarts) {
  expect_schedule(CosineDecayRestarts(0.1, 10, 2.0, 0.5, 0.05),
                  [](double s) {
                    const double f = s / 10;
                    const double i = std::floor(std::log2(1 + f));
                    const double frac = (f - (std::pow(2, i) - 1)) / std::pow(2, i);
                    const double cosine = 0.5 * std::pow(0.5, i) * (1 + std::cos(M_PI * frac));
                    return 0.1 * (0.95 * cosine + 0.05);
                  },
                  {0, 1, 5, 9, 11, 29, 31, 69, 71, 149});
  expect_schedule(CosineDecayRestarts(0.1, 10, 1.0, 1.0),
                  [](double s) {
                    const double f = s / 10 - std::floor(s / 10);
                    return 0.1 * 0.5 * (1 + std::cos(M_PI * f));
                  },
                  {0, 3, 9, 10, 13, 27});
}

}  // namespace
}  // namespace keras
