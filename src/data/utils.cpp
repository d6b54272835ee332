// to_categorical, seeded permutations, row gathering/slicing, batching, validation split.
#include "keras/data/utils.h"

#include <cmath>
#include <cstring>
#include <random>

#include "file_utils.h"

namespace keras::utils {

Tensor to_categorical(const Tensor& labels, std::optional<std::int64_t> num_classes) {
  if (!labels.defined() || labels.is_symbolic())
    throw ValueError("to_categorical needs concrete labels.");
  std::vector<std::int64_t> dims = labels.shape().dims();
  if (dims.size() > 1 && dims.back() == 1) dims.pop_back();
  const std::vector<double> values = labels.to_vector<double>();
  double max_label = -1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v >= 0) || v != std::floor(v))
      throw ValueError("to_categorical expects non-negative integer class labels. Received: " + std::to_string(v) +
                       " at flat index " + std::to_string(i));
    max_label = std::max(max_label, v);
  }
  const std::int64_t classes = num_classes ? *num_classes : static_cast<std::int64_t>(max_label) + 1;
  if (classes <= 0) throw ValueError("to_categorical needs num_classes > 0. Received: num_classes=" + std::to_string(classes));
  if (max_label >= static_cast<double>(classes))
    throw ValueError("to_categorical received the label " + std::to_string(static_cast<std::int64_t>(max_label)) +
                     ", outside [0, num_classes=" + std::to_string(classes) + ").");
  dims.push_back(classes);
  Tensor out = Tensor::empty(Shape(dims), DType::float32);
  float* p = out.data<float>();
  std::memset(p, 0, static_cast<std::size_t>(out.size()) * sizeof(float));
  for (std::size_t i = 0; i < values.size(); ++i) p[i * static_cast<std::size_t>(classes) + static_cast<std::size_t>(values[i])] = 1.0f;
  return out;
}

}  // namespace keras::utils

