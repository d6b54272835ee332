#pragma once
// Reading Keras configs (internal to keras_saving): typed access with Keras-style errors,
// shapes with nulls, dtypes and DTypePolicies, initializers and activations.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keras/core/errors.h"
#include "keras/initializers.h"
#include "keras/layers/activations.h"
#include "keras/layers/layer.h"
#include "keras/saving/serialization.h"

namespace keras::saving::detail {

/// A short, single-line rendering of a config for error messages.
std::string brief(const Config& config, std::size_t max_chars = 300);

/// config[key] as T, or `fallback` when the key is missing or null. TypeError naming the
/// key, the expected type and the value otherwise.
template <class T>
T get_or(const Config& config, const std::string& key, const T& fallback, const std::string& where) {
  if (!config.is_object()) throw TypeError(where + ": expected a config dict. Received: " + brief(config));
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw TypeError(where + ": config key '" + key + "' has the wrong type. Received: " + brief(*it));
  }
}

/// config[key] as T; ValueError when missing.
template <class T>
T get_required(const Config& config, const std::string& key, const std::string& where) {
  if (!config.is_object() || !config.contains(key) || config.at(key).is_null())
    throw ValueError(where + ": the config has no '" + key + "'. Received: " + brief(config));
  return get_or<T>(config, key, T{}, where);
}

/// [null, 75] -> (-1, 75).
Shape shape_from_json(const Config& value, const std::string& what);
Config shape_to_json(const Shape& shape);
/// An int or a list of ints (Keras's tuples).
std::vector<std::int64_t> ints_from_json(const Config& value, const std::string& what);

/// "float32", or a DTypePolicy dict {"class_name": "DTypePolicy", "config": {"name": ...}}.
DType dtype_from_json(const Config& value, const std::string& where);

/// A serialized initializer (Keras 3 dict, Keras 2 {class_name, config}, or a name).
initializers::InitializerArg initializer_from_json(const Config& value, const std::string& where);
/// An activation: a name, or a serialized registered function.
activations::ActivationArg activation_from_json(const Config& value, const std::string& where);

/// Sets the layer's activity_regularizer and, for each argument in `weights` ("kernel",
/// "bias", ...), its `<argument>_regularizer` and `<argument>_constraint` from the config
/// (Keras's serialized forms; null or absent means none). ValueError naming the layer and
/// the key on an unknown or malformed one. Returns the layer.
std::shared_ptr<layers::Layer> with_weight_options(std::shared_ptr<layers::Layer> layer, const Config& config,
                                                   const std::string& where, const std::vector<std::string>& weights);

/// Options keras.cpp does not implement: a non-null one would change behaviour silently,
/// so it is refused (NotImplementedError naming the layer and the key).
void refuse_unsupported(const Config& config, const std::vector<std::string>& keys, const std::string& where);

/// The registered function called `name` (register_function), or empty.
LambdaFunction find_function(const std::string& name);

}  // namespace keras::saving::detail
