// Sequential (keras/src/models/sequential.py): a stack of layers run through a functional
// graph once the input shape is known.
#include "keras/models/model.h"

namespace keras {
namespace {

std::shared_ptr<layers::InputLayer> as_input(const std::shared_ptr<layers::Layer>& layer) {
  return std::dynamic_pointer_cast<layers::InputLayer>(layer);
}

}  // namespace

Sequential::Sequential(std::vector<SequentialItem> items, const std::string& name) : Model(layers::LayerOptions{}) {
  if (!name.empty()) set_name(name);
  this->name();  // Keras names the model at construction, before its layers are added
  // As Keras: add everything, then build once (each build takes a "functional" auto-name).
  for (auto& item : items) add(std::move(item), /*rebuild=*/false);
  if (!items.empty()) maybe_rebuild();
}

bool Sequential::starts_with_input() const { return !layers_.empty() && as_input(layers_.front()) != nullptr; }

void Sequential::add(SequentialItem item) { add(std::move(item), /*rebuild=*/true); }

void Sequential::add(SequentialItem item, bool rebuild) {
  std::shared_ptr<layers::Layer> layer = std::move(item.layer);
  if (!layer) throw ValueError("Only instances of keras::layers::Layer can be added to a Sequential model. Received: null");
  if (layer.get() == this) throw ValueError("A Sequential model cannot be added to itself.");
  for (const auto& existing : layers_)
    if (existing->name() == layer->name())
      throw ValueError("All layers added to a Sequential model should have unique names. Name '" + layer->name() +
                       "' is already the name of a layer in this model. Update the `name` argument to pass a "
                       "unique name.");
  const bool is_input = as_input(layer) != nullptr;
  if (is_input && starts_with_input())
    throw ValueError("Sequential model '" + name() + "' has already been configured to use input shape " +
                     as_input(layers_.front())->batch_shape().to_string() + ". You cannot add a different Input layer "
                     "to it.");
  if (is_input && !layers_.empty())
    throw ValueError("An InputLayer can only be the first layer of Sequential model '" + name() +
                     "'. Received: input layer '" + layer->name() + "' after " + std::to_string(layers_.size()) +
                     " layer(s)");
  layers_.push_back(layer);
  if (!rebuild) return;
  try {
    maybe_rebuild();
  } catch (...) {
    // The layer does not fit the stack: leave the model as it was.
    layers_.pop_back();
    maybe_rebuild();
    throw;
  }
}

std::shared_ptr<layers::Layer> Sequential::pop() {
  if (layers_.empty() || (layers_.size() == 1 && starts_with_input()))
    throw TypeError("There are no layers in the model.");
  auto layer = layers_.back();
  layers_.pop_back();
  maybe_rebuild();
  return layer;
}

void Sequential::maybe_rebuild() {
  set_built(false);
  clear_graph();
  if (starts_with_input() && layers_.size() > 1) build_once({as_input(layers_.front())->batch_shape()});
}

void Sequential::build(const Shape& input_shape) {
  if (layers_.empty())
    throw ValueError("Sequential model " + name() + " cannot be built because it has no layers. Call "
                     "`model.add(layer)`.");
  bool prepended = false;
  if (starts_with_input()) {
    const Shape& expected = as_input(layers_.front())->batch_shape();
    bool compatible = expected.rank() == input_shape.rank();
    for (int i = 0; compatible && i < expected.rank(); ++i)
      compatible = expected.dims()[i] < 0 || input_shape.dims()[i] < 0 || expected.dims()[i] == input_shape.dims()[i];
    if (!compatible)
      throw ValueError("Sequential model '" + name() + "' has already been configured to use input shape " +
                       expected.to_string() + ". You cannot build it with input_shape " + input_shape.to_string());
  } else {
    layers_.insert(layers_.begin(), layers::InputLayer::from_batch_shape(input_shape, dtype()));
    prepended = true;
  }
  try {
    layers::GraphBuildScope graph_scope;
    Tensor x = as_input(layers_.front())->output();
    const Tensor input = x;
    for (std::size_t i = 1; i < layers_.size(); ++i) x = (*layers_[i])(x);
    // Keras builds an inner Functional here, which takes a "functional" auto-name.
    layers::unique_name("functional");
    init_graph({input}, {x});
  } catch (...) {
    if (prepended) layers_.erase(layers_.begin());
    clear_graph();
    throw;
  }
}

Outputs Sequential::call(const std::vector<Tensor>& inputs, bool training) {
  if (has_graph()) return Model::call(inputs, training);
  // Not buildable symbolically: run the stack directly.
  if (inputs.size() != 1)
    throw ValueError("Sequential model \"" + name() + "\" expects 1 input, but it received " +
                     std::to_string(inputs.size()) + " input tensors.");
  Tensor x = inputs.front();
  for (const auto& layer : layers_)
    if (!as_input(layer)) x = (*layer)(x, training);
  return Outputs{x};
}

std::vector<std::shared_ptr<layers::Layer>> Sequential::layers() const {
  if (starts_with_input()) return {layers_.begin() + 1, layers_.end()};
  return layers_;
}

}  // namespace keras
