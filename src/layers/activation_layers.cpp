// ReLU, LeakyReLU, PReLU, ELU and Softmax layers.
#include "keras/layers/activation_layers.h"

#include <algorithm>

#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers {

// ---- ReLU ---------------------------------------------------------------------------------------

ReLU::ReLU(std::optional<double> max_value, double negative_slope, double threshold, LayerOptions options)
    : Layer(std::move(options), "ReLU"), max_value_(max_value), negative_slope_(negative_slope), threshold_(threshold) {
  set_supports_masking(true);
  if (max_value_ && *max_value_ < 0.0)
    throw ValueError("max_value of a ReLU layer (\"" + name() + "\") cannot be a negative value. Received: max_value=" +
                     std::to_string(*max_value_));
  if (negative_slope_ < 0.0)
    throw ValueError("negative_slope of a ReLU layer (\"" + name() +
                     "\") cannot be a negative value. Received: negative_slope=" + std::to_string(negative_slope_));
  if (threshold_ < 0.0)
    throw ValueError("threshold of a ReLU layer (\"" + name() +
                     "\") cannot be a negative value. Received: threshold=" + std::to_string(threshold_));
}

Tensor ReLU::call(const Tensor& x) {
  const DType d = x.dtype();
  if (negative_slope_ != 0.0 && !max_value_ && threshold_ == 0.0) return ops::leaky_relu(x, negative_slope_);
  Tensor negative_part;
  if (negative_slope_ != 0.0)
    negative_part = ops::relu(threshold_ != 0.0 ? ops::add(ops::negative(x), Tensor::scalar(threshold_, d))
                                                : ops::negative(x));
  Tensor y = threshold_ != 0.0 ? ops::where(ops::greater(x, Tensor::scalar(threshold_, d)), x, ops::zeros_like(x))
                               : ops::relu(x);
  if (max_value_) y = ops::clip(y, 0.0, *max_value_);
  if (negative_slope_ != 0.0) y = ops::subtract(y, ops::multiply(negative_part, Tensor::scalar(negative_slope_, d)));
  return y;
}

Config ReLU::get_config() const {
  Config c = base_config();
  c["max_value"] = max_value_ ? Config(*max_value_) : Config(nullptr);
  c["negative_slope"] = negative_slope_;
  c["threshold"] = threshold_;
  return c;
}

// ---- LeakyReLU ----------------------------------------------------------------------------------

LeakyReLU::LeakyReLU(double negative_slope, LayerOptions options)
    : Layer(std::move(options), "LeakyReLU"), negative_slope_(negative_slope) {
  set_supports_masking(true);
  if (negative_slope_ < 0.0)
    throw ValueError("The negative_slope value of a Leaky ReLU layer (\"" + name() +
                     "\") cannot be negative. Received: negative_slope=" + std::to_string(negative_slope_));
}

Tensor LeakyReLU::call(const Tensor& x) { return ops::leaky_relu(x, negative_slope_); }

Config LeakyReLU::get_config() const {
  Config c = base_config();
  c["negative_slope"] = negative_slope_;
  return c;
}

// ---- PReLU --------------------------------------------------------------------------------------

PReLU::PReLU(initializers::InitializerArg alpha_initializer, std::optional<std::vector<int>> shared_axes,
             LayerOptions options)
    : Layer(std::move(options), "PReLU"), alpha_initializer_(std::move(alpha_initializer)),
      shared_axes_(std::move(shared_axes)) {
  set_supports_masking(true);
  alpha_initializer_.resolve("zeros");
}

void PReLU::build(const Shape& input_shape) {
  if (input_shape.rank() < 2)
    throw ValueError("Layer \"" + name() + "\" (PReLU) expects inputs with a batch dimension and at least one more. "
                     "Received: input_shape=" + input_shape.to_string());
  std::vector<std::int64_t> param(input_shape.dims().begin() + 1, input_shape.dims().end());
  if (shared_axes_)
    for (int a : *shared_axes_) {
      if (a < 1 || a >= input_shape.rank())
        throw ValueError("Layer \"" + name() + "\" (PReLU): shared_axes must name non-batch axes (1-based). Received: "
                         "axis " + std::to_string(a) + " for input shape " + input_shape.to_string());
      param[static_cast<std::size_t>(a - 1)] = 1;
    }
  for (auto d : param)
    if (d < 0)
      throw ValueError("Layer \"" + name() + "\" (PReLU) needs every non-shared axis defined. Received: input_shape=" +
                       input_shape.to_string());
  alpha_ = add_weight("alpha", Shape(param), alpha_initializer_.resolve("zeros"), true);
  InputSpec spec;
  spec.ndim = input_shape.rank();
  for (int i = 1; i < input_shape.rank(); ++i) {
    const bool shared = shared_axes_ && std::find(shared_axes_->begin(), shared_axes_->end(), i) != shared_axes_->end();
    if (shared_axes_ && !shared) spec.axes[i] = input_shape.dims()[static_cast<std::size_t>(i)];
  }
  set_input_spec({spec});
}

Tensor PReLU::call(const Tensor& x) {
  return ops::subtract(ops::relu(x), ops::multiply(alpha_, ops::relu(ops::negative(x))));
}

Config PReLU::get_config() const {
  Config c = base_config();
  c["alpha_initializer"] = initializers::serialize(*alpha_initializer_.resolve("zeros"));
  c["alpha_regularizer"] = nullptr;
  c["alpha_constraint"] = nullptr;
  if (shared_axes_) {
    Config axes = Config::array();
    for (int a : *shared_axes_) axes.push_back(a);
    c["shared_axes"] = axes;
  } else {
    c["shared_axes"] = nullptr;
  }
  return c;
}

// ---- ELU ----------------------------------------------------------------------------------------

ELU::ELU(double alpha, LayerOptions options) : Layer(std::move(options), "ELU"), alpha_(alpha) { set_supports_masking(true); }

Tensor ELU::call(const Tensor& x) { return ops::elu(x, alpha_); }

// ---- Softmax ------------------------------------------------------------------------------------

Softmax::Softmax(std::vector<int> axis, LayerOptions options) : Layer(std::move(options), "Softmax"), axis_(std::move(axis)) {
  set_supports_masking(true);
  if (axis_.empty()) throw ValueError("Layer \"" + name() + "\": `axis` must name at least one axis. Received: axis=[]");
}

Tensor Softmax::call(const Tensor& x) {
  if (axis_.size() == 1) return ops::softmax(x, axis_.front());
  ops::Axes axes(axis_.begin(), axis_.end());
  return ops::exp(ops::subtract(x, ops::logsumexp(x, axes, true)));
}

Config Softmax::get_config() const {
  Config c = base_config();
  if (axis_.size() == 1) {
    c["axis"] = axis_.front();
  } else {
    Config axes = Config::array();
    for (int a : axis_) axes.push_back(a);
    c["axis"] = axes;
  }
  return c;
}

}  // namespace keras::layers
