// BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization.
#include <algorithm>

#include "keras/layers/normalization.h"
#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers {

namespace {

int normalize_axis(int axis, const Shape& s, const Layer& layer) {
  if (axis < -s.rank() || axis >= s.rank())
    throw ValueError("Layer \"" + layer.name() + "\" (" + layer.class_name() + "): axis " + std::to_string(axis) +
                     " is out of bounds for input shape " + s.to_string() + ". Received: axis=" +
                     std::to_string(axis));
  return axis < 0 ? axis + s.rank() : axis;
}

std::int64_t defined_dim(const Shape& s, int axis, const Layer& layer) {
  const std::int64_t d = s.dims()[static_cast<std::size_t>(axis)];
  if (d < 0)
    throw ValueError("Layer \"" + layer.name() + "\" (" + layer.class_name() + "): axis " + std::to_string(axis) +
                     " of the input should have a defined dimension but the layer received an input with shape " +
                     s.to_string());
  return d;
}

// A parameter of shape (d,) laid out to broadcast along `axis` of a rank-r input.
Tensor along_axis(const Tensor& p, int axis, int rank) {
  if (axis == rank - 1) return p;
  Shape s(std::vector<std::int64_t>(static_cast<std::size_t>(rank), 1));
  s.dims()[static_cast<std::size_t>(axis)] = p.shape()[0];
  return ops::reshape(p, s);
}

Config axis_json(const std::vector<int>& axis, bool as_int) {
  if (as_int) return Config(axis.front());
  Config a = Config::array();
  for (int x : axis) a.push_back(x);
  return a;
}

Config serialize_init(const initializers::InitializerArg& init, const char* fallback) {
  return initializers::serialize(*init.resolve(fallback));
}

}  // namespace

// ---- BatchNormalization -------------------------------------------------------------------------

BatchNormalization::BatchNormalization(BatchNormalizationOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, "BatchNormalization"),
      axis_(o.axis), momentum_(o.momentum), epsilon_(o.epsilon), center_(o.center), scale_(o.scale),
      beta_initializer_(std::move(o.beta_initializer)), gamma_initializer_(std::move(o.gamma_initializer)),
      moving_mean_initializer_(std::move(o.moving_mean_initializer)),
      moving_variance_initializer_(std::move(o.moving_variance_initializer)) {
  set_supports_masking(true);
  if (!(epsilon_ > 0))
    throw ValueError("Layer \"" + name() + "\": `epsilon` must be positive. Received: epsilon=" +
                     std::to_string(epsilon_));
  for (const auto* init : {&beta_initializer_, &gamma_initializer_, &moving_mean_initializer_,
                           &moving_variance_initializer_})
    init->resolve("zeros");
}

Shape BatchNormalization::compute_output_shape(const Shape& input_shape) {
  normalize_axis(axis_, input_shape, *this);
  return input_shape;
}

void BatchNormalization::build(const Shape& input_shape) {
  const int axis = normalize_axis(axis_, input_shape, *this);
  const std::int64_t dim = defined_dim(input_shape, axis, *this);
  if (scale_) gamma_ = add_weight("gamma", {dim}, gamma_initializer_.resolve("ones"), true);
  if (center_) beta_ = add_weight("beta", {dim}, beta_initializer_.resolve("zeros"), true);
  moving_mean_ = add_weight("moving_mean", {dim}, moving_mean_initializer_.resolve("zeros"), false);
  moving_variance_ = add_weight("moving_variance", {dim}, moving_variance_initializer_.resolve("ones"), false);
  InputSpec spec;
  spec.ndim = input_shape.rank();
  spec.axes[axis_] = dim;
  set_input_spec({spec});
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  const int rank = x.rank();
  const int axis = normalize_axis(axis_, x.shape(), *this);
  Tensor mean, variance;
  if (training && trainable()) {
    ops::Axes reduce;
    for (int i = 0; i < rank; ++i)
      if (i != axis) reduce.push_back(i);
    mean = ops::mean(x, reduce);
    variance = ops::var(x, reduce);  // biased, as Keras's moments
    const Tensor m = Tensor::scalar(momentum_, x.dtype()), one_minus_m = Tensor::scalar(1.0 - momentum_, x.dtype());
    moving_mean_.assign(ops::add(ops::multiply(moving_mean_, m), ops::multiply(mean, one_minus_m)));
    moving_variance_.assign(ops::add(ops::multiply(moving_variance_, m), ops::multiply(variance, one_minus_m)));
  } else {
    mean = moving_mean_;
    variance = moving_variance_;
  }
  Tensor inv = ops::rsqrt(ops::add(variance, Tensor::scalar(epsilon_, x.dtype())));
  if (scale_) inv = ops::multiply(inv, gamma_);
  Tensor y = ops::multiply(ops::subtract(x, along_axis(mean, axis, rank)), along_axis(inv, axis, rank));
  if (center_) y = ops::add(y, along_axis(beta_, axis, rank));
  return y;
}

