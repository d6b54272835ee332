#pragma once
/// keras::layers::Layer — the base of every layer and model, with Keras 3's semantics.
///
/// A subclass creates its weights in `build(input_shape)` with `add_weight` and computes in
/// `call`, written once with keras::ops: the same code runs eagerly on concrete tensors,
/// symbolically on Keras tensors (the functional API) and inside traced plans.
///
///   class Scale : public keras::layers::Layer {
///    public:
///     using Layer::Layer;
///     void build(const keras::Shape& s) override { w_ = add_weight("w", {s[-1]}, "ones"); }
///     keras::Tensor call(const keras::Tensor& x) override { return x * w_; }
///    private:
///     keras::Variable w_;
///   };
///   auto scale = keras::layers::make<Scale>();
///   keras::Tensor y = (*scale)(keras::Input({3}));   // symbolic: shape (None, 3)
///
/// Calling a layer (`operator()`):
///   - checks the inputs against `input_spec` (ValueError naming the layer, the expected and
///     the received shape), then builds the layer on its first call (`build` runs with the
///     input shape; a build that throws leaves the layer unbuilt and without new weights);
///   - on Keras tensors (from keras::Input or another layer's symbolic call) it records a
///     node of the functional graph and returns new Keras tensors whose shapes come from
///     `compute_output_shape` (by default: tracing `call` on placeholders);
///   - otherwise it runs `call` directly (eagerly, or recording ops while tracing).
/// `training` is a call-time mode (Dropout, BatchNormalization); when not given it is
/// inherited from the enclosing layer call, else false. It is unrelated to `trainable`.
///
/// Layers that are called on Keras tensors must be owned by a std::shared_ptr (use
/// keras::layers::make<T>(...) or std::make_shared): the functional graph keeps them alive.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"
#include "keras/initializers.h"
#include "keras/layers/constraints.h"
#include "keras/layers/regularizers.h"
#include "keras/ops/op_def.h"

namespace keras {

/// What calling a layer returns: one tensor or several. Converts to a Tensor when it holds
/// exactly one (ValueError otherwise), so `Tensor y = add({a, b});` reads naturally.
class Outputs : public std::vector<Tensor> {
 public:
  using std::vector<Tensor>::vector;
  Outputs() = default;
  Outputs(std::vector<Tensor> tensors) : std::vector<Tensor>(std::move(tensors)) {}  // NOLINT
  operator Tensor() const;  // NOLINT(google-explicit-constructor)
};

/// Resets the automatic-name counters (dense, dense_1, ... start again at dense), as
/// keras.utils.clear_session does.
void clear_session();

namespace layers {

using Config = nlohmann::ordered_json;

struct LayerOptions {
  std::string name{};  // empty: auto-name from the class ("dense", "dense_1", ...)
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Constraints a layer places on one input (keras.layers.InputSpec). Axes may be negative.
struct InputSpec {
  std::optional<int> ndim{}, min_ndim{}, max_ndim{};
  std::map<int, std::int64_t> axes{};  // axis -> required size
  std::optional<Shape> shape{};        // -1 entries match anything
  std::optional<DType> dtype{};
  bool allow_last_axis_squeeze = false;
};

class Layer;

/// Where a Keras tensor comes from: output `tensor_index` of node `node_index` of `layer`.
struct KerasHistory {
  std::shared_ptr<Layer> layer;
  int node_index = 0;
  int tensor_index = 0;
};

/// The history of a Keras tensor, or nullopt for any other tensor.
std::optional<KerasHistory> keras_history(const Tensor& tensor);
bool is_keras_tensor(const Tensor& tensor);

/// One call of a layer on Keras tensors: a node of the functional graph. It keeps its input
/// tensors (and through them the upstream layers) alive; a layer applied to its own output
/// (d(d(x))) therefore keeps itself alive until the process ends.
struct LayerNode {
  Layer* layer = nullptr;                 // the layer that owns this node
  int index = 0;                          // position in layer->inbound_nodes()
  std::vector<Tensor> input_tensors;      // Keras tensors (empty for an InputLayer's node)
  std::vector<TensorSpec> output_specs;   // shapes/dtypes of the outputs
  bool is_input = false;                  // the node an InputLayer creates
  std::vector<KerasHistory> inbound_history() const;
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  explicit Layer(LayerOptions options = {});
  virtual ~Layer();
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // ---- calling ----
  /// One input, one output. A layer with several outputs raises ValueError here: call it
  /// with a vector instead.
  Tensor operator()(const Tensor& x, std::optional<bool> training = std::nullopt);
  Outputs operator()(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);

