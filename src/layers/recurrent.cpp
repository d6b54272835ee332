// RNN over a cell (keras/src/layers/rnn/rnn.py with backend.rnn's masking semantics), and
// SimpleRNN, LSTM, GRU.
#include "keras/layers/recurrent.h"

#include "../ops/recurrent_ops.h"
#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"
#include "recurrent_internal.h"

namespace keras::layers {
namespace {

namespace rnn = ops::rnn;

Config shape_json(const Shape& shape) {
  Config list = Config::array();
  for (auto d : shape.dims()) list.push_back(d < 0 ? Config(nullptr) : Config(d));
  return list;
}

// Step t of (batch, steps, ...), without the time axis.
Tensor step_of(const Tensor& seq, std::int64_t t) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(seq.rank()), 0), sizes(start.size(), -1);
  start[1] = t;
  sizes[1] = 1;
  return ops::squeeze(ops::slice(seq, start, sizes), {1});
}

// The last step of (batch, steps, ...); with an unknown number of steps, the first step of
// the reversed sequence.
Tensor last_step(const Tensor& seq) {
  const std::int64_t steps = seq.shape().dims()[1];
  if (steps > 0) return step_of(seq, steps - 1);
  return step_of(rnn::reverse_time(seq), 0);
}

// A (batch, 1) or (batch, steps, 1) mask shaped to broadcast against `like` (batch, ...).
Tensor broadcastable(Tensor mask, int rank) {
  while (mask.rank() < rank) mask = ops::expand_dims(mask, -1);
  return mask;
}

// Releases a cell's per-call dropout masks however the call ends.
struct SequenceScope {
  RNNCell& cell;
  ~SequenceScope() { cell.end_sequence(); }
};

}  // namespace

// ---- RNN -------------------------------------------------------------------------------------

RNN::RNN(std::shared_ptr<RNNCell> cell, RecurrentOptions options) : RNN(std::move(cell), std::move(options), "RNN") {}

RNN::RNN(std::shared_ptr<RNNCell> cell, RecurrentOptions options, const std::string& class_name)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable, .dtype = options.dtype}, class_name),
      cell_(std::move(cell)), options_(std::move(options)) {
  if (!cell_) throw ValueError("Argument `cell` should be an RNN cell (keras::layers::RNNCell). Received: cell=nullptr");
  if (cell_->state_size().empty())
    throw ValueError("The RNN cell should have a `state_size` attribute (one integer per RNN state). Received: cell=" +
                     cell_->name() + " with no states");
  track(cell_);
}

void RNN::check_sequences(const Shape& shape) const {
  const bool exact = class_name() != "RNN";
  const std::string head = "Input 0 of layer \"" + name() + "\" is incompatible with the layer: ";
  if (exact && shape.rank() != 3)
    throw ValueError(head + "expected ndim=3, found ndim=" + std::to_string(shape.rank()) +
                     ". Full shape received: " + shape.to_string());
  if (shape.rank() < 3)
    throw ValueError(head + "expected min_ndim=3, found ndim=" + std::to_string(shape.rank()) +
                     ". Full shape received: " + shape.to_string());
}

void RNN::build(const std::vector<Shape>& input_shapes) {
  const Shape& seq = input_shapes.front();
  check_sequences(seq);
  Shape step{seq.dims()[0]};
  for (int d = 2; d < seq.rank(); ++d) step.push_back(seq.dims()[d]);
  cell_->build_once({step});
  if (options_.stateful) {
    if (seq.dims()[0] < 0)
      throw ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found dynamic batch size: "
                       "sequence.shape=" + seq.to_string());
    states_.clear();
    for (auto size : cell_->state_size())
      states_.emplace_back(ops::zeros(Shape{seq.dims()[0], size}, dtype()), "rnn_state", false);
  }
}

