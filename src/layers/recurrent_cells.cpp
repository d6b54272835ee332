// SimpleRNNCell, LSTMCell and GRUCell (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py): their
// weights and configs, one step written with ops (the reference path), and the whole
// sequence through the fused ops of src/ops/recurrent.cpp.
#include "../ops/recurrent_ops.h"
#include "keras/layers/recurrent.h"
#include "keras/ops/ops.h"
#include "recurrent_internal.h"

namespace keras::layers {
namespace {

namespace rnn = ops::rnn;

// Columns [begin, begin + width) of a (batch, n) or (batch, steps, n) tensor.
Tensor columns(const Tensor& x, std::int64_t begin, std::int64_t width) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(x.rank()), 0), sizes(start.size(), -1);
  start.back() = begin;
  sizes.back() = width;
  return ops::slice(x, start, sizes);
}

// Keras's unit_forget_bias: the base initializer for i, then ones for f, then the base again
// for c and o.
class UnitForgetBias : public initializers::Initializer {
 public:
  explicit UnitForgetBias(initializers::InitializerPtr base) : base_(std::move(base)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override {
    const std::int64_t u = shape.dims().front() / 4;
    return ops::concatenate({(*base_)(Shape{u}, dtype), ops::ones(Shape{u}, dtype), (*base_)(Shape{2 * u}, dtype)}, 0);
  }
  std::string class_name() const override { return base_->class_name(); }

 private:
  initializers::InitializerPtr base_;
};

// A fused activation for both of a cell's activations, or nullopt (then the cell runs step by
// step). A C++ callable is known by its name only ("custom_activation" unless named).
std::optional<std::pair<rnn::Activation, rnn::Activation>> fused_pair(const activations::ActivationArg& act,
                                                                      const activations::ActivationArg& rec) {
  auto a = rnn::fused_activation(act.name());
  auto r = rnn::fused_activation(rec.name());
  if (!a || !r) return std::nullopt;
  return std::make_pair(*a, *r);
}

// Keras's DropoutRNNCell mask: dropout applied to ones, one mask for every step of a call.
// x (B, T, F) @ kernel (F, G) for all steps, as one 2-D product when the shape allows it: the
// gradients are then plain 2-D products too (a 3-D @ 2-D matmul differentiates into one
// product per batch entry plus a sum).
Tensor project_steps(const Tensor& x, const Tensor& kernel) {
  const std::int64_t b = x.shape().dims()[0], t = x.shape().dims()[1], f = x.shape().dims()[2];
  if (b < 0 && t < 0) return ops::matmul(x, kernel);
  const Tensor y = ops::matmul(ops::reshape(x, Shape{-1, f}), kernel);
  return ops::reshape(y, Shape{b, t < 0 ? -1 : t, kernel.shape().dims()[1]});
}

Tensor dropout_mask(const Tensor& like, double rate, random::SeedGenerator& generator) {
  return random::dropout(ops::ones_like(like), rate, generator);
}

}  // namespace

// ---- RNNCell ---------------------------------------------------------------------------------

std::optional<std::vector<Tensor>> RNNCell::fused_sequence(const Tensor&, const std::vector<Tensor>&, const Tensor&,
                                                           bool) {
  return std::nullopt;
}

std::shared_ptr<RNNCell> RNNCell::clone() const {
  throw NotImplementedError("Cell \"" + name() + "\" (" + class_name() +
                            ") cannot be copied: override RNNCell::clone() to use it in Bidirectional without an "
                            "explicit backward_layer.");
}

void RNNCell::build(const std::vector<Shape>& input_shapes) { build(input_shapes.front()); }

Outputs RNNCell::call(const std::vector<Tensor>& inputs, bool training) {
  const auto sizes = state_size();
  if (inputs.size() != sizes.size() + 1)
    throw ValueError("Cell \"" + name() + "\" expects its input and " + std::to_string(sizes.size()) +
                     " state tensor(s). Received: " + std::to_string(inputs.size()) + " tensors");
  auto [out, states] = step(inputs.front(), std::vector<Tensor>(inputs.begin() + 1, inputs.end()), training);
  Outputs result{out};
  for (auto& s : states) result.push_back(s);
  return result;
}

