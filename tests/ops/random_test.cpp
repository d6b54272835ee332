// keras::random: the Philox generator against published known-answer vectors, determinism,
// bounds and moments on 100k samples.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/philox.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

struct Moments {
  double mean, stddev, min, max;
};

Moments moments(const Tensor& t) {
  const auto v = t.to_vector<double>();
  double s = 0, s2 = 0, lo = v[0], hi = v[0];
  for (double x : v) {
    s += x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double mean = s / static_cast<double>(v.size());
  for (double x : v) s2 += (x - mean) * (x - mean);
  return {mean, std::sqrt(s2 / static_cast<double>(v.size())), lo, hi};
}

}  // namespace

TEST(Philox, KnownAnswerVectors) {
  // Random123's kat_vectors for philox4x32_10.
  using backend::cpu::philox;
  auto zero = philox(0, 0, 0, 0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[1], 0xe169c58du);
  EXPECT_EQ(zero.v[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
  auto ones = philox(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffffffffffull);
  EXPECT_EQ(ones.v[0], 0x408f276du);
  EXPECT_EQ(ones.v[1], 0x41c83b0eu);
  EXPECT_EQ(ones.v[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.v[3], 0x6d5451fdu);
  auto pi = philox(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0x299f31d0a4093822ull);
  EXPECT_EQ(pi.v[0], 0xd16cfe09u);
  EXPECT_EQ(pi.v[1], 0x94fdccebu);
  EXPECT_EQ(pi.v[2], 0x5001e420u);
  EXPECT_EQ(pi.v[3], 0x24126ea1u);
}

TEST(Random, SameSeedSameNumbers) {
  for (DType dt : {DType::float32, DType::float64}) {
    EXPECT_EQ(random::uniform({100}, 0, 1, dt, 42).to_vector<double>(),
              random::uniform({100}, 0, 1, dt, 42).to_vector<double>());
    EXPECT_EQ(random::normal({3, 33}, 0, 1, dt, 7).to_vector<double>(),
              random::normal({3, 33}, 0, 1, dt, 7).to_vector<double>());
    EXPECT_EQ(random::truncated_normal({77}, 0, 1, dt, 7).to_vector<double>(),
              random::truncated_normal({77}, 0, 1, dt, 7).to_vector<double>());
    EXPECT_NE(random::uniform({100}, 0, 1, dt, 1).to_vector<double>(),
              random::uniform({100}, 0, 1, dt, 2).to_vector<double>());
  }
  // Element i depends only on (seed, i): a longer draw extends a shorter one.
  auto shorter = random::normal({10}, 0, 1, DType::float32, 5).to_vector<float>();
  auto longer = random::normal({50000}, 0, 1, DType::float32, 5).to_vector<float>();
  EXPECT_EQ(shorter, std::vector<float>(longer.begin(), longer.begin() + 10));
}

TEST(Random, PinnedValues) {
  // First uniform float32 with seed 0 is the top 24 bits of word 0 of philox((0,0,0,1), 0):
  // a change here changes every model initialized with a seed.
  const auto block = backend::cpu::philox(0, 0, 0, 1, 0);
  const double expected = static_cast<double>(block.v[0] >> 8) * 0x1.0p-24;
  EXPECT_EQ(random::uniform({1}, 0, 1, DType::float32, 0).item(), static_cast<float>(expected));
}

TEST(Random, UniformBoundsAndMoments) {
  for (DType dt : {DType::float32, DType::float64}) {
    const Moments m = moments(random::uniform({100000}, -0.05, 0.05, dt, 3));
    // Bounds as the dtype represents them (float32's -0.05 lies just below the double).
    const double lo = dt == DType::float32 ? static_cast<double>(-0.05f) : -0.05;
    const double hi = dt == DType::float32 ? static_cast<double>(0.05f) : 0.05;
    EXPECT_GE(m.min, lo);
    EXPECT_LT(m.max, hi);
    EXPECT_LT(m.min, lo + 1e-4);  // the whole interval is covered
    EXPECT_GT(m.max, hi - 1e-4);
    EXPECT_NEAR(m.mean, 0.0, 0.001);
    EXPECT_NEAR(m.stddev, 0.1 / std::sqrt(12.0), 0.001);
  }
  // A tiny interval where rounding to float32 would otherwise hit maxval.
  const Moments t = moments(random::uniform({10000}, 1.0, 1.0 + 1e-8, DType::float32, 1));
  EXPECT_LT(t.max, 1.0 + 1e-8);
}

TEST(Random, NormalMoments) {
  for (DType dt : {DType::float32, DType::float64}) {
    const Moments m = moments(random::normal({100000}, 2.0, 0.5, dt, 11));
    EXPECT_NEAR(m.mean, 2.0, 0.01);
    EXPECT_NEAR(m.stddev, 0.5, 0.01);
    EXPECT_LT(m.min, 2.0 - 3 * 0.5);  // tails are present
    EXPECT_GT(m.max, 2.0 + 3 * 0.5);
  }
}

TEST(Random, TruncatedNormalStaysWithinTwoStddev) {
  const Moments m = moments(random::truncated_normal({100000}, 1.0, 0.5, DType::float32, 9));
  EXPECT_GE(m.min, 1.0 - 2 * 0.5);
  EXPECT_LE(m.max, 1.0 + 2 * 0.5);
  EXPECT_NEAR(m.mean, 1.0, 0.01);
  // The standard normal truncated to [-2, 2] has stddev 0.87962.
  EXPECT_NEAR(m.stddev, 0.5 * 0.87962, 0.01);
  EXPECT_GT(m.max, 1.0 + 1.9 * 0.5);  // reaches the edges
}

TEST(Random, Errors) {
  EXPECT_THROW((void)random::uniform({2}, 0, 1, DType::int32), TypeError);
  EXPECT_THROW((void)random::normal({-1, 2}), ValueError);
  EXPECT_EQ(random::normal({0, 3}).shape(), (Shape{0, 3}));
}