std::vector<Tensor> RNN::initial_states(const Tensor& sequences, std::vector<Tensor> given) {
  const auto sizes = cell_->state_size();
  const std::int64_t batch = sequences.shape().dims()[0];
  if (!given.empty()) {
    if (given.size() != sizes.size())
      throw ValueError("Layer \"" + name() + "\" expects " + std::to_string(sizes.size()) +
                       " initial state tensor(s) (one per cell state), but it received " +
                       std::to_string(given.size()) + ".");
    for (std::size_t i = 0; i < given.size(); ++i) {
      const Shape& s = given[i].shape();
      const bool ok = s.rank() == 2 && s.dims()[1] == sizes[i] && (s.dims()[0] < 0 || batch < 0 || s.dims()[0] == batch);
      if (!ok)
        throw ValueError("An initial state passed to layer \"" + name() + "\" is not compatible with the cell's state "
                         "size: expected shape " + Shape{batch, sizes[i]}.to_string() + " for state " +
                         std::to_string(i) + ". Received: shape " + s.to_string());
      if (given[i].dtype() != sequences.dtype()) given[i] = ops::cast(given[i], sequences.dtype());
    }
    return given;
  }
  if (options_.stateful && !states_.empty()) return std::vector<Tensor>(states_.begin(), states_.end());
  std::vector<Tensor> zeros;
  for (auto size : sizes) {
    if (batch >= 0) {
      zeros.push_back(ops::zeros(Shape{batch, size}, sequences.dtype()));
    } else {
      // Unknown batch: (batch, 1) zeros from the sequences' shape, broadcast to (batch, size).
      std::vector<std::int64_t> start(static_cast<std::size_t>(sequences.rank()), 0), one(start.size(), 1);
      one[0] = -1;
      const Tensor column = ops::reshape(ops::zeros_like(ops::slice(sequences, start, one)), Shape{-1, 1});
      zeros.push_back(ops::add(column, ops::zeros(Shape{1, size}, sequences.dtype())));
    }
  }
  return zeros;
}

Outputs RNN::call(const std::vector<Tensor>& inputs, bool training) {
  const Tensor& x = inputs.front();
  check_sequences(x.shape());
  const std::int64_t batch = x.shape().dims()[0], steps = x.shape().dims()[1];
  const Tensor mask = get_keras_mask(x);
  if (mask.defined()) {
    const Shape& ms = mask.shape();
    const bool ok = ms.rank() == 2 && (ms.dims()[0] < 0 || batch < 0 || ms.dims()[0] == batch) &&
                    (ms.dims()[1] < 0 || steps < 0 || ms.dims()[1] == steps);
    if (!ok)
      throw ValueError("The mask of the inputs of layer \"" + name() + "\" must have shape (batch, timesteps) = " +
                       Shape{batch, steps}.to_string() + ". Received: mask shape " + ms.to_string() +
                       " for inputs of shape " + x.shape().to_string());
  }
  const std::vector<Tensor> given(inputs.begin() + 1, inputs.end());
  std::vector<Tensor> states = initial_states(x, given);

  // go_backwards: run over the reversed sequence; the outputs stay in processing order.
  Tensor seq = options_.go_backwards ? rnn::reverse_time(x) : x;
  Tensor m = mask.defined() && options_.go_backwards ? rnn::reverse_time(mask) : mask;

  cell_->begin_sequence(seq, training);
  SequenceScope scope{*cell_};
  Tensor outputs, last;
  std::vector<Tensor> finals;
  std::optional<std::vector<Tensor>> fused, fused_finals;
  // Without a mask, the last output is the final h: a cell may then skip the sequences.
  if (options_.use_fused && !options_.return_sequences && !m.defined())
    fused_finals = cell_->fused_final_states(seq, states, training);
  if (!fused_finals && options_.use_fused) fused = cell_->fused_sequence(seq, states, m, training);
  if (fused_finals) {
    finals = *fused_finals;
    last = finals.front();
  } else if (fused) {
    // The fused ops return the state sequences; the output is the first state. A masked step
    // outputs the previous output: that is the carried state once a step was processed, and
    // zeros before (Keras starts from a zero output, whatever the initial state).
    outputs = fused->front();
    if (m.defined()) {
      if (options_.zero_output_for_mask)
        outputs = ops::where(ops::expand_dims(m, -1), outputs, ops::zeros_like(outputs));
      else if (!given.empty() || options_.stateful)
        outputs = ops::where(ops::expand_dims(rnn::mask_seen(m), -1), outputs, ops::zeros_like(outputs));
    }
    last = last_step(outputs);
    for (const Tensor& s : *fused) finals.push_back(last_step(s));
  } else {
    const std::int64_t n = seq.shape().dims()[1];
    if (n < 0)
      throw ValueError("Layer \"" + name() + "\" runs its cell step by step (no fused kernel for this "
                       "configuration), which needs a known number of timesteps. Received: inputs of shape " +
                       x.shape().to_string());
    std::vector<Tensor> outs;
    for (std::int64_t t = 0; t < n; ++t) {
      auto [out, next] = cell_->step(step_of(seq, t), states, training);
      if (next.size() != states.size())
        throw ValueError("Cell \"" + cell_->name() + "\" returned " + std::to_string(next.size()) +
                         " states, but its state_size lists " + std::to_string(states.size()) + ".");
      if (m.defined()) {
        const Tensor m_t = ops::slice(m, {0, t}, {-1, 1});
        const Tensor previous = options_.zero_output_for_mask || outs.empty() ? ops::zeros_like(out) : outs.back();
        out = ops::where(broadcastable(m_t, out.rank()), out, previous);
        for (std::size_t i = 0; i < next.size(); ++i)
          next[i] = ops::where(broadcastable(m_t, next[i].rank()), next[i], states[i]);
      }
      states = std::move(next);
      outs.push_back(out);
    }
    outputs = ops::stack(outs, 1);
    last = outs.back();
    finals = states;
  }
  if (options_.stateful)
    for (std::size_t i = 0; i < states_.size() && i < finals.size(); ++i) states_[i].assign(finals[i]);

  Outputs result{options_.return_sequences ? outputs : last};
  // Keras's compute_mask: the input mask goes on with the sequence (not reversed).
  if (options_.return_sequences && mask.defined()) set_keras_mask(result.front(), mask);
  if (options_.return_state)
    for (const Tensor& s : finals) result.push_back(s);
  return result;
}

