// Arrays for the training loops: Keras's cardinality check, validation split and class
// weights, and feeding batches to compiled plans without copying when the order allows.
// (keras_data sits below keras_training in the link order, so its helpers are not used here.)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "keras/ops/ops.h"
#include "trainer_internal.h"

namespace keras::training::detail {

std::int64_t check_cardinality(const std::vector<std::pair<std::string, std::vector<Tensor>>>& groups) {
  std::optional<std::int64_t> n;
  bool ambiguous = false;
  for (const auto& [label, arrays] : groups)
    for (const Tensor& a : arrays) {
      if (!a.defined()) continue;
      const std::int64_t rows = a.shape()[0];
      if (n && *n != rows) ambiguous = true;
      if (!n) n = rows;
    }
  if (ambiguous) {
    // Keras's message, spacing included.
    std::string msg = "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples.";
    for (const auto& [label, arrays] : groups) {
      std::string sizes;
      for (const Tensor& a : arrays)
        if (a.defined()) sizes += (sizes.empty() ? "" : ", ") + std::to_string(a.shape()[0]);
      if (!sizes.empty()) msg += "'" + label + "' sizes: " + sizes + "\n";
    }
    throw ValueError(msg);
  }
  return n.value_or(0);
}

Tensor class_weight_to_sample_weights(const Tensor& y, const std::map<int, double>& class_weight) {
  const std::int64_t n = y.shape()[0];
  std::vector<double> values = y.to_vector<double>();
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  const std::int64_t per_row = n ? static_cast<std::int64_t>(values.size()) / n : 0;
  if (y.rank() > 1 && y.shape()[-1] != 1) {
    if (y.rank() > 2)
      throw ValueError("`class_weight` needs targets of shape (samples,), (samples, 1) or one-hot (samples, "
                       "classes). Received: y of shape " + y.shape().to_string());
    for (std::int64_t i = 0; i < n; ++i) {  // one-hot: the argmax is the class
      const double* row = values.data() + i * per_row;
      labels[static_cast<std::size_t>(i)] = std::max_element(row, row + per_row) - row;
    }
  } else {
    if (per_row != 1)
      throw ValueError("`class_weight` needs one label per sample. Received: y of shape " + y.shape().to_string());
    for (std::int64_t i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = std::llround(values[static_cast<std::size_t>(i)]);
  }
  std::vector<float> weights(static_cast<std::size_t>(n), 1.0f);
  for (std::int64_t i = 0; i < n; ++i) {
    auto it = class_weight.find(static_cast<int>(labels[static_cast<std::size_t>(i)]));
    if (it != class_weight.end()) weights[static_cast<std::size_t>(i)] = static_cast<float>(it->second);
  }
  return Tensor::from_vector(weights, Shape{n});
}

Tensor rows(const Tensor& x, std::int64_t begin, std::int64_t end) {
  if (!x.defined()) return x;
  Shape shape = x.shape();
  const std::size_t row_bytes = shape[0] ? static_cast<std::size_t>(x.size() / shape[0]) * dtype_size(x.dtype()) : 0;
  shape[0] = end - begin;
  Tensor out = Tensor::empty(shape, x.dtype());
  if (row_bytes && end > begin)
    std::memcpy(out.raw_data(), static_cast<const unsigned char*>(x.raw_data()) + begin * row_bytes,
                static_cast<std::size_t>(end - begin) * row_bytes);
  return out;
}

std::pair<std::vector<Tensor>, std::vector<Tensor>> split_validation(const std::vector<Tensor>& arrays,
                                                                     double validation_split) {
  std::int64_t n = 0;
  for (const Tensor& a : arrays)
    if (a.defined()) n = a.shape()[0];
  const auto split_at = static_cast<std::int64_t>(std::floor(static_cast<double>(n) * (1.0 - validation_split)));
  if (split_at == 0 || split_at == n)
    throw ValueError("Training data contains " + std::to_string(n) +
                     " samples, which is not sufficient to split it into a validation and training set as specified "
                     "by `validation_split=" + utils::python_float_repr(validation_split) +
                     "`. Either provide more data, or a different value for the `validation_split` argument.");
  std::vector<Tensor> train, val;
  for (const Tensor& a : arrays) {
    train.push_back(rows(a, 0, split_at));
    val.push_back(rows(a, split_at, n));
  }
  return {train, val};
}

BatchFeeder::BatchFeeder(std::vector<Tensor> arrays) : arrays_(std::move(arrays)) {
  num_samples_ = arrays_.empty() ? 0 : arrays_.front().shape()[0];
  for (const Tensor& a : arrays_) {
    const std::int64_t n = a.shape()[0];
    row_bytes_.push_back(n ? static_cast<std::size_t>(a.size() / n) * dtype_size(a.dtype()) : 0);
  }
  staging_.resize(arrays_.size());
  ptrs_.resize(arrays_.size());
}

std::vector<TensorSpec> BatchFeeder::specs(std::int64_t size) const {
  std::vector<TensorSpec> out;
  for (const Tensor& a : arrays_) {
    Shape s = a.shape();
    s[0] = size;
    out.push_back({s, a.dtype()});
  }
  return out;
}

const void* const* BatchFeeder::batch(const std::vector<std::int64_t>* order, std::int64_t begin, std::int64_t end) {
  for (std::size_t i = 0; i < arrays_.size(); ++i) {
    const auto* base = static_cast<const unsigned char*>(arrays_[i].raw_data());
    const std::size_t rb = row_bytes_[i];
    if (!order) {
      ptrs_[i] = base + static_cast<std::size_t>(begin) * rb;
      continue;
    }
    auto& stage = staging_[i];
    stage.resize(static_cast<std::size_t>(end - begin) * rb);
    for (std::int64_t r = begin; r < end; ++r)
      std::memcpy(stage.data() + static_cast<std::size_t>(r - begin) * rb,
                  base + static_cast<std::size_t>((*order)[static_cast<std::size_t>(r)]) * rb, rb);
    ptrs_[i] = stage.data();
  }
  return ptrs_.data();
}

std::vector<std::pair<std::int64_t, std::int64_t>> batch_ranges(std::int64_t num_samples, std::int64_t batch_size) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t b = 0; b < num_samples; b += batch_size) out.emplace_back(b, std::min(num_samples, b + batch_size));
  return out;
}

double output_as_double(const Plan& plan, int index) {
  const std::int64_t n = plan.output_shape(index).num_elements();
  if (n == 0) return 0.0;
  const void* data = plan.output_data(index);
  double sum = 0.0;
  dispatch_dtype(plan.output_dtype(index), [&](auto zero) {
    using T = decltype(zero);
    const T* p = static_cast<const T*>(data);
    for (std::int64_t i = 0; i < n; ++i) sum += static_cast<double>(p[i]);
  });
  return sum / static_cast<double>(n);
}

}  // namespace keras::training::detail
