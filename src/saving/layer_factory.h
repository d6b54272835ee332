#pragma once
// Layers from configs (internal to keras_saving): the built-in classes' from_config, and the
// lookups into the custom-class registry (registry.cpp).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keras/saving/serialization.h"

namespace keras::saving::detail {

using BuiltinFactory = std::function<std::shared_ptr<layers::Layer>(const Config&, const LoadOptions&)>;
/// Adds the recurrent, embedding, activation, regularization and reshaping layers
/// (layer_factory_extra.cpp) to the built-in table.
void add_extra_builtins(std::map<std::string, BuiltinFactory>& table);
/// Adds Attention, AdditiveAttention, EinsumDense and MultiHeadAttention
/// (layer_factory_attention.cpp).
void add_attention_builtins(std::map<std::string, BuiltinFactory>& table);

/// Whether keras.cpp builds `class_name` itself (a Keras built-in layer).
bool is_builtin_layer(const std::string& class_name);
/// Every class name the built-in table deserializes (aliases included), sorted.
std::vector<std::string> builtin_layer_names();
/// The built-in layer `class_name` made from its `config` dict; nullptr when unknown.
std::shared_ptr<layers::Layer> make_builtin_layer(const std::string& class_name, const Config& config,
                                                  const LoadOptions& options);

/// Whether the layer's C++ class was registered (saved with module null and its registered name).
bool is_registered_type(const layers::Layer& layer);
/// The factory for a custom class: LoadOptions::custom_objects first, then the registry; by
/// registered name, then by class name. Empty when there is none.
LayerFactory find_custom_layer(const std::string& registered, const std::string& class_name, const LoadOptions& options);

/// model_from_config without the net that turns stray JSON exceptions into ValueError.
std::shared_ptr<Model> model_from_config_unchecked(const Config& config, const LoadOptions& options);

}  // namespace keras::saving::detail