  // ---- to override ----
  /// Creates the weights; runs once, on the first call, with the input's shape.
  virtual void build(const Shape& input_shape);
  /// Several inputs: the default forwards a single shape to build(Shape).
  virtual void build(const std::vector<Shape>& input_shapes);
  /// The computation on one input. Override this, or the `training` variant.
  virtual Tensor call(const Tensor& x);
  virtual Tensor call(const Tensor& x, bool training);
  /// Several inputs and/or outputs (merge layers, multi-output layers). The default forwards
  /// a single input to call(x, training).
  virtual Outputs call(const std::vector<Tensor>& inputs, bool training);
  /// By default inferred by tracing `call` on placeholders of these shapes.
  virtual Shape compute_output_shape(const Shape& input_shape);
  virtual std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes);
  /// The layer's config as Keras serializes it (name, trainable, dtype, plus the layer's
  /// own arguments).
  virtual Config get_config() const;
  /// Keras's class name: by default the C++ class name without namespaces ("MyLayer").
  virtual std::string class_name() const;

  // ---- properties ----
  const std::string& name() const;
  bool built() const { return built_; }
  DType dtype() const { return dtype_; }
  bool trainable() const { return trainable_; }
  /// Freezes (false) or unfreezes the layer, its weights and its sublayers, as Keras's
  /// `layer.trainable = value`: weights created non-trainable stay non-trainable.
  virtual void set_trainable(bool trainable);
  const std::vector<InputSpec>& input_spec() const { return input_spec_; }
  /// The input shapes the layer was built with (Keras's build config), if built by a call.
  const std::vector<Shape>& build_input_shapes() const { return build_shapes_; }

  // ---- weights ----
  /// Own weights (those created trainable first, then the others, each in creation order),
  /// then the sublayers' weights, without duplicates — Keras's `layer.weights`.
  virtual std::vector<Variable> weights() const;
  /// Empty if the layer is frozen, else the weights whose own flag is trainable.
  std::vector<Variable> trainable_weights() const;
  std::vector<Variable> non_trainable_weights() const;
  /// Copies of the weights' values, in `weights()` order.
  std::vector<Tensor> get_weights() const;
  /// Assigns all weights at once. Raises ValueError (and changes nothing) on a wrong count
  /// or a wrong shape.
  void set_weights(const std::vector<Tensor>& values);
  /// Total number of scalars in weights(). ValueError if the layer is not built.
  std::int64_t count_params() const;

  // ---- functional graph ----
  const std::vector<std::shared_ptr<LayerNode>>& inbound_nodes() const { return inbound_nodes_; }
  /// Fresh handles on the Keras tensors that node `node_index` produced (a Keras tensor is
  /// identified by its history, not by the handle).
  Outputs node_outputs(int node_index);
  /// Keras's `layer.output`: the single output of node 0. ValueError if the layer was never
  /// called on Keras tensors or node 0 has several outputs.
  virtual Tensor output();
  /// The layers this layer tracks (added with `track`), e.g. the layers of a model.
  virtual std::vector<std::shared_ptr<Layer>> sublayers() const { return sublayers_; }

