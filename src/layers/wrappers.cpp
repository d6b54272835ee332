// Bidirectional and TimeDistributed (keras/src/layers/rnn/{bidirectional,time_distributed}.py).
#include "../ops/recurrent_ops.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/recurrent.h"
#include "keras/ops/ops.h"

namespace keras::layers {
namespace {

std::string without_prefix(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string bool_string(bool b) { return b ? "True" : "False"; }

}  // namespace

// ---- Bidirectional ---------------------------------------------------------------------------

Bidirectional::Bidirectional(const std::shared_ptr<RNN>& layer, std::string merge_mode,
                             std::shared_ptr<RNN> backward_layer, LayerOptions options)
    : Layer(std::move(options), "Bidirectional"), merge_mode_(std::move(merge_mode)) {
  if (!layer)
    throw ValueError("Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. Received: nullptr");
  if (merge_mode_ != "sum" && merge_mode_ != "mul" && merge_mode_ != "ave" && merge_mode_ != "concat" &&
      !merge_mode_.empty())
    throw ValueError("Invalid merge mode. Received: " + merge_mode_ +
                     ". Merge mode should be one of {\"sum\", \"mul\", \"ave\", \"concat\", None (\"\")}");
  // Fresh copies, as Keras rebuilds both directions from the layer's config: the wrapped
  // layer itself is not used (its weights, if any, are not the wrapper's).
  forward_ = layer->clone("forward_" + without_prefix(layer->name(), "forward_"), layer->go_backwards(),
                          layer->return_sequences());
  const bool backward_given = backward_layer != nullptr;
  if (backward_given) {
    backward_ = std::move(backward_layer);
  } else {
    backward_ = layer->clone("backward_" + without_prefix(layer->name(), "backward_"), true, layer->return_sequences());
  }
  // The config Keras rebuilds the copies from includes the regularizers and constraints.
  for (const auto& copy : {forward_, backward_}) {
    if (copy == backward_ && backward_given) continue;
    copy->set_activity_regularizer(layer->activity_regularizer());
    for (const char* arg : {"kernel", "recurrent", "bias"}) {
      copy->set_weight_regularizer(arg, layer->weight_regularizer(arg));
      copy->set_weight_constraint(arg, layer->weight_constraint(arg));
    }
  }
  if (forward_->go_backwards() == backward_->go_backwards())
    throw ValueError("Forward layer and backward layer should have different `go_backwards` value. Received: "
                     "forward_layer.go_backwards " + bool_string(forward_->go_backwards()) +
                     ", backward_layer.go_backwards=" + bool_string(backward_->go_backwards()));
  const std::pair<const char*, std::pair<bool, bool>> common[] = {
      {"stateful", {forward_->stateful(), backward_->stateful()}},
      {"return_sequences", {forward_->return_sequences(), backward_->return_sequences()}},
      {"return_state", {forward_->return_state(), backward_->return_state()}}};
  for (const auto& [attr, values] : common)
    if (values.first != values.second)
      throw ValueError(std::string("Forward layer and backward layer are expected to have the same value for "
                                   "attribute \"") + attr + "\", got \"" + bool_string(values.first) +
                       "\" for forward layer and \"" + bool_string(values.second) + "\" for backward layer");
  // Keras forces zero outputs at masked steps when returning sequences, so that the two
  // directions line up after the backward sequence is flipped.
  forward_->set_zero_output_for_mask(forward_->return_sequences());
  backward_->set_zero_output_for_mask(backward_->return_sequences());
  track(forward_);
  track(backward_);
}

void Bidirectional::build(const std::vector<Shape>& input_shapes) {
  // Keras's Bidirectional takes the wrapped RNN's input_spec (ndim=3): the error names the
  // wrapper, not its inner forward layer.
  const Shape& seq = input_shapes.front();
  const bool generic = forward_->class_name() == "RNN";  // a generic RNN takes min_ndim=3
  if (generic ? seq.rank() < 3 : seq.rank() != 3)
    throw ValueError("Input 0 of layer \"" + name() + "\" is incompatible with the layer: expected " +
                     (generic ? "min_ndim" : "ndim") + std::string("=3, found ndim=") + std::to_string(seq.rank()) +
                     ". Full shape received: " + seq.to_string());
  forward_->build_once({input_shapes.front()});
  backward_->build_once({input_shapes.front()});
}

Outputs Bidirectional::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x = inputs.front();
  const std::size_t n_states = inputs.size() - 1;
  if (n_states % 2 != 0)
    throw ValueError("Layer \"" + name() + "\" expects initial states for both directions (forward's, then "
                     "backward's). Received: " + std::to_string(n_states) + " initial state tensors");
  std::vector<Tensor> fwd_in{x}, bwd_in{x};
  for (std::size_t i = 0; i < n_states; ++i) (i < n_states / 2 ? fwd_in : bwd_in).push_back(inputs[i + 1]);
  Outputs y = (*forward_)(fwd_in, training);
  Outputs y_rev = (*backward_)(bwd_in, training);
  Tensor a = y.front(), b = y_rev.front();
  if (forward_->return_sequences()) b = ops::rnn::reverse_time(b);
  Outputs result;
  if (merge_mode_ == "concat") result.push_back(ops::concatenate({a, b}, -1));
  else if (merge_mode_ == "sum") result.push_back(ops::add(a, b));
  else if (merge_mode_ == "ave") result.push_back(ops::divide(ops::add(a, b), Tensor::scalar(2.0, a.dtype())));
  else if (merge_mode_ == "mul") result.push_back(ops::multiply(a, b));
  else result = Outputs{a, b};
  const Tensor mask = get_keras_mask(x);
  if (forward_->return_sequences() && mask.defined())
    for (const Tensor& t : result) set_keras_mask(t, mask);
  if (forward_->return_state()) {
    for (std::size_t i = 1; i < y.size(); ++i) result.push_back(y[i]);
    for (std::size_t i = 1; i < y_rev.size(); ++i) result.push_back(y_rev[i]);
  }
  return result;
}

std::vector<Shape> Bidirectional::compute_output_shape(const std::vector<Shape>& input_shapes) {
  std::vector<Shape> fwd = forward_->compute_output_shape(std::vector<Shape>{input_shapes.front()});
  Shape out = fwd.front();
  std::vector<Shape> result;
  if (merge_mode_ == "concat") {
    if (out.dims().back() >= 0) out.dims().back() *= 2;
    result.push_back(out);
  } else if (merge_mode_.empty()) {
    result = {out, out};
  } else {
    result.push_back(out);
  }
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t i = 1; i < fwd.size(); ++i) result.push_back(fwd[i]);
  return result;
}