std::vector<Shape> RNN::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& seq = input_shapes.front();
  check_sequences(seq);
  const std::int64_t batch = seq.dims()[0];
  std::vector<Shape> out;
  out.push_back(options_.return_sequences ? Shape{batch, seq.dims()[1], cell_->output_size()}
                                          : Shape{batch, cell_->output_size()});
  if (options_.return_state)
    for (auto size : cell_->state_size()) out.push_back(Shape{batch, size});
  return out;
}

void RNN::reset_states() {
  for (Variable& v : states_) v.assign(ops::zeros_like(v));
}

Config RNN::rnn_config() const {
  Config c = base_config();
  c["return_sequences"] = options_.return_sequences;
  c["return_state"] = options_.return_state;
  c["go_backwards"] = options_.go_backwards;
  c["stateful"] = options_.stateful;
  c["unroll"] = options_.unroll;
  c["zero_output_for_mask"] = options_.zero_output_for_mask;
  return c;
}

Config RNN::get_config() const {
  Config c = rnn_config();
  c["cell"] = serialize_layer(*cell_);
  return c;
}

std::shared_ptr<RNN> RNN::clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const {
  RecurrentOptions o = options_;
  o.name = name;
  o.go_backwards = go_backwards;
  o.zero_output_for_mask = zero_output_for_mask;
  return std::make_shared<RNN>(cell_->clone(), o);
}

// ---- SimpleRNN / LSTM / GRU ------------------------------------------------------------------

namespace {

// The layer's own check, so that the error names the layer rather than its cell.
std::int64_t checked_units(std::int64_t units, const RecurrentOptions& o, const std::string& cls) {
  if (units <= 0)
    throw ValueError("Layer \"" + (o.name.empty() ? to_snake_case(cls) : o.name) + "\" (" + cls +
                     "): received an invalid value for argument `units`, expected a positive integer. Received: units=" +
                     std::to_string(units));
  return units;
}

// The entry add_recurrent_entries placed (null) holds the layer's regularizer when it has one.
void write_activity_regularizer(Config& c, const Layer& layer) {
  if (layer.activity_regularizer()) c["activity_regularizer"] = layer.activity_regularizer()->to_json();
}

RecurrentOptions cell_options(RecurrentOptions o, const std::string& cell_name) {
  o.name = cell_name;
  return o;
}

RecurrentOptions with_overrides(RecurrentOptions o, const std::string& name, bool go_backwards,
                                bool zero_output_for_mask) {
  o.name = name;
  o.go_backwards = go_backwards;
  o.zero_output_for_mask = zero_output_for_mask;
  return o;
}

}  // namespace