  /// Builds the layer now (Keras's `layer.build(shape)` followed by marking it built).
  void build_once(const std::vector<Shape>& input_shapes);

  // ---- losses (Keras's layer.losses) ----
  /// The losses added during the last outermost call (by `add_loss` and the activity
  /// regularizer), own first, then the sublayers'. An outermost call (one not made from
  /// inside another layer's call) clears them first, as Keras does; a compiled training
  /// step adds their sum to the loss.
  std::vector<Tensor> losses() const;
  /// Adds a scalar loss (a penalty computed in `call`).
  void add_loss(const Tensor& loss);
  /// Keras's `layer.activity_regularizer`: after each call, penalty(output) / batch_size is
  /// added to the layer's losses. nullopt removes it.
  void set_activity_regularizer(std::optional<regularizers::L1L2> regularizer) {
    activity_regularizer_ = regularizer;
  }
  const std::optional<regularizers::L1L2>& activity_regularizer() const { return activity_regularizer_; }
  /// Keras's `<argument>_regularizer` / `<argument>_constraint` constructor arguments, by
  /// argument ("kernel", "bias", "recurrent", "depthwise", "pointwise", "embeddings"): they
  /// attach to the weight(s) the layer creates for that argument, now or when it is built.
  /// A weight regularizer adds regularizer(weight) to losses() (trainable weights only);
  /// an optimizer assigns constraint(weight) after updating the weight. nullopt removes it.
  /// Recurrent layers forward these to their cell.
  virtual void set_weight_regularizer(const std::string& argument, std::optional<regularizers::L1L2> regularizer);
  virtual std::optional<regularizers::L1L2> weight_regularizer(const std::string& argument) const;
  virtual void set_weight_constraint(const std::string& argument, std::optional<constraints::Constraint> constraint);
  virtual std::optional<constraints::Constraint> weight_constraint(const std::string& argument) const;

  // ---- masks ----
  /// Keras's `supports_masking`: after a call whose inputs carry Keras masks
  /// (keras/layers/core_extra.h), outputs that have none receive compute_mask(input(s), mask(s)).
  /// A layer that does not support masking drops the mask, as in Keras.
  bool supports_masking() const { return supports_masking_; }
  void set_supports_masking(bool value) { supports_masking_ = value; }
  /// The output mask for an input carrying `previous_mask`; by default that same mask.
  virtual Tensor compute_mask(const Tensor& input, const Tensor& previous_mask);
  /// Several inputs (merge layers): `previous_masks` holds each input's mask (undefined where
  /// it has none, at least one defined). By default no output mask.
  virtual Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& previous_masks);

 protected:
  /// Built-in layers pass their Keras class name so that their auto-name is taken at
  /// construction, in creation order, exactly as Keras does.
  Layer(LayerOptions options, const std::string& class_name);

