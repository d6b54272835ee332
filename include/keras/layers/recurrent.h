#pragma once
/// Recurrent layers: SimpleRNN, LSTM, GRU (and their cells), the generic RNN over any cell,
/// Bidirectional and TimeDistributed — Keras 3's classes, arguments, defaults and weights.
///
///   auto lstm = keras::layers::make<keras::layers::LSTM>(5);                    // (B, T, F) -> (B, 5)
///   auto seq = keras::layers::make<keras::layers::GRU>(8, keras::layers::RecurrentOptions{
///       .return_sequences = true, .return_state = true});                      // -> (B, T, 8), (B, 8)
///   keras::Outputs out = (*seq)({x, h0});                                     // initial state h0
///
/// Calling: inputs are the sequences (batch, timesteps, features) followed, optionally, by the
/// initial states (LSTM: h0, c0). A mask attached to the sequences (keras/layers/core_extra.h:
/// Embedding mask_zero, Masking) skips time steps as Keras does: a masked step keeps the
/// previous states and outputs the previous output (zeros with zero_output_for_mask).
/// Outputs: the last output (batch, units), or the whole sequence with return_sequences
/// (reversed with go_backwards, as in Keras), then the final states with return_state.
///
/// Weights live in the cell sublayer (`cell()`), as in Keras: an LSTM's weights are
/// lstm_cell/kernel (features, 4u), lstm_cell/recurrent_kernel (u, 4u), lstm_cell/bias (4u),
/// gates in Keras's order (LSTM i f c o; GRU z r h; GRU bias (2, 3u) with reset_after).
///
/// Speed: the built-in cells run a whole sequence as one fused op (one node in a traced
/// model, with its own backward kernel) for the activations linear, tanh, sigmoid,
/// hard_sigmoid and relu. Other activations, recurrent_dropout in training and custom cells
/// run step by step with ops (the reference path; it needs a known number of time steps).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/initializers.h"
#include "keras/layers/activations.h"
#include "keras/layers/layer.h"
#include "keras/ops/random.h"

namespace keras::ops::rnn {
struct LstmInputs;  // src/ops/recurrent_ops.h
}  // namespace keras::ops::rnn

namespace keras::layers {

/// Arguments of SimpleRNN, LSTM, GRU, their cells and RNN. Fields a class does not have are
/// ignored by it (e.g. reset_after outside GRU).
struct RecurrentOptions {
  activations::ActivationArg activation = "tanh";
  activations::ActivationArg recurrent_activation = "sigmoid";  // LSTM, GRU
  bool use_bias = true;
  initializers::InitializerArg kernel_initializer = "glorot_uniform";
  initializers::InitializerArg recurrent_initializer = "orthogonal";
  initializers::InitializerArg bias_initializer = "zeros";
  bool unit_forget_bias = true;  // LSTM: the forget gate's bias starts at 1
  bool reset_after = true;       // GRU: the reset gate applies after the recurrent product
  double dropout = 0.0;            // fraction of the inputs dropped in training (one mask per call)
  double recurrent_dropout = 0.0;  // fraction of the recurrent state dropped in training
  std::optional<std::uint64_t> seed{};
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;  // the final states of a batch are the next batch's initial states
  bool unroll = false;    // accepted for Keras compatibility; the fused op needs no unrolling
  bool zero_output_for_mask = false;
  /// keras.cpp only (not saved): false always runs the step-by-step reference path.
  bool use_fused = true;
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
  /// Keras's kernel_/recurrent_/bias_regularizer and _constraint (on the cell's weights).
  std::optional<regularizers::L1L2> kernel_regularizer{}, recurrent_regularizer{}, bias_regularizer{};
  std::optional<constraints::Constraint> kernel_constraint{}, recurrent_constraint{}, bias_constraint{};
};

/// One time step of a recurrent layer (Keras's RNN cell protocol). Subclass it for a custom
/// cell: create weights in build((batch, features)), implement `state_size` and `step`, then
/// wrap it in RNN. Calling a cell as a layer takes {x, states...} and returns
/// {output, new_states...}.
class RNNCell : public Layer {
 public:
  using Layer::Layer;
  /// The size of each state; the first is also the output size unless output_size says otherwise.
  virtual std::vector<std::int64_t> state_size() const = 0;
  virtual std::int64_t output_size() const { return state_size().front(); }
  /// One step: x (batch, features) and the states (batch, size) -> output, new states.
  virtual std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const std::vector<Tensor>& states,
                                                      bool training) = 0;
  /// The whole sequence at once, when the cell has a fused kernel for its configuration:
  /// the state sequences (batch, timesteps, size), one per state, the output being the first.
  /// nullopt means "run step by step". `mask` may be undefined.
  virtual std::optional<std::vector<Tensor>> fused_sequence(const Tensor& sequences,
                                                            const std::vector<Tensor>& initial_states,
                                                            const Tensor& mask, bool training);
  /// The final states alone (batch, size), one per state (the last output being the first),
  /// for an unmasked sequence whose outputs are not returned: a fused kernel then need not
  /// produce the state sequences. nullopt means "use fused_sequence".
  virtual std::optional<std::vector<Tensor>> fused_final_states(const Tensor& sequences,
                                                                const std::vector<Tensor>& initial_states,
                                                                bool training) {
    return std::nullopt;
  }
  /// Bracket one sequence: cells with dropout draw this call's masks here.
  virtual void begin_sequence(const Tensor& sequences, bool training) {}
  virtual void end_sequence() {}
  /// A fresh, unbuilt cell with the same configuration (Bidirectional's backward copy).
  /// Custom cells raise NotImplementedError unless they override it.
  virtual std::shared_ptr<RNNCell> clone() const;

  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
};