SimpleRNN::SimpleRNN(std::int64_t units, RecurrentOptions options)
    : RNN(std::make_shared<SimpleRNNCell>(checked_units(units, options, "SimpleRNN"), cell_options(options, "simple_rnn_cell")), options,
          "SimpleRNN") {}

std::int64_t SimpleRNN::units() const { return static_cast<const BuiltinCell&>(*cell()).units(); }

Config SimpleRNN::get_config() const {
  Config c = rnn_config();
  const RecurrentOptions& o = options();
  c["units"] = units();
  c["activation"] = o.activation.name();
  c["use_bias"] = o.use_bias;
  add_recurrent_entries(c, o, true, *cell());
  write_activity_regularizer(c, *this);
  return c;  // Keras's SimpleRNN config has no seed
}

std::shared_ptr<RNN> SimpleRNN::clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const {
  return std::make_shared<SimpleRNN>(units(), with_overrides(options(), name, go_backwards, zero_output_for_mask));
}

LSTM::LSTM(std::int64_t units, RecurrentOptions options)
    : RNN(std::make_shared<LSTMCell>(checked_units(units, options, "LSTM"), cell_options(options, "lstm_cell")), options,
          "LSTM") {}

std::int64_t LSTM::units() const { return static_cast<const BuiltinCell&>(*cell()).units(); }

Config LSTM::get_config() const {
  Config c = rnn_config();
  const RecurrentOptions& o = options();
  c["units"] = units();
  c["activation"] = o.activation.name();
  c["recurrent_activation"] = o.recurrent_activation.name();
  c["use_bias"] = o.use_bias;
  Config rest;
  add_recurrent_entries(rest, o, true, *cell());
  // Keras's LSTM lists unit_forget_bias between bias_initializer and kernel_regularizer.
  for (auto it = rest.begin(); it != rest.end(); ++it) {
    c[it.key()] = it.value();
    if (it.key() == "bias_initializer") c["unit_forget_bias"] = o.unit_forget_bias;
  }
  write_activity_regularizer(c, *this);
  c["seed"] = seed_json(o);
  return c;
}

std::shared_ptr<RNN> LSTM::clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const {
  return std::make_shared<LSTM>(units(), with_overrides(options(), name, go_backwards, zero_output_for_mask));
}

GRU::GRU(std::int64_t units, RecurrentOptions options)
    : RNN(std::make_shared<GRUCell>(checked_units(units, options, "GRU"), cell_options(options, "gru_cell")), options,
          "GRU") {}

std::int64_t GRU::units() const { return static_cast<const BuiltinCell&>(*cell()).units(); }

Config GRU::get_config() const {
  Config c = rnn_config();
  const RecurrentOptions& o = options();
  c["units"] = units();
  c["activation"] = o.activation.name();
  c["recurrent_activation"] = o.recurrent_activation.name();
  c["use_bias"] = o.use_bias;
  add_recurrent_entries(c, o, true, *cell());
  write_activity_regularizer(c, *this);
  c["reset_after"] = o.reset_after;
  c["seed"] = seed_json(o);
  return c;
}

std::shared_ptr<RNN> GRU::clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const {
  return std::make_shared<GRU>(units(), with_overrides(options(), name, go_backwards, zero_output_for_mask));
}

// ---- nested configs --------------------------------------------------------------------------

Config serialize_layer(const Layer& layer) {
  Config c;
  c["module"] = "keras.layers";
  c["class_name"] = layer.class_name();
  c["config"] = layer.get_config();
  c["registered_name"] = nullptr;
  if (layer.built() && !layer.build_input_shapes().empty())
    c["build_config"] = Config{{"input_shape", shape_json(layer.build_input_shapes().front())}};
  return c;
}

}  // namespace keras::layers