std::vector<Shape> RNNCell::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const std::int64_t batch = input_shapes.front().rank() > 0 ? input_shapes.front().dims().front() : -1;
  std::vector<Shape> out{Shape{batch, output_size()}};
  for (auto s : state_size()) out.push_back(Shape{batch, s});
  return out;
}

// ---- BuiltinCell -----------------------------------------------------------------------------

BuiltinCell::BuiltinCell(std::int64_t units, RecurrentOptions options, const std::string& class_name)
    : RNNCell(LayerOptions{.name = options.name, .trainable = options.trainable, .dtype = options.dtype}, class_name),
      units_(units), options_(std::move(options)), seed_generator_(options_.seed) {
  set_weight_regularizer("kernel", options_.kernel_regularizer);
  set_weight_regularizer("recurrent", options_.recurrent_regularizer);
  set_weight_regularizer("bias", options_.bias_regularizer);
  set_weight_constraint("kernel", options_.kernel_constraint);
  set_weight_constraint("recurrent", options_.recurrent_constraint);
  set_weight_constraint("bias", options_.bias_constraint);
  if (units <= 0)
    throw ValueError("Layer \"" + name() + "\" (" + class_name + "): received an invalid value for argument `units`, "
                     "expected a positive integer. Received: units=" + std::to_string(units));
  for (auto [name, value] : {std::pair{"dropout", options_.dropout}, {"recurrent_dropout", options_.recurrent_dropout}})
    if (!(value >= 0.0 && value <= 1.0))
      throw ValueError(std::string("Invalid value received for argument `") + name +
                       "`. Expected a float value between 0 and 1. Received: " + name + "=" + std::to_string(value));
  // Unknown initializer names fail at construction, as in Keras.
  options_.kernel_initializer.resolve();
  options_.recurrent_initializer.resolve("orthogonal");
  options_.bias_initializer.resolve("zeros");
}

void BuiltinCell::check_step_input(const Shape& input_shape) const {
  if (input_shape.rank() < 2 || input_shape.dims().back() < 0)
    throw ValueError("Cell \"" + name() + "\" (" + class_name() +
                     ") expects inputs of shape (batch, features) with a known number of features. Received: "
                     "input_shape=" + input_shape.to_string());
}

void BuiltinCell::create_weights(const Shape& input_shape, std::int64_t gates, const Shape& bias_shape,
                                 const initializers::InitializerArg& bias_init) {
  check_step_input(input_shape);
  const std::int64_t features = input_shape.dims().back();
  kernel_ = add_weight("kernel", {features, gates * units_}, options_.kernel_initializer, true);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, gates * units_},
                                 options_.recurrent_initializer.empty() ? "orthogonal" : options_.recurrent_initializer,
                                 true);
  if (options_.use_bias) bias_ = add_weight("bias", bias_shape, bias_init, true);
}

void BuiltinCell::begin_sequence(const Tensor& sequences, bool training) {
  input_mask_ = Tensor();
  state_mask_ = Tensor();
  const bool drop_in = training && options_.dropout > 0.0, drop_state = training && options_.recurrent_dropout > 0.0;
  if (!drop_in && !drop_state) return;
  // Drawn through the cell's SeedGenerator: inside a compiled step every run draws new masks.
  const Tensor first_step = ops::squeeze(ops::slice(sequences, {0, 0, 0}, {-1, 1, -1}), {1});  // (batch, features)
  if (drop_in) input_mask_ = dropout_mask(first_step, options_.dropout, seed_generator_);
  if (drop_state) {
    // (batch, units), with the batch size known only at run time.
    const Tensor state_like = ops::add(ops::zeros_like(ops::slice(first_step, {0, 0}, {-1, 1})),
                                       ops::zeros(Shape{1, units_}, first_step.dtype()));
    state_mask_ = dropout_mask(state_like, options_.recurrent_dropout, seed_generator_);
  }
}