/// Shared by the built-in cells: units, activations, initializers, dropout.
class BuiltinCell : public RNNCell {
 public:
  std::int64_t units() const { return units_; }
  const RecurrentOptions& options() const { return options_; }
  const Variable& kernel() const { return kernel_; }
  const Variable& recurrent_kernel() const { return recurrent_kernel_; }
  /// Undefined without use_bias.
  const Variable& bias() const { return bias_; }
  void begin_sequence(const Tensor& sequences, bool training) override;
  void end_sequence() override;

 protected:
  BuiltinCell(std::int64_t units, RecurrentOptions options, const std::string& class_name);
  /// Creates kernel (features, gates * units), recurrent_kernel (units, gates * units) and,
  /// with use_bias, the bias of `bias_shape` (initialized by `bias_init`).
  void create_weights(const Shape& input_shape, std::int64_t gates, const Shape& bias_shape,
                      const initializers::InitializerArg& bias_init);
  void check_step_input(const Shape& input_shape) const;
  /// x with this call's input dropout mask applied (training only).
  Tensor drop_inputs(const Tensor& x) const;
  Tensor drop_state(const Tensor& h) const;
  Config cell_config(bool with_recurrent_activation) const;

  std::int64_t units_;
  RecurrentOptions options_;
  Variable kernel_, recurrent_kernel_, bias_;
  Tensor input_mask_, state_mask_;  // this call's dropout masks (undefined when off)
  random::SeedGenerator seed_generator_;
};

/// h = activation(x @ kernel + h_prev @ recurrent_kernel + bias).
class SimpleRNNCell : public BuiltinCell {
 public:
  explicit SimpleRNNCell(std::int64_t units, RecurrentOptions options = {});
  std::vector<std::int64_t> state_size() const override { return {units_}; }
  void build(const Shape& input_shape) override;
  using BuiltinCell::build;
  std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const std::vector<Tensor>& states,
                                              bool training) override;
  std::optional<std::vector<Tensor>> fused_sequence(const Tensor& sequences, const std::vector<Tensor>& initial_states,
                                                    const Tensor& mask, bool training) override;
  std::shared_ptr<RNNCell> clone() const override;
  Config get_config() const override;
};

/// Gates i, f, c, o; states [h, c].
class LSTMCell : public BuiltinCell {
 public:
  explicit LSTMCell(std::int64_t units, RecurrentOptions options = {});
  std::vector<std::int64_t> state_size() const override { return {units_, units_}; }
  void build(const Shape& input_shape) override;
  using BuiltinCell::build;
  std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const std::vector<Tensor>& states,
                                              bool training) override;
  std::optional<std::vector<Tensor>> fused_sequence(const Tensor& sequences, const std::vector<Tensor>& initial_states,
                                                    const Tensor& mask, bool training) override;
  std::optional<std::vector<Tensor>> fused_final_states(const Tensor& sequences,
                                                        const std::vector<Tensor>& initial_states,
                                                        bool training) override;
  std::shared_ptr<RNNCell> clone() const override;
  Config get_config() const override;

 private:
  // The fused op's inputs, or false when this configuration runs step by step.
  bool fused_inputs(const Tensor& sequences, const std::vector<Tensor>& initial_states, const Tensor& mask,
                    ops::rnn::LstmInputs* out) const;
};

/// Gates z, r, h; h = z * h_prev + (1 - z) * h~.
class GRUCell : public BuiltinCell {
 public:
  explicit GRUCell(std::int64_t units, RecurrentOptions options = {});
  std::vector<std::int64_t> state_size() const override { return {units_}; }
  void build(const Shape& input_shape) override;
  using BuiltinCell::build;
  std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const std::vector<Tensor>& states,
                                              bool training) override;
  std::optional<std::vector<Tensor>> fused_sequence(const Tensor& sequences, const std::vector<Tensor>& initial_states,
                                                    const Tensor& mask, bool training) override;
  std::shared_ptr<RNNCell> clone() const override;
  Config get_config() const override;

 private:
  // (input bias, recurrent bias): the rows of bias (2, 3u) with reset_after; else (bias, zeros).
  std::pair<Tensor, Tensor> split_bias(DType dtype) const;
};

/// Runs a cell over the time axis (keras.layers.RNN). SimpleRNN, LSTM and GRU are RNNs.
class RNN : public Layer {
 public:
  explicit RNN(std::shared_ptr<RNNCell> cell, RecurrentOptions options = {});

  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  Config get_config() const override;

