// Rescaling and Normalization (keras/src/layers/preprocessing/{rescaling,normalization}.py).
#include "keras/layers/preprocessing.h"

#include <algorithm>

#include "keras/ops/ops.h"

namespace keras::layers {
namespace {

Config values_json(const std::vector<double>& v, bool scalar) {
  if (scalar) return Config(v.front());
  Config a = Config::array();
  for (double x : v) a.push_back(x);
  return a;
}

Tensor constant_of(const std::vector<double>& v, bool scalar, DType dtype) {
  if (scalar) return Tensor::scalar(v.front(), dtype);
  return ops::cast(Tensor::from_vector(v, Shape{static_cast<std::int64_t>(v.size())}), dtype);
}

// A tensor as nested JSON lists (numpy's tolist()).
Config tensor_json(const std::vector<double>& values, const Shape& shape, std::size_t& at, int dim) {
  if (dim == shape.rank()) return Config(values[at++]);
  Config a = Config::array();
  for (std::int64_t i = 0; i < shape.dims()[static_cast<std::size_t>(dim)]; ++i)
    a.push_back(tensor_json(values, shape, at, dim + 1));
  return a;
}

Config tensor_json(const Tensor& t) {
  if (!t.defined()) return nullptr;
  std::size_t at = 0;
  return tensor_json(t.to_vector<double>(), t.shape(), at, 0);
}

}  // namespace

// ---- Rescaling -------------------------------------------------------------------------------

Rescaling::Rescaling(double scale, double offset, LayerOptions options)
    : Layer(std::move(options), "Rescaling"), scale_{scale}, offset_{offset}, scalar_scale_(true),
      scalar_offset_(true) {}

Rescaling::Rescaling(std::vector<double> scale, std::vector<double> offset, LayerOptions options)
    : Layer(std::move(options), "Rescaling"), scale_(std::move(scale)), offset_(std::move(offset)),
      scalar_scale_(false), scalar_offset_(false) {
  if (scale_.empty() || offset_.empty())
    throw ValueError("Rescaling expects a scale and an offset (scalars or one value per channel). Received an empty "
                     "list.");
}

Tensor Rescaling::call(const Tensor& x) {
  const DType d = dtype();
  const Tensor in = x.dtype() == d ? x : ops::cast(x, d);
  return ops::add(ops::multiply(in, constant_of(scale_, scalar_scale_, d)), constant_of(offset_, scalar_offset_, d));
}

Config Rescaling::get_config() const {
  Config c = base_config();
  c["scale"] = values_json(scale_, scalar_scale_);
  c["offset"] = values_json(offset_, scalar_offset_);
  return c;
}

// ---- Normalization ---------------------------------------------------------------------------

Normalization::Normalization(NormalizationOptions o)
    : Layer(LayerOptions{.name = o.name, .trainable = o.trainable, .dtype = o.dtype}, "Normalization"),
      options_(std::move(o)) {
  const Tensor& m = options_.mean;
  const Tensor& v = options_.variance;
  if (m.defined() != v.defined())
    throw ValueError(std::string("When setting values directly, both `mean` and `variance` must be set. Received: ") +
                     "mean=" + (m.defined() ? m.to_string() : "None") + " and variance=" +
                     (v.defined() ? v.to_string() : "None"));
  if (m.defined()) {
    if (m.shape() != v.shape())
      throw ValueError("When setting values directly, `mean` and `variance` must have the same shape. Received: mean "
                       "shape " + m.shape().to_string() + " and variance shape " + v.shape().to_string());
    if (m.rank() > static_cast<int>(options_.axis.size()))
      throw ValueError("The rank of `mean` must be less than or equal to the number of axes (" +
                       std::to_string(options_.axis.size()) + "). Received: mean shape " + m.shape().to_string());
  }
}

void Normalization::build(const Shape& input_shape) {
  const int ndim = input_shape.rank();
  keep_axes_.clear();
  for (int a : options_.axis) {
    if (a < -ndim || a >= ndim)
      throw ValueError("All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=" +
                       std::to_string(ndim) + ", while axis=" + Config(options_.axis).dump());
    keep_axes_.push_back(a < 0 ? a + ndim : a);
  }
  std::sort(keep_axes_.begin(), keep_axes_.end());
  reduce_axes_.clear();
  broadcast_shape_ = Shape();
  stats_shape_ = Shape();
  for (int d = 0; d < ndim; ++d) {
    const bool keep = std::find(keep_axes_.begin(), keep_axes_.end(), d) != keep_axes_.end();
    const std::int64_t size = input_shape.dims()[static_cast<std::size_t>(d)];
    if (keep && size < 0)
      throw ValueError("All `axis` values to be kept must have a known shape. Received axis=" +
                       Config(options_.axis).dump() + ", inputs.shape=" + input_shape.to_string() +
                       ", with unknown axis at index " + std::to_string(d));
    if (!keep) reduce_axes_.push_back(d);
    broadcast_shape_.push_back(keep ? size : 1);
    if (keep) stats_shape_.push_back(size);
  }
  build_shape_ = input_shape;
  if (!options_.mean.defined()) {
    adapt_mean_ = add_weight("mean", stats_shape_, "zeros", false);
    adapt_variance_ = add_weight("variance", stats_shape_, "ones", false);
    count_ = add_weight("count", Shape{}, "zeros", false, DType::int32);
    return;
  }
  // Given statistics: their dims line up with the last kept axes, then broadcast.
  auto place = [&](const Tensor& t) {
    Tensor v = ops::cast(t, dtype());
    if (v.rank() > 0) {
      std::vector<std::int64_t> expanded(static_cast<std::size_t>(ndim), 1);
      for (int i = 1; i <= v.rank(); ++i)
        expanded[static_cast<std::size_t>(keep_axes_[keep_axes_.size() - static_cast<std::size_t>(i)])] =
            v.shape().dims()[static_cast<std::size_t>(v.rank() - i)];
      v = ops::reshape(v, Shape(expanded));
    }
    return ops::broadcast_to(v, broadcast_shape_);
  };
  fixed_mean_ = place(options_.mean);
  fixed_variance_ = place(options_.variance);
}

Tensor Normalization::call(const Tensor& x) {
  const Tensor in = x.dtype() == dtype() ? x : ops::cast(x, dtype());
  const Tensor mean = fixed_mean_.defined() ? fixed_mean_ : ops::reshape(adapt_mean_, broadcast_shape_);
  const Tensor variance = fixed_variance_.defined() ? fixed_variance_ : ops::reshape(adapt_variance_, broadcast_shape_);
  const Tensor scale = ops::maximum(ops::sqrt(variance), Tensor::scalar(1e-7, dtype()));
  if (options_.invert) return ops::add(mean, ops::multiply(in, scale));
  return ops::divide(ops::subtract(in, mean), scale);
}

void Normalization::check_adapt_shape(const Shape& shape) const {
  bool ok = shape.rank() == build_shape_.rank();
  for (std::size_t i = 0; ok && i < keep_axes_.size(); ++i)
    ok = shape.dims()[static_cast<std::size_t>(keep_axes_[i])] == build_shape_.dims()[static_cast<std::size_t>(keep_axes_[i])];
  if (!ok)
    throw ValueError("The layer \"" + name() + "\" was built with input_shape=" + build_shape_.to_string() +
                     ", but adapt() is being called with data with an incompatible shape, data.shape=" +
                     shape.to_string());
}

std::pair<Tensor, Tensor> Normalization::statistics(const Tensor& batch) const {
  const Tensor x = ops::cast(batch, DType::float64);
  if (reduce_axes_.empty()) return {x, ops::zeros_like(x)};
  const ops::Axes axes(reduce_axes_.begin(), reduce_axes_.end());
  return {ops::mean(x, axes), ops::var(x, axes)};
}

void Normalization::adapt(const Tensor& data) { adapt(std::vector<Tensor>{data}); }

void Normalization::adapt(const std::vector<Tensor>& batches) {
  if (options_.mean.defined())
    throw ValueError("Layer \"" + name() + "\" (Normalization) was given a fixed mean and variance; adapt() would "
                     "replace them. Create it without mean/variance to adapt it to data.");
  if (batches.empty())
    throw ValueError("adapt() received an empty list of batches. Expected at least one batch.");
  for (const Tensor& b : batches)
    if (!b.defined() || b.is_symbolic())
      throw ValueError("adapt() expects concrete data (arrays), not symbolic tensors.");
  if (!built()) build_once({batches.front().shape()});
  Tensor total_mean, total_var;
  double total_count = 0;
  for (const Tensor& batch : batches) {
    check_adapt_shape(batch.shape());
    auto [mean, var] = statistics(batch);
    double count = 1;
    for (int d : reduce_axes_) count *= static_cast<double>(batch.shape().dims()[static_cast<std::size_t>(d)]);
    if (!total_mean.defined()) {
      total_mean = mean, total_var = var, total_count = count;
      continue;
    }
    // Keras's streaming combination of batch statistics.
    total_count += count;
    const double w = count / total_count, existing = 1.0 - w;
    const Tensor new_mean = ops::add(ops::multiply(total_mean, existing), ops::multiply(mean, w));
    total_var = ops::add(ops::multiply(ops::add(total_var, ops::square(ops::subtract(total_mean, new_mean))), existing),
                         ops::multiply(ops::add(var, ops::square(ops::subtract(mean, new_mean))), w));
    total_mean = new_mean;
  }
  adapt_mean_.assign(ops::cast(total_mean, adapt_mean_.dtype()));
  adapt_variance_.assign(ops::cast(total_var, adapt_variance_.dtype()));
}

Config Normalization::get_config() const {
  Config c = base_config();
  Config axis = Config::array();
  for (int a : options_.axis) axis.push_back(a);
  c["axis"] = axis;
  c["invert"] = options_.invert;
  c["mean"] = tensor_json(options_.mean);
  c["variance"] = tensor_json(options_.variance);
  return c;
}

}  // namespace keras::layers