void BuiltinCell::end_sequence() {
  input_mask_ = Tensor();
  state_mask_ = Tensor();
}

Tensor BuiltinCell::drop_inputs(const Tensor& x) const {
  if (!input_mask_.defined()) return x;
  return ops::multiply(x, x.rank() == 3 ? ops::expand_dims(input_mask_, 1) : input_mask_);
}

Tensor BuiltinCell::drop_state(const Tensor& h) const { return state_mask_.defined() ? ops::multiply(h, state_mask_) : h; }

Config BuiltinCell::cell_config(bool with_recurrent_activation) const {
  Config c = base_config();
  c["units"] = units_;
  c["activation"] = options_.activation.name();
  if (with_recurrent_activation) c["recurrent_activation"] = options_.recurrent_activation.name();
  c["use_bias"] = options_.use_bias;
  return c;
}

void add_recurrent_entries(Config& c, const RecurrentOptions& o, bool with_activity_regularizer, const Layer& cell) {
  c["kernel_initializer"] = initializers::serialize(*o.kernel_initializer.resolve());
  c["recurrent_initializer"] = initializers::serialize(*o.recurrent_initializer.resolve("orthogonal"));
  c["bias_initializer"] = initializers::serialize(*o.bias_initializer.resolve("zeros"));
  c["kernel_regularizer"] = regularizers::to_json(cell.weight_regularizer("kernel"));
  c["recurrent_regularizer"] = regularizers::to_json(cell.weight_regularizer("recurrent"));
  c["bias_regularizer"] = regularizers::to_json(cell.weight_regularizer("bias"));
  if (with_activity_regularizer) c["activity_regularizer"] = nullptr;
  c["kernel_constraint"] = constraints::to_json(cell.weight_constraint("kernel"));
  c["recurrent_constraint"] = constraints::to_json(cell.weight_constraint("recurrent"));
  c["bias_constraint"] = constraints::to_json(cell.weight_constraint("bias"));
  c["dropout"] = o.dropout;
  c["recurrent_dropout"] = o.recurrent_dropout;
}

Config seed_json(const RecurrentOptions& o) { return o.seed ? Config(*o.seed) : Config(nullptr); }

// ---- SimpleRNNCell ---------------------------------------------------------------------------

SimpleRNNCell::SimpleRNNCell(std::int64_t units, RecurrentOptions options)
    : BuiltinCell(units, std::move(options), "SimpleRNNCell") {}

void SimpleRNNCell::build(const Shape& input_shape) {
  create_weights(input_shape, 1, Shape{units_}, options_.bias_initializer);
}

std::pair<Tensor, std::vector<Tensor>> SimpleRNNCell::step(const Tensor& x, const std::vector<Tensor>& states, bool) {
  Tensor h = ops::matmul(drop_inputs(x), kernel_);
  if (options_.use_bias) h = ops::add(h, bias_);
  Tensor out = options_.activation(ops::add(h, ops::matmul(drop_state(states.at(0)), recurrent_kernel_)));
  return {out, {out}};
}

std::optional<std::vector<Tensor>> SimpleRNNCell::fused_sequence(const Tensor& sequences,
                                                                 const std::vector<Tensor>& initial, const Tensor& mask,
                                                                 bool) {
  const auto acts = fused_pair(options_.activation, activations::ActivationArg("linear"));
  if (!acts || state_mask_.defined()) return std::nullopt;
  Tensor xz = project_steps(drop_inputs(sequences), kernel_);
  if (options_.use_bias) xz = ops::add(xz, bias_);
  return std::vector<Tensor>{rnn::simple_rnn_sequence(xz, initial.at(0), recurrent_kernel_, mask, acts->first)};
}

std::shared_ptr<RNNCell> SimpleRNNCell::clone() const {
  RecurrentOptions o = options_;
  o.name = name();
  return std::make_shared<SimpleRNNCell>(units_, o);
}