  /// Creates and tracks a weight. `initializer` empty: glorot_uniform for floats, zeros
  /// otherwise. `dtype` empty: the layer's dtype.
  Variable add_weight(const std::string& name, const Shape& shape,
                      const initializers::InitializerArg& initializer = {}, bool trainable = true,
                      std::optional<DType> dtype = std::nullopt);
  /// Sets the name (models take theirs once their graph is validated).
  /// Ties a weight to a regularizer/constraint argument other than its default one (the
  /// weight's name without a "_kernel" suffix), e.g. DepthwiseConv's "kernel" to "depthwise".
  void bind_weight_argument(const Variable& weight, const std::string& argument);
  void set_name(const std::string& name) { name_ = name; }
  void set_input_spec(std::vector<InputSpec> specs) { input_spec_ = std::move(specs); }
  /// Tracks a sublayer: its weights join this layer's, and `set_trainable` reaches it.
  template <class L>
  std::shared_ptr<L> track(std::shared_ptr<L> layer) {
    static_assert(std::is_base_of_v<Layer, L>, "track() expects a layer");
    sublayers_.push_back(layer);
    return layer;
  }
  void untrack_all() { sublayers_.clear(); }
  void set_built(bool built) { built_ = built; }
  /// The config entries every layer has: name, trainable, dtype (a DTypePolicy).
  Config base_config() const;
  /// Keras's input compatibility check; ValueError with Keras's message.
  void assert_input_compatibility(const std::vector<TensorSpec>& inputs) const;
  /// Runs `call` on placeholders shaped like `inputs` and returns the outputs' specs.
  std::vector<TensorSpec> trace_output_specs(const std::vector<TensorSpec>& inputs);
  /// Output specs for a symbolic call (compute_output_shape, dtypes from tracing).
  virtual std::vector<TensorSpec> compute_output_spec(const std::vector<TensorSpec>& inputs);
  /// Records a node for a call on Keras tensors and returns its Keras tensor outputs.
  Outputs record_node(const std::vector<Tensor>& inputs, const std::vector<TensorSpec>& output_specs,
                      bool is_input = false);
  /// Hook for the InputLayer: may the layer be called at all?
  virtual bool callable() const { return true; }
  /// Merge layers must be called on a list: calling them on one tensor is an error.
  virtual bool expects_list_input() const { return false; }

 private:
  std::shared_ptr<Layer> owning_pointer();
  Outputs dispatch(const std::vector<Tensor>& inputs, std::optional<bool> training);

  mutable std::string name_;
  std::string class_name_hint_;
  bool built_ = false;
  bool trainable_ = true;
  DType dtype_ = DType::float32;
  std::vector<Variable> trainable_vars_;      // created with trainable=true
  std::vector<Variable> non_trainable_vars_;  // created with trainable=false
  std::vector<std::shared_ptr<Layer>> sublayers_;
  std::vector<std::shared_ptr<LayerNode>> inbound_nodes_;
  std::vector<InputSpec> input_spec_;
  std::vector<Shape> build_shapes_;
  // compute_output_shape's default (tracing) leaves the full specs here, so that a symbolic
  // call can use dtypes and every output; an override leaves it empty.
  std::optional<std::vector<TensorSpec>> traced_specs_;
  std::vector<DType> pending_dtypes_;
  std::vector<Tensor> losses_;
  std::optional<regularizers::L1L2> activity_regularizer_;
  std::map<std::string, regularizers::L1L2> weight_regularizers_;
  std::map<std::string, constraints::Constraint> weight_constraints_;
  std::vector<std::pair<std::string, Variable>> bound_weights_;  // (argument, weight)
  bool supports_masking_ = false;

  void clear_losses();
  void collect_losses(std::vector<Tensor>& out, std::unordered_set<const Layer*>& seen) const;
};

/// Creates a layer owned by a shared_ptr and fixes its auto-name now, in creation order.
template <class L, class... Args>
std::shared_ptr<L> make(Args&&... args) {
  auto layer = std::make_shared<L>(std::forward<Args>(args)...);
  layer->name();
  return layer;
}

/// Keras's auto-name for a class prefix: "dense", then "dense_1", "dense_2", ...
std::string unique_name(const std::string& prefix);
/// "MyLayer" -> "my_layer", "Conv2D" -> "conv2d" (keras.src.utils.naming.to_snake_case).
std::string to_snake_case(const std::string& name);

/// The `training` value in force for layer calls on this thread (false outside any call).
bool in_training_call();

/// While alive, layer calls on Keras tensors record functional-graph nodes even inside
/// another layer's call (a model that builds its graph lazily, e.g. Sequential, uses it).
class GraphBuildScope {
 public:
  GraphBuildScope();
  ~GraphBuildScope();
  GraphBuildScope(const GraphBuildScope&) = delete;
  GraphBuildScope& operator=(const GraphBuildScope&) = delete;

 private:
  int saved_depth_;
  bool saved_training_;
};

}  // namespace layers
}  // namespace keras