Config Bidirectional::get_config() const {
  Config c = base_config();
  c["merge_mode"] = merge_mode_.empty() ? Config(nullptr) : Config(merge_mode_);
  c["layer"] = serialize_layer(*forward_);
  c["backward_layer"] = serialize_layer(*backward_);
  return c;
}

// ---- TimeDistributed -------------------------------------------------------------------------

TimeDistributed::TimeDistributed(std::shared_ptr<Layer> layer, LayerOptions options)
    : Layer(std::move(options), "TimeDistributed"), layer_(std::move(layer)) {
  set_supports_masking(true);
  if (!layer_)
    throw ValueError("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. Received: nullptr");
  track(layer_);
}

Shape TimeDistributed::child_input_shape(const Shape& input_shape) const {
  if (input_shape.rank() < 3)
    throw ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: " +
                     input_shape.to_string());
  Shape child{input_shape.dims()[0]};
  for (int d = 2; d < input_shape.rank(); ++d) child.push_back(input_shape.dims()[d]);
  return child;
}

void TimeDistributed::build(const Shape& input_shape) { layer_->build_once({child_input_shape(input_shape)}); }

Shape TimeDistributed::compute_output_shape(const Shape& input_shape) {
  const Shape child_out = layer_->compute_output_shape(child_input_shape(input_shape));
  Shape out{child_out.dims()[0], input_shape.dims()[1]};
  for (int d = 1; d < child_out.rank(); ++d) out.push_back(child_out.dims()[d]);
  return out;
}

Tensor TimeDistributed::call(const Tensor& x, bool training) {
  const Shape& s = x.shape();
  child_input_shape(s);
  const std::int64_t batch = s.dims()[0], steps = s.dims()[1];
  // Fold the steps into the batch: one call of the wrapped layer instead of one per step.
  Shape folded{batch >= 0 && steps >= 0 ? batch * steps : -1};
  for (int d = 2; d < s.rank(); ++d) {
    if (s.dims()[d] < 0)
      throw ValueError("Layer \"" + name() + "\" (TimeDistributed) needs the dimensions after the time axis to be "
                       "known. Received: inputs of shape " + s.to_string());
    folded.push_back(s.dims()[d]);
  }
  const Tensor y = (*layer_)(ops::reshape(x, folded), training);
  if (batch < 0 && steps < 0)
    throw ValueError("Layer \"" + name() + "\" (TimeDistributed) needs the batch size or the number of timesteps to "
                     "be known. Received: inputs of shape " + s.to_string());
  Shape out{batch, steps};
  for (int d = 1; d < y.rank(); ++d) out.push_back(y.shape().dims()[d]);
  return ops::reshape(y, out);
}

Config TimeDistributed::get_config() const {
  Config c = base_config();
  c["layer"] = serialize_layer(*layer_);
  return c;
}

}  // namespace keras::layers