Config BatchNormalization::get_config() const {
  Config c = base_config();
  c["axis"] = axis_;
  c["momentum"] = momentum_;
  c["epsilon"] = epsilon_;
  c["center"] = center_;
  c["scale"] = scale_;
  c["beta_initializer"] = serialize_init(beta_initializer_, "zeros");
  c["gamma_initializer"] = serialize_init(gamma_initializer_, "ones");
  c["moving_mean_initializer"] = serialize_init(moving_mean_initializer_, "zeros");
  c["moving_variance_initializer"] = serialize_init(moving_variance_initializer_, "ones");
  c["beta_regularizer"] = regularizers::to_json(weight_regularizer("beta"));
  c["gamma_regularizer"] = regularizers::to_json(weight_regularizer("gamma"));
  c["beta_constraint"] = constraints::to_json(weight_constraint("beta"));
  c["gamma_constraint"] = constraints::to_json(weight_constraint("gamma"));
  c["synchronized"] = false;
  c["renorm"] = false;
  c["renorm_clipping"] = nullptr;
  c["renorm_momentum"] = 0.99;
  return c;
}

// ---- LayerNormalization -------------------------------------------------------------------------

LayerNormalization::LayerNormalization(LayerNormalizationOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, "LayerNormalization"),
      axis_(std::move(o.axis)), axis_is_int_(axis_.size() == 1), epsilon_(o.epsilon), center_(o.center),
      scale_(o.scale), rms_scaling_(o.rms_scaling), beta_initializer_(std::move(o.beta_initializer)),
      gamma_initializer_(std::move(o.gamma_initializer)) {
  set_supports_masking(true);
  if (axis_.empty())
    throw ValueError("Layer \"" + name() + "\": `axis` must name at least one axis. Received: axis=[]");
  beta_initializer_.resolve("zeros");
  gamma_initializer_.resolve("ones");
}

Shape LayerNormalization::compute_output_shape(const Shape& input_shape) {
  for (int a : axis_) normalize_axis(a, input_shape, *this);
  return input_shape;
}

void LayerNormalization::build(const Shape& input_shape) {
  std::sort(axis_.begin(), axis_.end());
  Shape shape;
  for (int a : axis_) shape.push_back(defined_dim(input_shape, normalize_axis(a, input_shape, *this), *this));
  if (scale_ || rms_scaling_) gamma_ = add_weight("gamma", shape, gamma_initializer_.resolve("ones"), true);
  if (center_ && !rms_scaling_) beta_ = add_weight("beta", shape, beta_initializer_.resolve("zeros"), true);
  axis_is_int_ = false;  // Keras's build turns `axis` into a list
}

