#pragma once
/// keras::Model (a functional graph of layer calls) and keras::Sequential (a stack).
///
///   auto inp = keras::Input({75});
///   auto h = (*keras::layers::make<keras::layers::Dense>(75, "tanh"))(inp);
///   keras::Model model(inp, h, "my_model");
///   keras::Tensor y = model.predict(x);   // batches of 32 through a compiled plan
///
/// A Model is a Layer: call it on Keras tensors to nest it in another model (create it with
/// std::make_shared / keras::layers::make for that). Construction checks the graph and raises
/// ValueError, changing nothing, when an output is not a Keras tensor, an output depends on
/// an Input that is not among the model's inputs ("Graph disconnected"), or two layers share
/// a name.
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/graph/function.h"
#include "keras/layers/core.h"
#include "keras/layers/layer.h"
#include "keras/models/summary.h"

namespace keras {

// compile/fit/evaluate/... are declared here and defined in keras_training
// (src/training/model_training.cpp); their argument types live in keras/training/trainer.h,
// which callers include (keras/keras.h does).
namespace training {
class Arrays;
class Trainer;
struct CompileOptions;
struct FitOptions;
struct EvaluateOptions;
struct PredictOptions;
struct BatchOptions;
}  // namespace training
namespace callbacks {
class History;
class Logs;
}  // namespace callbacks

class Model : public layers::Layer {
 public:
  Model(const Tensor& input, const Tensor& output, const std::string& name = "");
  Model(const std::vector<Tensor>& inputs, const Tensor& output, const std::string& name = "");
  Model(const Tensor& input, const std::vector<Tensor>& outputs, const std::string& name = "");
  Model(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const std::string& name = "");
  ~Model() override;

  std::string class_name() const override { return "Functional"; }
  /// Runs the graph: every layer call in order, on these inputs, in this training mode.
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;

  /// Keras's `model.layers` (a Functional model lists its InputLayers).
  virtual std::vector<std::shared_ptr<layers::Layer>> layers() const;
  /// ValueError naming the existing layers when there is no layer called `name`.
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;
  std::shared_ptr<layers::Layer> get_layer(int index) const;
  /// The model's Keras tensors (the graph's ends).
  const std::vector<Tensor>& inputs() const { return inputs_; }
  const std::vector<Tensor>& outputs() const { return outputs_; }

  /// Inference in batches of `batch_size` (Keras's default 32) through a compiled plan per
  /// batch shape; results concatenated along the batch axis, one entry per model output.
  Outputs predict(const Tensor& x, int batch_size = 32);
  Outputs predict(const std::vector<Tensor>& xs, int batch_size = 32);

  // ---- training (keras/training/trainer.h documents the options and the semantics) ----
  /// Keras's compile: optimizer ("rmsprop" by default), loss(es), loss_weights, metrics.
  void compile(const training::CompileOptions& options);
  /// Whether compile() was called.
  bool compiled() const;
  /// Trains for `epochs` and returns the History (history["loss"], history["val_loss"], ...).
  callbacks::History fit(const training::Arrays& x, const training::Arrays& y, const training::FitOptions& options);
  callbacks::History fit(const training::Arrays& x, const training::Arrays& y);
  /// The loss and metrics on the data (Keras's return_dict=True form).
  callbacks::Logs evaluate(const training::Arrays& x, const training::Arrays& y,
                           const training::EvaluateOptions& options);
  callbacks::Logs evaluate(const training::Arrays& x, const training::Arrays& y);
  /// predict with a progress bar and callbacks (verbose 1 by default, as in Keras).
  Outputs predict(const training::Arrays& x, const training::PredictOptions& options);
  /// One optimizer step on one batch; returns that batch's loss and metrics.
  callbacks::Logs train_on_batch(const training::Arrays& x, const training::Arrays& y,
                                 const training::BatchOptions& options);
  callbacks::Logs train_on_batch(const training::Arrays& x, const training::Arrays& y);
  callbacks::Logs test_on_batch(const training::Arrays& x, const training::Arrays& y,
                                const training::BatchOptions& options);
  callbacks::Logs test_on_batch(const training::Arrays& x, const training::Arrays& y);
  Outputs predict_on_batch(const training::Arrays& x);
  Outputs predict_on_batch(const Tensor& x);  // one input, without a list to build
  /// The training state (optimizer, metrics, callbacks' view of the model); created by
  /// compile() or the first predict with options, nullptr before.
  training::Trainer* trainer() const { return trainer_.get(); }