Config SimpleRNNCell::get_config() const {
  Config c = cell_config(false);
  add_recurrent_entries(c, options_, false, *this);
  c["seed"] = seed_json(options_);
  return c;
}

// ---- LSTMCell --------------------------------------------------------------------------------

LSTMCell::LSTMCell(std::int64_t units, RecurrentOptions options) : BuiltinCell(units, std::move(options), "LSTMCell") {}

void LSTMCell::build(const Shape& input_shape) {
  const auto base = options_.bias_initializer.resolve("zeros");
  initializers::InitializerArg bias_init = options_.unit_forget_bias
                                               ? initializers::InitializerArg(std::make_shared<UnitForgetBias>(base))
                                               : initializers::InitializerArg(base);
  create_weights(input_shape, 4, Shape{4 * units_}, bias_init);
}

std::pair<Tensor, std::vector<Tensor>> LSTMCell::step(const Tensor& x, const std::vector<Tensor>& states, bool) {
  const std::int64_t u = units_;
  Tensor z = ops::add(ops::matmul(drop_inputs(x), kernel_), ops::matmul(drop_state(states.at(0)), recurrent_kernel_));
  if (options_.use_bias) z = ops::add(z, bias_);
  const auto& act = options_.activation;
  const auto& rec = options_.recurrent_activation;
  const Tensor i = rec(columns(z, 0, u)), f = rec(columns(z, u, u)), o = rec(columns(z, 3 * u, u));
  const Tensor c = ops::add(ops::multiply(f, states.at(1)), ops::multiply(i, act(columns(z, 2 * u, u))));
  const Tensor h = ops::multiply(o, act(c));
  return {h, {h, c}};
}

bool LSTMCell::fused_inputs(const Tensor& sequences, const std::vector<Tensor>& initial, const Tensor& mask,
                            rnn::LstmInputs* out) const {
  const auto acts = fused_pair(options_.activation, options_.recurrent_activation);
  if (!acts || state_mask_.defined()) return false;
  Tensor x = drop_inputs(sequences);
  const DType dtype = recurrent_kernel_.dtype();
  if (x.dtype() != dtype) x = ops::cast(x, dtype);
  const Tensor bias = options_.use_bias ? Tensor(bias_) : ops::zeros(Shape{4 * units_}, dtype);
  *out = rnn::LstmInputs{x, kernel_, bias, initial.at(0), initial.at(1), recurrent_kernel_, mask, acts->first,
                         acts->second};
  return true;
}

std::optional<std::vector<Tensor>> LSTMCell::fused_sequence(const Tensor& sequences, const std::vector<Tensor>& initial,
                                                            const Tensor& mask, bool) {
  rnn::LstmInputs in;
  if (!fused_inputs(sequences, initial, mask, &in)) return std::nullopt;
  const Tensor tape = rnn::lstm_sequence(in);
  return std::vector<Tensor>{rnn::lstm_output(tape, in, rnn::LstmOutput::sequence),
                             rnn::lstm_output(tape, in, rnn::LstmOutput::cell_sequence)};
}

std::optional<std::vector<Tensor>> LSTMCell::fused_final_states(const Tensor& sequences,
                                                                const std::vector<Tensor>& initial, bool) {
  rnn::LstmInputs in;
  if (!fused_inputs(sequences, initial, Tensor(), &in)) return std::nullopt;
  // One output (B, 2u) for both states: one backward pass however many of them are used.
  const Tensor both = rnn::lstm_output(rnn::lstm_sequence(in), in, rnn::LstmOutput::final_states);
  return std::vector<Tensor>{columns(both, 0, units_), columns(both, units_, units_)};
}

std::shared_ptr<RNNCell> LSTMCell::clone() const {
  RecurrentOptions o = options_;
  o.name = name();
  return std::make_shared<LSTMCell>(units_, o);
}

Config LSTMCell::get_config() const {
  Config c = cell_config(true);
  c["unit_forget_bias"] = options_.unit_forget_bias;
  add_recurrent_entries(c, options_, false, *this);
  c["seed"] = seed_json(options_);
  return c;
}