Tensor LayerNormalization::call(const Tensor& x) {
  const int rank = x.rank();
  ops::Axes axes;
  Shape param_shape(std::vector<std::int64_t>(static_cast<std::size_t>(rank), 1));
  for (int a : axis_) {
    const int n = normalize_axis(a, x.shape(), *this);
    axes.push_back(n);
    param_shape.dims()[static_cast<std::size_t>(n)] = x.shape().dims()[static_cast<std::size_t>(n)];
  }
  std::sort(axes.begin(), axes.end());
  const bool last_only = axes.size() == 1 && axes.front() == rank - 1;
  auto broadcast = [&](const Tensor& p) { return last_only ? p : ops::reshape(p, param_shape); };
  const Tensor eps = Tensor::scalar(epsilon_, x.dtype());
  if (rms_scaling_) {
    Tensor y = ops::multiply(x, ops::rsqrt(ops::add(ops::var(x, axes, true), eps)));
    return gamma_.defined() ? ops::multiply(y, broadcast(gamma_)) : y;
  }
  const Tensor mean = ops::mean(x, axes, true);
  Tensor inv = ops::rsqrt(ops::add(ops::var(x, axes, true), eps));
  if (gamma_.defined()) inv = ops::multiply(inv, broadcast(gamma_));
  Tensor res = ops::negative(ops::multiply(mean, inv));
  if (beta_.defined()) res = ops::add(res, broadcast(beta_));
  return ops::add(ops::multiply(x, inv), res);
}

Config LayerNormalization::get_config() const {
  Config c = base_config();
  c["axis"] = axis_json(axis_, axis_is_int_);
  c["epsilon"] = epsilon_;
  c["center"] = center_;
  c["scale"] = scale_;
  c["rms_scaling"] = rms_scaling_;
  c["beta_initializer"] = serialize_init(beta_initializer_, "zeros");
  c["gamma_initializer"] = serialize_init(gamma_initializer_, "ones");
  c["beta_regularizer"] = regularizers::to_json(weight_regularizer("beta"));
  c["gamma_regularizer"] = regularizers::to_json(weight_regularizer("gamma"));
  c["beta_constraint"] = constraints::to_json(weight_constraint("beta"));
  c["gamma_constraint"] = constraints::to_json(weight_constraint("gamma"));
  return c;
}

// ---- GroupNormalization -------------------------------------------------------------------------

GroupNormalization::GroupNormalization(GroupNormalizationOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, "GroupNormalization"),
      groups_(o.groups), axis_(o.axis), epsilon_(o.epsilon), center_(o.center), scale_(o.scale),
      beta_initializer_(std::move(o.beta_initializer)), gamma_initializer_(std::move(o.gamma_initializer)) {
  set_supports_masking(true);
  if (groups_ <= 0 && groups_ != -1)
    throw ValueError("Layer \"" + name() + "\": received an invalid value for argument `groups`, expected a positive "
                     "integer (or `-1` for instance normalization). Received: groups=" + std::to_string(groups_));
  beta_initializer_.resolve("zeros");
  gamma_initializer_.resolve("ones");
}

Shape GroupNormalization::compute_output_shape(const Shape& input_shape) {
  normalize_axis(axis_, input_shape, *this);
  return input_shape;
}

void GroupNormalization::build(const Shape& input_shape) {
  const int axis = normalize_axis(axis_, input_shape, *this);
  const std::int64_t dim = defined_dim(input_shape, axis, *this);
  const std::int64_t groups = groups_ == -1 ? dim : groups_;
  if (dim < groups)
    throw ValueError("Layer \"" + name() + "\": number of groups (" + std::to_string(groups) +
                     ") cannot be more than the number of channels (" + std::to_string(dim) +
                     "). Received: input shape " + input_shape.to_string());
  if (dim % groups != 0)
    throw ValueError("Layer \"" + name() + "\": number of groups (" + std::to_string(groups) +
                     ") must be a divisor of the number of channels (" + std::to_string(dim) +
                     "). Received: input shape " + input_shape.to_string());
  groups_ = groups;
  InputSpec spec;
  spec.ndim = input_shape.rank();
  spec.axes[axis_] = dim;
  set_input_spec({spec});
  if (scale_) gamma_ = add_weight("gamma", {dim}, gamma_initializer_.resolve("ones"), true);
  if (center_) beta_ = add_weight("beta", {dim}, beta_initializer_.resolve("zeros"), true);
}