namespace keras::data {

namespace {
void require_rows(const Tensor& x, const char* fn) {
  if (!x.defined() || x.is_symbolic()) throw ValueError(std::string(fn) + " needs a concrete tensor.");
  if (x.rank() < 1)
    throw ValueError(std::string(fn) + " needs a tensor with a sample axis (rank >= 1). Received: shape " +
                     x.shape().to_string());
}

std::size_t row_bytes(const Tensor& x) {
  std::size_t n = dtype_size(x.dtype());
  for (int i = 1; i < x.rank(); ++i) n *= static_cast<std::size_t>(x.shape().dims()[i]);
  return n;
}

Shape with_rows(const Tensor& x, std::int64_t rows) {
  std::vector<std::int64_t> dims = x.shape().dims();
  dims[0] = rows;
  return Shape(dims);
}
}  // namespace

std::vector<std::int64_t> permutation(std::int64_t n, std::uint64_t seed) {
  if (n < 0) throw ValueError("permutation needs n >= 0. Received: n=" + std::to_string(n));
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 rng(seed);
  // std::uniform_int_distribution differs between standard libraries; rejection sampling on
  // the raw 64-bit draws does not.
  auto bounded = [&rng](std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t r;
    do r = rng();
    while (r >= limit);
    return r % bound;
  };
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(bounded(static_cast<std::uint64_t>(i) + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

Tensor take_rows(const Tensor& x, const std::vector<std::int64_t>& indices) {
  require_rows(x, "take_rows");
  const std::int64_t n = x.shape()[0];
  const std::size_t rb = row_bytes(x);
  Tensor out = Tensor::empty(with_rows(x, static_cast<std::int64_t>(indices.size())), x.dtype());
  const auto* src = static_cast<const unsigned char*>(x.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const std::int64_t r = indices[i];
    if (r < 0 || r >= n)
      throw IndexError("take_rows: index " + std::to_string(r) + " is out of range for " + std::to_string(n) +
                       " rows. Received: shape " + x.shape().to_string());
    std::memcpy(dst + i * rb, src + static_cast<std::size_t>(r) * rb, rb);
  }
  return out;
}

Tensor slice_rows(const Tensor& x, std::int64_t begin, std::int64_t end) {
  require_rows(x, "slice_rows");
  const std::int64_t n = x.shape()[0];
  if (begin < 0 || end > n || begin > end)
    throw IndexError("slice_rows: [" + std::to_string(begin) + ", " + std::to_string(end) + ") is not a range of the " +
                     std::to_string(n) + " rows. Received: shape " + x.shape().to_string());
  const std::size_t rb = row_bytes(x);
  Tensor out = Tensor::empty(with_rows(x, end - begin), x.dtype());
  if (end > begin)
    std::memcpy(out.raw_data(), static_cast<const unsigned char*>(x.raw_data()) + static_cast<std::size_t>(begin) * rb,
                static_cast<std::size_t>(end - begin) * rb);
  return out;
}

std::int64_t check_cardinality(const std::vector<Tensor>& arrays, const std::vector<std::string>& labels) {
  std::int64_t samples = -1;
  bool ambiguous = false;
  for (const auto& a : arrays) {
    if (!a.defined()) continue;
    if (a.rank() < 1)
      throw ValueError("Expected arrays with a sample axis (rank >= 1). Received: shape " + a.shape().to_string());
    if (samples >= 0 && a.shape()[0] != samples) ambiguous = true;
    if (samples < 0) samples = a.shape()[0];
  }
  if (ambiguous) {
    std::string msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.";
    for (std::size_t i = 0; i < arrays.size(); ++i) {
      if (!arrays[i].defined()) continue;
      const std::string label = i < labels.size() ? labels[i] : "array " + std::to_string(i);
      msg += "'" + label + "' sizes: " + std::to_string(arrays[i].shape()[0]) + "\n";
    }
    throw ValueError(msg);
  }
  return samples < 0 ? 0 : samples;
}

std::vector<Tensor> shuffle(const std::vector<Tensor>& arrays, std::uint64_t seed) {
  const std::int64_t n = check_cardinality(arrays);
  const std::vector<std::int64_t> order = permutation(n, seed);
  std::vector<Tensor> out;
  for (const auto& a : arrays) out.push_back(a.defined() ? take_rows(a, order) : a);
  return out;
}

std::vector<std::pair<std::int64_t, std::int64_t>> batch_ranges(std::int64_t num_samples, std::int64_t batch_size) {
  if (batch_size <= 0) throw ValueError("batch_size must be a positive integer. Received: batch_size=" + std::to_string(batch_size));
  if (num_samples < 0) throw ValueError("num_samples must be >= 0. Received: " + std::to_string(num_samples));
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t b = 0; b < num_samples; b += batch_size) out.emplace_back(b, std::min(b + batch_size, num_samples));
  return out;
}

std::pair<std::vector<Tensor>, std::vector<Tensor>> train_validation_split(const std::vector<Tensor>& arrays,
                                                                           double validation_split) {
  if (!(validation_split > 0.0 && validation_split < 1.0))
    throw ValueError("`validation_split` must be in (0, 1). Received: validation_split=" + std::to_string(validation_split));
  const std::int64_t n = check_cardinality(arrays);
  const auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * (1.0 - validation_split)));
  if (split_at == 0 || split_at == n)
    throw ValueError("Training data contains " + std::to_string(n) +
                     " samples, which is not sufficient to split it into a validation and training set as specified "
                     "by `validation_split=" + std::to_string(validation_split) +
                     "`. Either provide more data, or a different value for the `validation_split` argument.");
  std::vector<Tensor> train, val;
  for (const auto& a : arrays) {
    train.push_back(a.defined() ? slice_rows(a, 0, split_at) : a);
    val.push_back(a.defined() ? slice_rows(a, split_at, n) : a);
  }
  return {train, val};
}

}  // namespace keras::data