// ---- GRUCell ---------------------------------------------------------------------------------

GRUCell::GRUCell(std::int64_t units, RecurrentOptions options) : BuiltinCell(units, std::move(options), "GRUCell") {}

void GRUCell::build(const Shape& input_shape) {
  // With reset_after the input and recurrent biases are separate rows (Keras: "so that we can
  // distinguish the classes when loading" from CuDNNGRU's flat (6u,) bias).
  const Shape bias_shape = options_.reset_after ? Shape{2, 3 * units_} : Shape{3 * units_};
  create_weights(input_shape, 3, bias_shape, options_.bias_initializer);
}

std::pair<Tensor, Tensor> GRUCell::split_bias(DType dtype) const {
  const Tensor zeros = ops::zeros(Shape{3 * units_}, dtype);
  if (!options_.use_bias) return {Tensor(), zeros};
  if (!options_.reset_after) return {bias_, zeros};
  return {ops::squeeze(ops::slice(bias_, {0, 0}, {1, -1}), {0}), ops::squeeze(ops::slice(bias_, {1, 0}, {1, -1}), {0})};
}

std::pair<Tensor, std::vector<Tensor>> GRUCell::step(const Tensor& x, const std::vector<Tensor>& states, bool) {
  const std::int64_t u = units_;
  const Tensor& h_prev = states.at(0);
  const Tensor h_in = drop_state(h_prev);
  const auto [input_bias, recurrent_bias] = split_bias(x.dtype());
  Tensor mx = ops::matmul(drop_inputs(x), kernel_);
  if (input_bias.defined()) mx = ops::add(mx, input_bias);
  const auto& rec = options_.recurrent_activation;
  Tensor inner;
  if (options_.reset_after) {
    inner = ops::add(ops::matmul(h_in, recurrent_kernel_), recurrent_bias);
  } else {
    inner = ops::matmul(h_in, columns(recurrent_kernel_, 0, 2 * u));
  }
  const Tensor z = rec(ops::add(columns(mx, 0, u), columns(inner, 0, u)));
  const Tensor r = rec(ops::add(columns(mx, u, u), columns(inner, u, u)));
  const Tensor recurrent_h = options_.reset_after
                                 ? ops::multiply(r, columns(inner, 2 * u, u))
                                 : ops::matmul(ops::multiply(r, h_in), columns(recurrent_kernel_, 2 * u, u));
  const Tensor hh = options_.activation(ops::add(columns(mx, 2 * u, u), recurrent_h));
  const Tensor h = ops::add(ops::multiply(z, h_prev), ops::multiply(ops::subtract(Tensor::scalar(1.0, z.dtype()), z), hh));
  return {h, {h}};
}

std::optional<std::vector<Tensor>> GRUCell::fused_sequence(const Tensor& sequences, const std::vector<Tensor>& initial,
                                                           const Tensor& mask, bool) {
  const auto acts = fused_pair(options_.activation, options_.recurrent_activation);
  if (!acts || state_mask_.defined()) return std::nullopt;
  const auto [input_bias, recurrent_bias] = split_bias(sequences.dtype());
  Tensor xz = project_steps(drop_inputs(sequences), kernel_);
  if (input_bias.defined()) xz = ops::add(xz, input_bias);
  const Tensor out = rnn::gru_sequence(xz, initial.at(0), recurrent_kernel_, recurrent_bias, mask,
                                       options_.reset_after, acts->first, acts->second);
  return std::vector<Tensor>{columns(out, 0, units_)};
}

std::shared_ptr<RNNCell> GRUCell::clone() const {
  RecurrentOptions o = options_;
  o.name = name();
  return std::make_shared<GRUCell>(units_, o);
}

Config GRUCell::get_config() const {
  Config c = cell_config(true);
  add_recurrent_entries(c, options_, false, *this);
  c["reset_after"] = options_.reset_after;
  c["seed"] = seed_json(options_);
  return c;
}

}  // namespace keras::layers
