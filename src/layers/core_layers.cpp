// InputLayer / keras::Input, Dense, Activation, Lambda, Flatten, Reshape, Dropout.
#include "keras/layers/core.h"

#include "keras/ops/ops.h"
#include "../ops/dense_op.h"

namespace keras {
namespace layers {
namespace {

Config shape_to_json(const Shape& shape) {
  Config list = Config::array();
  for (auto d : shape.dims()) list.push_back(d < 0 ? Config(nullptr) : Config(d));
  return list;
}

}  // namespace

// ---- InputLayer ----------------------------------------------------------------------------

InputLayer::InputLayer(const Shape& shape, std::optional<std::int64_t> batch_size, DType dtype, LayerOptions options)
    : Layer(std::move(options), "InputLayer"), input_dtype_(dtype) {
  if (batch_size && *batch_size <= 0)
    throw ValueError("Input batch_size must be a positive integer or None. Received: batch_size=" +
                     std::to_string(*batch_size));
  for (auto d : shape.dims())
    if (d < -1 || d == 0)
      throw ValueError("Input shape dimensions must be positive integers or None (-1). Received: shape=" +
                       shape.to_string());
  batch_shape_.push_back(batch_size ? *batch_size : -1);
  for (auto d : shape.dims()) batch_shape_.push_back(d);
  build_once({batch_shape_});
}

std::shared_ptr<InputLayer> InputLayer::from_batch_shape(const Shape& batch_shape, DType dtype,
                                                         const std::string& name) {
  if (batch_shape.rank() == 0)
    throw ValueError("Input batch_shape must have at least the batch dimension. Received: batch_shape=()");
  std::vector<std::int64_t> rest(batch_shape.dims().begin() + 1, batch_shape.dims().end());
  const std::int64_t b = batch_shape.dims().front();
  auto layer = std::make_shared<InputLayer>(Shape(rest), b < 0 ? std::nullopt : std::optional<std::int64_t>(b), dtype,
                                            LayerOptions{.name = name, .trainable = true, .dtype = dtype});
  layer->output();
  return layer;
}

Tensor InputLayer::output() {
  if (inbound_nodes().empty()) return record_node({}, {{batch_shape_, input_dtype_}}, /*is_input=*/true).front();
  // The layer does not keep its output tensor (that would be an ownership cycle); a fresh
  // handle with the same history is the same Keras tensor.
  return node_outputs(0).front();
}

Config InputLayer::get_config() const {
  Config c;
  c["batch_shape"] = shape_to_json(batch_shape_);
  c["dtype"] = dtype_name(input_dtype_);
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = name();
  c["optional"] = false;
  return c;
}

}  // namespace layers

Tensor Input(const Shape& shape, DType dtype, const std::string& name, std::optional<std::int64_t> batch_size) {
  auto layer = std::make_shared<layers::InputLayer>(shape, batch_size, dtype,
                                                    layers::LayerOptions{.name = name, .trainable = true, .dtype = dtype});
  return layer->output();
}

Tensor Input(const Shape& shape, const std::string& name) { return Input(shape, DType::float32, name); }

namespace layers {

// ---- Dense ---------------------------------------------------------------------------------

Dense::Dense(std::int64_t units, activations::ActivationArg activation, LayerOptions options)
    : Dense(units, DenseOptions{.activation = std::move(activation),
                                .name = std::move(options.name),
                                .trainable = options.trainable,
                                .dtype = options.dtype}) {}

Dense::Dense(std::int64_t units, DenseOptions o)
    : Layer(LayerOptions{.name = std::move(o.name), .trainable = o.trainable, .dtype = o.dtype}, "Dense"),
      units_(units), activation_(std::move(o.activation)), use_bias_(o.use_bias),
      kernel_initializer_(std::move(o.kernel_initializer)), bias_initializer_(std::move(o.bias_initializer)) {
  set_supports_masking(true);
  if (units <= 0)
    throw ValueError("Layer \"" + name() + "\" (Dense): received an invalid value for `units`, expected a positive "
                     "integer. Received: units=" + std::to_string(units));
  // Resolve names now so that a typo fails at construction, as in Keras.
  kernel_initializer_.resolve();
  bias_initializer_.resolve("zeros");
  set_weight_regularizer("kernel", o.kernel_regularizer);
  set_weight_regularizer("bias", o.bias_regularizer);
  set_weight_constraint("kernel", o.kernel_constraint);
  set_weight_constraint("bias", o.bias_constraint);
}

void Dense::build(const Shape& input_shape) {
  if (input_shape.rank() < 1 || input_shape.dims().back() < 0)
    throw ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. Received: "
                     "input_shape=" + input_shape.to_string());
  const std::int64_t input_dim = input_shape.dims().back();
  kernel_ = add_weight("kernel", {input_dim, units_}, kernel_initializer_, true);
  if (use_bias_) bias_ = add_weight("bias", {units_}, bias_initializer_.empty() ? "zeros" : bias_initializer_, true);
  InputSpec spec;
  spec.min_ndim = 2;
  spec.axes[-1] = input_dim;
  set_input_spec({spec});
}

Tensor Dense::call(const Tensor& x) {
  // matmul, bias and a built-in activation as one op (src/ops/dense.cpp): the same numbers,
  // one plan step instead of two.
  if (use_bias_ && activation_.is_builtin() && x.dtype() == kernel_.dtype() && is_floating(x.dtype()))
    if (const auto fused = ops::detail::dense_activation(activation_.name()))
      return ops::detail::dense(x, kernel_, bias_, *fused);
  Tensor y = ops::matmul(x, kernel_);
  if (use_bias_) y = ops::add(y, bias_);
  return activation_(y);
}

Shape Dense::compute_output_shape(const Shape& input_shape) {
  Shape out = input_shape;
  if (out.rank() == 0) throw ValueError("Dense expects an input of rank >= 1. Received: input_shape=()");
  out[-1] = units_;
  return out;
}

Config Dense::get_config() const {
  Config c = base_config();
  c["units"] = units_;
  c["activation"] = activation_.name();
  c["use_bias"] = use_bias_;
  c["kernel_initializer"] = initializers::serialize(*kernel_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["kernel_regularizer"] = regularizers::to_json(weight_regularizer("kernel"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["kernel_constraint"] = constraints::to_json(weight_constraint("kernel"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  c["quantization_config"] = nullptr;
  return c;
}

// ---- Activation ----------------------------------------------------------------------------

Activation::Activation(activations::ActivationArg activation, LayerOptions options)
    : Layer(std::move(options), "Activation"), activation_(std::move(activation)) { set_supports_masking(true); }

Tensor Activation::call(const Tensor& x) { return activation_(x); }

Config Activation::get_config() const {
  Config c = base_config();
  c["activation"] = activation_.name();
  return c;
}

// ---- Lambda --------------------------------------------------------------------------------

Outputs Lambda::call(const std::vector<Tensor>& inputs, bool) {
  if (unary_) {
    if (inputs.size() != 1)
      throw ValueError("Lambda layer \"" + name() + "\" wraps a function of one tensor, but it received " +
                       std::to_string(inputs.size()) + " input tensors.");
    return Outputs{unary_(inputs.front())};
  }
  if (list_) return Outputs{list_(inputs)};
  return Outputs(list_to_list_(inputs));
}

std::vector<Shape> Lambda::compute_output_shape(const std::vector<Shape>& input_shapes) {
  if (!output_shape_) return Layer::compute_output_shape(input_shapes);
  Shape out;
  out.push_back(input_shapes.empty() || input_shapes.front().rank() == 0 ? -1 : input_shapes.front().dims().front());
  for (auto d : output_shape_->dims()) out.push_back(d);
  return {out};
}

Config Lambda::get_config() const {
  Config c = base_config();
  c["function"] = function_name.empty() ? Config(nullptr) : Config(function_name);
  // Keras writes output_shape (and mask) only when the layer has one.
  if (output_shape_) c["output_shape"] = shape_to_json(*output_shape_);
  c["arguments"] = Config::object();
  return c;
}

// ---- Flatten -------------------------------------------------------------------------------

Flatten::Flatten(std::string data_format, LayerOptions options)
    : Layer(std::move(options), "Flatten"), data_format_(std::move(data_format)) {
  if (data_format_ != "channels_last" && data_format_ != "channels_first")
    throw ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: " +
                     data_format_);
  InputSpec spec;
  spec.min_ndim = 1;
  set_input_spec({spec});
}

Shape Flatten::compute_output_shape(const Shape& input_shape) {
  if (input_shape.rank() == 0) throw ValueError("Flatten expects an input with a batch dimension. Received: shape=()");
  std::int64_t flat = 1;
  for (int i = 1; i < input_shape.rank(); ++i) {
    if (input_shape.dims()[i] < 0) {
      flat = -1;
      break;
    }
    flat *= input_shape.dims()[i];
  }
  return Shape{input_shape.dims().front(), flat};
}

Tensor Flatten::call(const Tensor& x) {
  Tensor in = x;
  if (data_format_ == "channels_first" && x.rank() > 2) {
    std::vector<int> perm{0};
    for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
    perm.push_back(1);
    in = ops::transpose(x, perm);
  }
  const Shape out = compute_output_shape(in.shape());
  if (out.dims()[0] < 0 && out.dims()[1] < 0)
    throw ValueError("Flatten needs either the batch size or all other dimensions to be known. Received: shape=" +
                     in.shape().to_string());
  return ops::reshape(in, out);
}

Config Flatten::get_config() const {
  Config c = base_config();
  c["data_format"] = data_format_;
  return c;
}

// ---- Reshape -------------------------------------------------------------------------------

Reshape::Reshape(Shape target_shape, LayerOptions options)
    : Layer(std::move(options), "Reshape"), target_shape_(std::move(target_shape)) {
  int unknown = 0;
  for (auto d : target_shape_.dims()) {
    if (d == -1) ++unknown;
    else if (d <= 0)
      throw ValueError("Layer \"" + name() + "\" (Reshape): target_shape entries must be positive integers or -1. Received: target_shape=" +
                       target_shape_.to_string());
  }
  if (unknown > 1)
    throw ValueError("There must be at most one unknown dimension in output_shape. Received: output_shape=" +
                     target_shape_.to_string());
}

Shape Reshape::resolved_target(const Shape& input_shape) const {
  std::int64_t known_in = 1;
  for (int i = 1; i < input_shape.rank(); ++i) {
    if (input_shape.dims()[i] < 0) return target_shape_;  // resolved at run time
    known_in *= input_shape.dims()[i];
  }
  std::int64_t known_out = 1;
  int unknown_at = -1;
  for (int i = 0; i < target_shape_.rank(); ++i) {
    if (target_shape_.dims()[i] == -1) unknown_at = i;
    else known_out *= target_shape_.dims()[i];
  }
  Shape out = target_shape_;
  if (unknown_at >= 0) {
    if (known_out == 0 || known_in % known_out != 0)
      throw ValueError("The total size of the tensor must be unchanged. Received: input_shape=" +
                       input_shape.to_string() + ", target_shape=" + target_shape_.to_string());
    out.dims()[unknown_at] = known_in / known_out;
  } else if (known_in != known_out) {
    throw ValueError("The total size of the tensor must be unchanged. Received: input_shape=" + input_shape.to_string() +
                     ", target_shape=" + target_shape_.to_string());
  }
  return out;
}

Shape Reshape::compute_output_shape(const Shape& input_shape) {
  if (input_shape.rank() == 0) throw ValueError("Reshape expects an input with a batch dimension. Received: shape=()");
  Shape out{input_shape.dims().front()};
  const Shape target = resolved_target(input_shape);
  for (auto d : target.dims()) out.push_back(d);
  return out;
}

Tensor Reshape::call(const Tensor& x) { return ops::reshape(x, compute_output_shape(x.shape())); }

Config Reshape::get_config() const {
  Config c = base_config();
  // Keras keeps the tuple as given: -1 stays -1 (not null, which its from_config rejects).
  Config dims = Config::array();
  for (auto d : target_shape_.dims()) dims.push_back(d);
  c["target_shape"] = dims;
  return c;
}

// ---- Dropout -------------------------------------------------------------------------------

Dropout::Dropout(double rate, std::optional<std::uint64_t> seed, LayerOptions options)
    : Layer(std::move(options), "Dropout"), rate_(rate), init_seed_(seed), seed_generator_(seed) {
  set_supports_masking(true);
  if (!(rate >= 0.0 && rate <= 1.0))
    throw ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: "
                     "rate=" + std::to_string(rate));
}

Tensor Dropout::call(const Tensor& x, bool training) {
  if (!training) return x;
  // A fresh mask per call, and per run of a compiled step (the generator's counter advances).
  return random::dropout(x, rate_, seed_generator_);
}

Config Dropout::get_config() const {
  Config c = base_config();
  c["rate"] = rate_;
  c["seed"] = init_seed_ ? Config(*init_seed_) : Config(nullptr);
  c["noise_shape"] = nullptr;
  return c;
}

}  // namespace layers
}  // namespace keras