Tensor GroupNormalization::call(const Tensor& x) {
  const Shape& s = x.shape();
  const int axis = normalize_axis(axis_, s, *this);
  const std::int64_t dim = s.dims()[static_cast<std::size_t>(axis)];
  // (batch, ..., dim, ...) -> (batch, ..., groups, dim / groups, ...)
  Shape grouped{-1}, param_shape;
  for (int i = 1; i < s.rank(); ++i) {
    const std::int64_t d = s.dims()[static_cast<std::size_t>(i)];
    if (d < 0)
      throw ValueError("Layer \"" + name() + "\" needs the input's non-batch dimensions. Received: shape " +
                       s.to_string());
    if (i == axis) {
      grouped.push_back(groups_);
      grouped.push_back(d / groups_);
    } else {
      grouped.push_back(d);
    }
  }
  for (int i = 0; i < grouped.rank(); ++i) param_shape.push_back(1);
  param_shape.dims()[static_cast<std::size_t>(axis)] = groups_;
  param_shape.dims()[static_cast<std::size_t>(axis + 1)] = dim / groups_;
  const Tensor g = ops::reshape(x, grouped);
  ops::Axes reduce;
  for (int i = 1; i < grouped.rank(); ++i)
    if (i != axis) reduce.push_back(i);
  const Tensor mean = ops::mean(g, reduce, true);
  Tensor inv = ops::rsqrt(ops::add(ops::var(g, reduce, true), Tensor::scalar(epsilon_, x.dtype())));
  if (scale_) inv = ops::multiply(inv, ops::reshape(gamma_, param_shape));
  Tensor res = ops::negative(ops::multiply(mean, inv));
  if (center_) res = ops::add(res, ops::reshape(beta_, param_shape));
  Shape back = s;
  back.dims()[0] = -1;
  return ops::reshape(ops::add(ops::multiply(g, inv), res), back);
}

Config GroupNormalization::get_config() const {
  Config c = base_config();
  c["groups"] = groups_;
  c["axis"] = axis_;
  c["epsilon"] = epsilon_;
  c["center"] = center_;
  c["scale"] = scale_;
  c["beta_initializer"] = serialize_init(beta_initializer_, "zeros");
  c["gamma_initializer"] = serialize_init(gamma_initializer_, "ones");
  c["beta_regularizer"] = regularizers::to_json(weight_regularizer("beta"));
  c["gamma_regularizer"] = regularizers::to_json(weight_regularizer("gamma"));
  c["beta_constraint"] = constraints::to_json(weight_constraint("beta"));
  c["gamma_constraint"] = constraints::to_json(weight_constraint("gamma"));
  return c;
}

// ---- UnitNormalization --------------------------------------------------------------------------

UnitNormalization::UnitNormalization(std::vector<int> axis, LayerOptions options)
    : Layer(std::move(options), "UnitNormalization"), axis_(std::move(axis)) {
  set_supports_masking(true);
  if (axis_.empty())
    throw ValueError("Layer \"" + name() + "\": `axis` must name at least one axis. Received: axis=[]");
}

Shape UnitNormalization::compute_output_shape(const Shape& input_shape) {
  for (int a : axis_) normalize_axis(a, input_shape, *this);
  return input_shape;
}

Tensor UnitNormalization::call(const Tensor& x) {
  ops::Axes axes;
  for (int a : axis_) axes.push_back(normalize_axis(a, x.shape(), *this));
  const Tensor inv_norm = ops::rsqrt(ops::sum(ops::square(x), axes, true));
  return ops::multiply(x, ops::minimum(inv_norm, Tensor::scalar(1e12, x.dtype())));
}

Config UnitNormalization::get_config() const {
  Config c = base_config();
  c["axis"] = axis_json(axis_, axis_.size() == 1);
  return c;
}

}  // namespace keras::layers
