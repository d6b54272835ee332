// to_categorical, seeded permutations and shuffling, row slicing, batching, cardinality
// checks and Keras's validation_split.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "keras/data/utils.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace training_test;

TEST(ToCategorical, OneHotLikeKeras) {
  Tensor y = utils::to_categorical(i32({0, 2, 1, 2}, {4}));
  EXPECT_EQ(y.shape(), (Shape{4, 3}));
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1}));
  // A trailing axis of 1 is dropped; num_classes widens; float labels work.
  Tensor z = utils::to_categorical(f32({1, 0}, {2, 1}), 4);
  EXPECT_EQ(z.shape(), (Shape{2, 4}));
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{0, 1, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(utils::to_categorical(i32({1, 0, 1, 1}, {2, 2})).shape(), (Shape{2, 2, 2}));
  expect_throw_with<ValueError>([] { utils::to_categorical(i32({0, 5}, {2}), 3); }, {"label 5", "num_classes=3"});
  expect_throw_with<ValueError>([] { utils::to_categorical(f32({-1})); }, {"non-negative integer"});
  EXPECT_THROW(utils::to_categorical(f32({0.5f})), ValueError);
}

TEST(Shuffle, SeededPermutationIsStableAndComplete) {
  const auto p = data::permutation(10, 42);
  EXPECT_EQ(p, data::permutation(10, 42));
  EXPECT_NE(p, data::permutation(10, 43));
  std::vector<std::int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> iota(10);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  // Pinned: std::mt19937_64 is fully specified and the bounded draws avoid the library's
  // distributions, so the sequence must not change across platforms or library versions.
  EXPECT_EQ(data::permutation(6, 7), (std::vector<std::int64_t>{5, 1, 4, 2, 0, 3}));
  EXPECT_EQ(p, (std::vector<std::int64_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
  EXPECT_TRUE(data::permutation(0, 1).empty());
  // Every position is reachable: over many seeds each element lands everywhere.
  std::vector<std::vector<int>> seen(5, std::vector<int>(5, 0));
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const auto q = data::permutation(5, seed);
    for (int i = 0; i < 5; ++i) ++seen[static_cast<std::size_t>(i)][static_cast<std::size_t>(q[static_cast<std::size_t>(i)])];
  }
  for (const auto& row : seen)
    for (int c : row) EXPECT_GT(c, 60);  // ~100 expected each
}

TEST(Shuffle, ArraysMoveTogether) {
  Tensor x = f32({0, 1, 10, 11, 20, 21, 30, 31}, {4, 2});
  Tensor y = i32({0, 1, 2, 3}, {4});
  auto out = data::shuffle({x, y}, 3);
  const auto order = data::permutation(4, 3);
  const auto xs = out[0].to_vector<float>();
  const auto ys = out[1].to_vector<std::int32_t>();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ys[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(i)]);
    EXPECT_EQ(xs[static_cast<std::size_t>(2 * i)], 10.0f * static_cast<float>(ys[static_cast<std::size_t>(i)]));
  }
  EXPECT_THROW(data::take_rows(x, {4}), IndexError);
}

TEST(Batching, RangesSlicesAndCardinality) {
  const auto ranges = data::batch_ranges(10, 4);
  EXPECT_EQ(ranges, (std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 4}, {4, 8}, {8, 10}}));
  EXPECT_TRUE(data::batch_ranges(0, 32).empty());
  EXPECT_THROW(data::batch_ranges(10, 0), ValueError);
  Tensor x = f32({0, 1, 2, 3, 4, 5}, {3, 2});
  EXPECT_EQ(data::slice_rows(x, 1, 3).to_vector<float>(), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(data::slice_rows(x, 1, 1).shape(), (Shape{0, 2}));
  EXPECT_THROW(data::slice_rows(x, 2, 4), IndexError);
  EXPECT_EQ(data::check_cardinality({x, i32({1, 2, 3}, {3})}), 3);
  expect_throw_with<ValueError>([&] { data::check_cardinality({x, i32({1, 2}, {2})}, {"x", "y"}); },
                                {"Data cardinality is ambiguous", "'x' sizes: 3", "'y' sizes: 2"});
}

TEST(Batching, ValidationSplitTakesTheLastSamples) {
  Tensor x = f32({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10, 1});
  Tensor y = i32({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  auto [train, val] = data::train_validation_split({x, y}, 0.25);
  // floor(10 * 0.75) = 7 training samples.
  EXPECT_EQ(train[0].shape(), (Shape{7, 1}));
  EXPECT_EQ(val[1].to_vector<std::int32_t>(), (std::vector<std::int32_t>{7, 8, 9}));
  expect_throw_with<ValueError>([&] { data::train_validation_split({f32({1})}, 0.5); }, {"contains 1 samples"});
  EXPECT_THROW(data::train_validation_split({x}, 1.0), ValueError);
}

}  // namespace
}  // namespace keras
