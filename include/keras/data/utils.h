#pragma once
/// Array utilities for training on in-memory data: one-hot labels, seeded shuffling,
/// batching and Keras's validation_split. All work on concrete tensors along the first
/// (sample) axis and copy rows with memcpy.
///
///   keras::Tensor y = keras::utils::to_categorical(labels, 10);        // (N,) -> (N, 10)
///   auto shuffled = keras::data::shuffle({x, y}, /*seed=*/42);
///   for (auto [begin, end] : keras::data::batch_ranges(x.shape()[0], 32))
///     train_step(keras::data::slice_rows(x, begin, end), keras::data::slice_rows(y, begin, end));
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::utils {

/// keras.utils.to_categorical: integer class labels (any numeric dtype) -> float32 one-hot
/// of shape labels.shape + (num_classes,); a trailing axis of size 1 is dropped first.
/// num_classes defaults to max(label) + 1. Negative labels, non-integers or labels >=
/// num_classes: ValueError.
Tensor to_categorical(const Tensor& labels, std::optional<std::int64_t> num_classes = std::nullopt);

}  // namespace keras::utils

namespace keras::data {

/// A permutation of 0..n-1 determined by `seed` alone (Fisher-Yates driven by a 64-bit
/// Mersenne twister with unbiased bounded draws): the same on every platform and compiler.
std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed);

/// Rows of `x` (first axis) in the given order; IndexError for an index out of range.
Tensor take_rows(const Tensor& x, const std::vector<std::int64_t>& indices);
/// Rows [begin, end) of `x` as a new tensor.
Tensor slice_rows(const Tensor& x, std::int64_t begin, std::int64_t end);

/// The number of samples shared by all arrays (first axis). ValueError with Keras's
/// "Data cardinality is ambiguous" message listing each array's size otherwise.
/// `labels` names the arrays in the message ("x", "y", "sample_weight").
std::int64_t check_cardinality(const std::vector<Tensor>& arrays, const std::vector<std::string>& labels = {});

/// The same permutation applied to every array.
std::vector<Tensor> shuffle(const std::vector<Tensor>& arrays, std::uint64_t seed);

/// [begin, end) sample ranges of `batch_size` (the last one may be shorter).
std::vector<std::pair<std::int64_t, std::int64_t>> batch_ranges(std::int64_t num_samples, std::int64_t batch_size);

/// Keras's validation_split: samples [floor(n * (1 - validation_split)), n) become the
/// validation data, taken before any shuffling. ValueError when either part would be empty.
std::pair<std::vector<Tensor>, std::vector<Tensor>> train_validation_split(const std::vector<Tensor>& arrays,
                                                                           double validation_split);

}  // namespace keras::data