  const std::shared_ptr<RNNCell>& cell() const { return cell_; }
  /// Weight regularizers and constraints belong to the cell's weights (SimpleRNN, LSTM and
  /// GRU's kernel_/recurrent_/bias_ arguments): these forward to the cell.
  void set_weight_regularizer(const std::string& argument, std::optional<regularizers::L1L2> regularizer) override {
    cell_->set_weight_regularizer(argument, regularizer);
  }
  std::optional<regularizers::L1L2> weight_regularizer(const std::string& argument) const override {
    return cell_->weight_regularizer(argument);
  }
  void set_weight_constraint(const std::string& argument, std::optional<constraints::Constraint> constraint) override {
    cell_->set_weight_constraint(argument, constraint);
  }
  std::optional<constraints::Constraint> weight_constraint(const std::string& argument) const override {
    return cell_->weight_constraint(argument);
  }
  const RecurrentOptions& options() const { return options_; }
  bool return_sequences() const { return options_.return_sequences; }
  bool return_state() const { return options_.return_state; }
  bool go_backwards() const { return options_.go_backwards; }
  bool stateful() const { return options_.stateful; }
  /// Stateful layers: zero the carried states (Keras's reset_state).
  void reset_states();
  /// Bidirectional sets it to return_sequences on both of its layers, as Keras does.
  void set_zero_output_for_mask(bool value) { options_.zero_output_for_mask = value; }
  /// A fresh, unbuilt layer of the same class and configuration, with these overrides
  /// (Bidirectional's forward and backward copies).
  virtual std::shared_ptr<RNN> clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const;

 protected:
  RNN(std::shared_ptr<RNNCell> cell, RecurrentOptions options, const std::string& class_name);
  /// The base entries, then the RNN's (return_sequences ... zero_output_for_mask).
  Config rnn_config() const;

 private:
  void check_sequences(const Shape& shape) const;
  std::vector<Tensor> initial_states(const Tensor& sequences, std::vector<Tensor> given);

  std::shared_ptr<RNNCell> cell_;
  RecurrentOptions options_;
  std::vector<Variable> states_;  // stateful only
};

class SimpleRNN : public RNN {
 public:
  explicit SimpleRNN(std::int64_t units, RecurrentOptions options = {});
  Config get_config() const override;
  std::shared_ptr<RNN> clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const override;
  std::int64_t units() const;
};

class LSTM : public RNN {
 public:
  explicit LSTM(std::int64_t units, RecurrentOptions options = {});
  Config get_config() const override;
  std::shared_ptr<RNN> clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const override;
  std::int64_t units() const;
};

class GRU : public RNN {
 public:
  explicit GRU(std::int64_t units, RecurrentOptions options = {});
  Config get_config() const override;
  std::shared_ptr<RNN> clone(const std::string& name, bool go_backwards, bool zero_output_for_mask) const override;
  std::int64_t units() const;
};

/// Runs a recurrent layer forwards and a copy backwards, merging the outputs
/// ("concat" (default), "sum", "ave", "mul", or "" for none: both outputs are returned).
/// The copies are named forward_<name> and backward_<name>; the backward output sequence is
/// flipped back to the input's time order. Initial states: forward's, then backward's.
class Bidirectional : public Layer {
 public:
  explicit Bidirectional(const std::shared_ptr<RNN>& layer, std::string merge_mode = "concat",
                         std::shared_ptr<RNN> backward_layer = nullptr, LayerOptions options = {});
  Bidirectional(const std::shared_ptr<RNN>& layer, LayerOptions options)
      : Bidirectional(layer, "concat", nullptr, std::move(options)) {}

  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  using Layer::compute_output_shape;
  Config get_config() const override;

  const std::shared_ptr<RNN>& forward_layer() const { return forward_; }
  const std::shared_ptr<RNN>& backward_layer() const { return backward_; }
  const std::string& merge_mode() const { return merge_mode_; }

 private:
  std::shared_ptr<RNN> forward_, backward_;
  std::string merge_mode_;
};

/// Applies a layer to every time step: (batch, timesteps, ...) -> (batch, timesteps, ...).
/// The steps are folded into the batch for one call of the wrapped layer, which is the same
/// computation for layers that treat samples independently (a layer that mixes samples, such
/// as BatchNormalization in training, sees batch * timesteps samples at once).
class TimeDistributed : public Layer {
 public:
  explicit TimeDistributed(std::shared_ptr<Layer> layer, LayerOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;
  const std::shared_ptr<Layer>& layer() const { return layer_; }

 private:
  Shape child_input_shape(const Shape& input_shape) const;
  std::shared_ptr<Layer> layer_;
};

/// A layer's nested config as Keras serializes it (module, class_name, config,
/// registered_name, and build_config once built): Bidirectional's and TimeDistributed's
/// "layer", RNN's "cell".
Config serialize_layer(const Layer& layer);

}  // namespace keras::layers
