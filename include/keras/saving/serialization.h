#pragma once
/// keras::saving — model configs as Keras writes them, and the registry that turns them
/// back into objects.
///
///   std::string json = keras::saving::to_json(model);             // model.to_json()
///   auto copy = keras::saving::model_from_json(json);              // same graph, fresh weights
///
/// Configs follow Keras 3's schema (`module`, `class_name`, `config`, `registered_name`,
/// `build_config`; functional `inbound_nodes` with `__keras_tensor__` arguments). Keras 2's
/// schema is read too (list-style inbound nodes, `batch_input_shape`, `Model`/`Functional`
/// class names, no `module`).
///
/// Custom layers are rebuilt through the registry, keyed by Keras's registered name
/// "package>ClassName" (what Python's `@keras.saving.register_keras_serializable(package)`
/// writes), falling back to the bare class name:
///
///   keras::saving::register_layer<MyLayer>("oracle", [](const keras::saving::Config& c) {
///     return keras::layers::make<MyLayer>(c.at("w_init"), c.at("trainable_w").get<bool>(),
///                                         keras::saving::layer_options(c));
///   });
///
/// Lambda layers. A C++ Lambda is saved with the name in `Lambda::function_name`, and loads
/// only where a function of that name is registered (register_function) or supplied in
/// LoadOptions. A Python Lambda's bytecode is never executed: loading it fails with a
/// ValueError unless LoadOptions::lambda_functions holds a C++ replacement for that layer's
/// name.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/layers/core.h"
#include "keras/models/model.h"

namespace keras::saving {

using Config = nlohmann::ordered_json;

/// Makes a layer from the `config` dict its get_config() wrote.
using LayerFactory = std::function<std::shared_ptr<layers::Layer>(const Config& config)>;

/// What a Lambda layer computes, for the registry and load options: one tensor to one
/// tensor, or a list of tensors to one tensor.
class LambdaFunction {
 public:
  LambdaFunction() = default;
  LambdaFunction(std::function<Tensor(const Tensor&)> fn) : unary_(std::move(fn)) {}  // NOLINT
  LambdaFunction(std::function<Tensor(const std::vector<Tensor>&)> fn) : list_(std::move(fn)) {}  // NOLINT
  /// Any callable taking `const Tensor&` (lambdas convert through this).
  template <class F, std::enable_if_t<std::is_invocable_r_v<Tensor, F, const Tensor&>, int> = 0>
  LambdaFunction(F fn) : unary_(std::move(fn)) {}  // NOLINT(google-explicit-constructor)
  template <class F, std::enable_if_t<!std::is_invocable_v<F, const Tensor&> &&
                                          std::is_invocable_r_v<Tensor, F, const std::vector<Tensor>&>, int> = 0>
  LambdaFunction(F fn) : list_(std::move(fn)) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const { return unary_ || list_; }
  /// Applies the function (a list function receives {x}).
  Tensor operator()(const Tensor& x) const;
  /// Applies the function (a unary function needs exactly one input).
  Tensor operator()(const std::vector<Tensor>& xs) const;
  /// A Lambda layer computing this function, saved under `function_name`.
  std::shared_ptr<layers::Lambda> make_layer(const std::string& function_name, layers::LayerOptions options,
                                             std::optional<Shape> output_shape = std::nullopt) const;

 private:
  std::function<Tensor(const Tensor&)> unary_;
  std::function<Tensor(const std::vector<Tensor>&)> list_;
};

// ---- the registry (process-wide, thread-safe) ----------------------------------------------

namespace detail {
/// "MyLayer" for `ns::MyLayer` (the C++ class name without namespaces).
std::string unqualified_class_name(const std::type_info& type);
}  // namespace detail

/// Registers a layer class under `registered_name` ("package>ClassName"). `type` is the C++
/// class, so that saving writes this registered name for its instances. Re-registering a
/// name replaces the earlier entry.
void register_layer(const std::string& registered_name, std::type_index type, LayerFactory factory);
/// Keras's `register_keras_serializable(package)`: registered as "package>" + L's class name.
template <class L>
void register_layer(const std::string& package, LayerFactory factory, const std::string& class_name = "") {
  std::string name = class_name.empty() ? detail::unqualified_class_name(typeid(L)) : class_name;
  register_layer(package + ">" + name, std::type_index(typeid(L)), std::move(factory));
}
/// Registers a function by name: for Lambda layers saved by name, and custom activations.
void register_function(const std::string& name, LambdaFunction fn);
/// Removes registrations (for tests).
void unregister(const std::string& registered_name);

/// The name a layer is saved under: its registered name if its class was registered, else
/// its class name.
std::string registered_name(const layers::Layer& layer);

// ---- configs ---------------------------------------------------------------------------------

struct LoadOptions {
  /// Extra classes for this load only, by registered name or class name (Keras's
  /// `custom_objects`).
  std::map<std::string, LayerFactory> custom_objects;
  /// C++ functions for Lambda layers, by the Lambda *layer's* name. Required for Lambdas that
  /// Python saved as bytecode; also overrides a function saved by name.
  std::map<std::string, LambdaFunction> lambda_functions;
  /// Restore the training configuration (optimizer, loss) when the file has one.
  bool compile = true;
};

/// The options every layer has, read from a config: name, trainable, dtype (a DTypePolicy
/// dict or a dtype string). For custom factories.
layers::LayerOptions layer_options(const Config& config);

/// Keras's serialize_keras_object for a layer: {module, class_name, config, registered_name,
/// build_config}. Raises ValueError for a C++ Lambda without a function name.
Config serialize_layer(const layers::Layer& layer);
/// The inverse; `config` is such a dict (Keras 2's {class_name, config} too). Unknown
/// classes raise TypeError naming the class and how to register it.
std::shared_ptr<layers::Layer> deserialize_layer(const Config& config, const LoadOptions& options = {});

/// The whole model: {module, class_name, config, registered_name, build_config} as in
/// `.keras` config.json (without compile_config).
Config model_to_config(const Model& model);
/// Keras's `model.to_json()`.
std::string to_json(const Model& model);
/// Rebuilds a Functional or Sequential model (weights freshly initialized).
std::shared_ptr<Model> model_from_config(const Config& config, const LoadOptions& options = {});
/// Keras's `keras.models.model_from_json`.
std::shared_ptr<Model> model_from_json(const std::string& json, const LoadOptions& options = {});

}  // namespace keras::saving
