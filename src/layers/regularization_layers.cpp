// SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, ActivityRegularization.
#include <cmath>
#include <random>

#include "keras/layers/regularization.h"
#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers {

namespace {

void check_unit_interval(double value, const char* arg, const std::string& layer) {
  if (!(value >= 0.0 && value <= 1.0))
    throw ValueError("Invalid value received for argument `" + std::string(arg) + "` of layer \"" + layer +
                     "\". Expected a float value between 0 and 1. Received: " + arg + "=" + std::to_string(value));
}

std::uint64_t effective_seed(const std::optional<std::uint64_t>& seed) { return seed ? *seed : std::random_device{}(); }

void require_known_shape(const Tensor& x, const Layer& layer) {
  if (!x.shape().is_fully_defined())
    throw NotImplementedError("Layer \"" + layer.name() + "\" (" + layer.class_name() +
                              ") in training mode needs the input's full shape (the noise is drawn per call). "
                              "Received: shape=" + x.shape().to_string());
}

}  // namespace

// ---- BaseSpatialDropout -------------------------------------------------------------------------

BaseSpatialDropout::BaseSpatialDropout(int rank, const std::string& class_name, double rate, std::string data_format,
                                       std::optional<std::uint64_t> seed, LayerOptions options, bool has_data_format)
    : Layer(std::move(options), class_name), rank_(rank), rate_(rate), has_data_format_(has_data_format),
      init_seed_(seed), seed_(effective_seed(seed)) {
  check_unit_interval(rate, "rate", name());
  data_format_ = detail::standardize_data_format(data_format, name());
  InputSpec spec;
  spec.ndim = rank;
  set_input_spec({spec});
}

Shape BaseSpatialDropout::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, rank_, name(), class_name(), "(batch, *spatial, channels)");
  return input_shape;
}

Tensor BaseSpatialDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  require_known_shape(x, *this);
  // One draw per sample and channel, broadcast over the spatial dims.
  Shape noise(std::vector<std::int64_t>(static_cast<std::size_t>(x.rank()), 1));
  const int channel_axis = data_format_ == "channels_first" ? 1 : x.rank() - 1;
  noise.dims()[0] = x.shape().dims()[0];
  noise.dims()[static_cast<std::size_t>(channel_axis)] = x.shape().dims()[static_cast<std::size_t>(channel_axis)];
  if (rate_ == 1.0) return ops::zeros_like(x);
  const Tensor keep = ops::greater_equal(random::uniform(noise, 0.0, 1.0, x.dtype(), seed_ + calls_++), rate_);
  return ops::where(keep, ops::divide(x, 1.0 - rate_), ops::zeros_like(x));
}

Config BaseSpatialDropout::get_config() const {
  Config c;
  c["rate"] = rate_;
  c["seed"] = detail::optional_json(init_seed_);
  c["name"] = name();
  c["dtype"] = dtype_name(dtype());
  if (has_data_format_) c["data_format"] = data_format_;
  return c;
}

SpatialDropout1D::SpatialDropout1D(double rate, std::optional<std::uint64_t> seed, LayerOptions options)
    : BaseSpatialDropout(3, "SpatialDropout1D", rate, "channels_last", seed, std::move(options), false) {}
SpatialDropout2D::SpatialDropout2D(double rate, std::string data_format, std::optional<std::uint64_t> seed,
                                   LayerOptions options)
    : BaseSpatialDropout(4, "SpatialDropout2D", rate, std::move(data_format), seed, std::move(options), true) {}
SpatialDropout3D::SpatialDropout3D(double rate, std::string data_format, std::optional<std::uint64_t> seed,
                                   LayerOptions options)
    : BaseSpatialDropout(5, "SpatialDropout3D", rate, std::move(data_format), seed, std::move(options), true) {}

// ---- GaussianNoise ------------------------------------------------------------------------------

GaussianNoise::GaussianNoise(double stddev, std::optional<std::uint64_t> seed, LayerOptions options)
    : Layer(std::move(options), "GaussianNoise"), stddev_(stddev), init_seed_(seed), seed_(effective_seed(seed)) {
  check_unit_interval(stddev, "stddev", name());
}

Tensor GaussianNoise::call(const Tensor& x, bool training) {
  if (!training || stddev_ == 0.0) return x;
  require_known_shape(x, *this);
  return ops::add(x, random::normal(x.shape(), 0.0, stddev_, x.dtype(), seed_ + calls_++));
}

Config GaussianNoise::get_config() const {
  Config c = base_config();
  c["stddev"] = stddev_;
  c["seed"] = detail::optional_json(init_seed_);
  return c;
}

// ---- GaussianDropout ----------------------------------------------------------------------------

GaussianDropout::GaussianDropout(double rate, std::optional<std::uint64_t> seed, LayerOptions options)
    : Layer(std::move(options), "GaussianDropout"), rate_(rate), init_seed_(seed), seed_(effective_seed(seed)) {
  check_unit_interval(rate, "rate", name());
}

Tensor GaussianDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  require_known_shape(x, *this);
  if (rate_ == 1.0) return ops::zeros_like(x);  // stddev would be infinite; every unit is dropped
  const double stddev = std::sqrt(rate_ / (1.0 - rate_));
  return ops::multiply(x, random::normal(x.shape(), 1.0, stddev, x.dtype(), seed_ + calls_++));
}

Config GaussianDropout::get_config() const {
  Config c = base_config();
  c["rate"] = rate_;
  c["seed"] = detail::optional_json(init_seed_);
  return c;
}

// ---- ActivityRegularization ----------------------------------------------------------------------

ActivityRegularization::ActivityRegularization(double l1, double l2, LayerOptions options)
    : Layer(std::move(options), "ActivityRegularization"), l1_(l1), l2_(l2) {
  if (l1 < 0 || l2 < 0)
    throw ValueError("Layer \"" + name() + "\": the regularization factors must be non-negative. Received: l1=" +
                     std::to_string(l1) + ", l2=" + std::to_string(l2));
}

Tensor ActivityRegularization::call(const Tensor& x) {
  Tensor loss = Tensor::scalar(0.0, x.dtype());
  if (l1_ != 0.0) loss = ops::add(loss, ops::multiply(ops::sum(ops::abs(x)), Tensor::scalar(l1_, x.dtype())));
  if (l2_ != 0.0) loss = ops::add(loss, ops::multiply(ops::sum(ops::square(x)), Tensor::scalar(l2_, x.dtype())));
  // Keras divides the penalty by the batch size, so its strength does not depend on it.
  if (x.rank() > 0 && x.shape().dims()[0] > 0)
    loss = ops::divide(loss, Tensor::scalar(static_cast<double>(x.shape().dims()[0]), x.dtype()));
  activity_loss_ = loss;
  return x;
}

Config ActivityRegularization::get_config() const {
  Config c = base_config();
  c["l1"] = l1_;
  c["l2"] = l2_;
  return c;
}

}  // namespace keras::layers