  /// The rows and totals summary() prints.
  models::SummaryData summary_data() const;
  void summary(std::ostream& os = std::cout, models::SummaryOptions options = {}) const;
  std::string summary_string(models::SummaryOptions options = {}) const;

  // ---- the graph, for summary and saving ----
  /// Keras's `_operations`: every layer of the graph, InputLayers included, ordered by depth
  /// from the inputs, ties in first-visit order from the outputs.
  const std::vector<std::shared_ptr<layers::Layer>>& operations() const { return operations_; }
  /// Keras's `_nodes_by_depth` (depth 0 = the output nodes).
  const std::map<int, std::vector<const layers::LayerNode*>>& nodes_by_depth() const { return nodes_by_depth_; }
  /// Whether `node` belongs to this model's graph (a shared layer has nodes elsewhere too).
  bool contains_node(const layers::LayerNode* node) const;

  /// The number and bytes of optimizer variables to report in summary() once an optimizer is
  /// built (set by the training code; empty before).
  std::optional<std::pair<std::int64_t, std::int64_t>> optimizer_summary;

 protected:
  /// For subclasses that set up their graph later (Sequential).
  explicit Model(layers::LayerOptions options);
  /// Checks and installs the graph from inputs to outputs; nothing changes on error.
  void init_graph(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs);
  void clear_graph();
  bool has_graph() const { return !steps_.empty() || !inputs_.empty(); }
  void check_predict_inputs(std::vector<Tensor>& xs) const;

 private:
  struct Step {
    layers::Layer* layer;
    const layers::LayerNode* node;
    std::vector<std::pair<const layers::LayerNode*, int>> args;
  };
  void init(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const std::string& name);

  std::vector<Tensor> inputs_, outputs_;
  std::vector<std::pair<const layers::LayerNode*, int>> input_keys_, output_keys_;
  std::vector<Step> steps_;  // non-input nodes, deepest first
  std::vector<std::shared_ptr<layers::Layer>> operations_;
  std::map<int, std::vector<const layers::LayerNode*>> nodes_by_depth_;
  std::unique_ptr<Function> predict_function_;
  std::shared_ptr<training::Trainer> trainer_;  // shared_ptr: Trainer is incomplete here
};

/// What a Sequential is built from: a layer, or a keras::Input tensor (its InputLayer).
struct SequentialItem {
  template <class L, std::enable_if_t<std::is_base_of_v<layers::Layer, L>, int> = 0>
  SequentialItem(std::shared_ptr<L> l) : layer(std::move(l)) {}  // NOLINT(google-explicit-constructor)
  SequentialItem(const Tensor& input);                            // NOLINT(google-explicit-constructor)
  std::shared_ptr<layers::Layer> layer;
};

/// A linear stack of layers. Built as soon as its input shape is known (a keras::Input or
/// InputLayer first), else on the first call or build(). summary() omits the InputLayer.
class Sequential : public Model {
 public:
  explicit Sequential(std::vector<SequentialItem> layers = {}, const std::string& name = "");
  explicit Sequential(const std::string& name) : Sequential(std::vector<SequentialItem>{}, name) {}

  std::string class_name() const override { return "Sequential"; }
  /// Appends a layer and rebuilds if the input shape is known. ValueError (the model
  /// unchanged) on a duplicate name, a second Input, or a layer incompatible with the stack.
  void add(SequentialItem item);
  /// Removes and returns the last layer. TypeError when there is none.
  std::shared_ptr<layers::Layer> pop();

  void build(const Shape& input_shape) override;
  using Model::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Model::call;
  /// Without the auto-created InputLayer, as Keras's `Sequential.layers`.
  std::vector<std::shared_ptr<layers::Layer>> layers() const override;
  std::vector<std::shared_ptr<layers::Layer>> sublayers() const override { return layers_; }

 private:
  void add(SequentialItem item, bool rebuild);
  void maybe_rebuild();
  bool starts_with_input() const;
  std::vector<std::shared_ptr<layers::Layer>> layers_;  // InputLayer first when there is one
};

namespace models {
using keras::Model;
using keras::Sequential;
}  // namespace models

}  // namespace keras
