// SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, ActivityRegularization.
#include <cmath>
#include <numbers>

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

// Standard normal numbers shaped like `like`, by Box-Muller from two uniform draws (the
// generator draws uniforms only). 1 - u keeps the logarithm's argument in (0, 1].
Tensor standard_normal_like(const Tensor& like, random::SeedGenerator& generator) {
  const DType d = like.dtype();
  const Tensor u1 = random::uniform_like(like, generator), u2 = random::uniform_like(like, generator);
  const Tensor radius = ops::sqrt(ops::multiply(ops::log(ops::subtract(Tensor::scalar(1.0, d), u1)),
                                                Tensor::scalar(-2.0, d)));
  return ops::multiply(radius, ops::cos(ops::multiply(u2, Tensor::scalar(2.0 * std::numbers::pi, d))));
}

}  // namespace

// ---- BaseSpatialDropout -------------------------------------------------------------------------

BaseSpatialDropout::BaseSpatialDropout(int rank, const std::string& class_name, double rate, std::string data_format,
                                       std::optional<std::uint64_t> seed, LayerOptions options, bool has_data_format)
    : Layer(std::move(options), class_name), rank_(rank), rate_(rate), has_data_format_(has_data_format),
      init_seed_(seed), seed_generator_(seed) {
  set_supports_masking(true);
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
  if (rate_ == 1.0) return ops::zeros_like(x);
  // One draw per sample and channel, broadcast over the spatial dims: the draw is shaped like
  // x summed over them (batch, 1..., channels), which also works with an unknown batch.
  const int channel_axis = data_format_ == "channels_first" ? 1 : x.rank() - 1;
  ops::Axes spatial;
  for (int i = 1; i < x.rank(); ++i)
    if (i != channel_axis) spatial.push_back(i);
  const Tensor u = random::uniform_like(ops::sum(x, spatial, /*keepdims=*/true), seed_generator_);
  const Tensor keep = ops::greater_equal(u, Tensor::scalar(rate_, x.dtype()));
  return ops::where(keep, ops::divide(x, Tensor::scalar(1.0 - rate_, x.dtype())), ops::zeros_like(x));
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
    : Layer(std::move(options), "GaussianNoise"), stddev_(stddev), init_seed_(seed), seed_generator_(seed) {
  set_supports_masking(true);
  check_unit_interval(stddev, "stddev", name());
}

Tensor GaussianNoise::call(const Tensor& x, bool training) {
  if (!training || stddev_ == 0.0) return x;
  return ops::add(x, ops::multiply(standard_normal_like(x, seed_generator_), Tensor::scalar(stddev_, x.dtype())));
}

Config GaussianNoise::get_config() const {
  Config c = base_config();
  c["stddev"] = stddev_;
  c["seed"] = detail::optional_json(init_seed_);
  return c;
}

// ---- GaussianDropout ----------------------------------------------------------------------------

GaussianDropout::GaussianDropout(double rate, std::optional<std::uint64_t> seed, LayerOptions options)
    : Layer(std::move(options), "GaussianDropout"), rate_(rate), init_seed_(seed), seed_generator_(seed) {
  set_supports_masking(true);
  check_unit_interval(rate, "rate", name());
}

Tensor GaussianDropout::call(const Tensor& x, bool training) {
  if (!training || rate_ == 0.0) return x;
  if (rate_ == 1.0) return ops::zeros_like(x);  // stddev would be infinite; every unit is dropped
  const double stddev = std::sqrt(rate_ / (1.0 - rate_));
  const Tensor noise = ops::add(ops::multiply(standard_normal_like(x, seed_generator_), Tensor::scalar(stddev, x.dtype())),
                                Tensor::scalar(1.0, x.dtype()));
  return ops::multiply(x, noise);
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
  set_activity_regularizer(regularizers::L1L2{l1, l2});
  set_supports_masking(true);
}

// The penalty itself is the base Layer's activity regularizer, as in Keras.
Tensor ActivityRegularization::call(const Tensor& x) { return x; }

Tensor ActivityRegularization::activity_loss() const {
  const auto all = losses();
  return all.empty() ? Tensor() : all.back();
}

Config ActivityRegularization::get_config() const {
  Config c = base_config();
  c["l1"] = l1_;
  c["l2"] = l2_;
  return c;
}

}  // namespace keras::layers
