// The process-wide registry of custom layers and named functions (serialization.h).
#include <cxxabi.h>

#include <cstdlib>
#include <mutex>

#include "keras/saving/serialization.h"
#include "saving/config_utils.h"
#include "saving/layer_factory.h"

namespace keras::saving {

namespace {

struct LayerEntry {
  std::type_index type;
  LayerFactory factory;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, LayerEntry> layers;          // by registered name
  std::map<std::type_index, std::string> type_names;  // C++ class -> registered name
  std::map<std::string, LambdaFunction> functions;
};

Registry& registry() {
  static Registry r;
  return r;
}

// "oracle>MyLayer" -> "MyLayer".
std::string class_part(const std::string& registered) {
  auto pos = registered.rfind('>');
  return pos == std::string::npos ? registered : registered.substr(pos + 1);
}

}  // namespace

std::string detail::unqualified_class_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : type.name();
  std::free(demangled);
  // Drop namespaces, but not the "::" inside template arguments.
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') ++depth;
    else if (name[i] == '>') --depth;
    else if (depth == 0 && name[i] == ':' && i + 1 < name.size() && name[i + 1] == ':') start = i + 2;
  }
  return name.substr(start);
}

Tensor LambdaFunction::operator()(const Tensor& x) const {
  if (unary_) return unary_(x);
  if (list_) return list_({x});
  throw ValueError("The Lambda function is empty.");
}

Tensor LambdaFunction::operator()(const std::vector<Tensor>& xs) const {
  if (list_) return list_(xs);
  if (unary_ && xs.size() == 1) return unary_(xs[0]);
  if (unary_)
    throw ValueError("This Lambda function takes one tensor. Received: " + std::to_string(xs.size()) + " tensors");
  throw ValueError("The Lambda function is empty.");
}

std::shared_ptr<layers::Lambda> LambdaFunction::make_layer(const std::string& function_name, layers::LayerOptions options,
                                                           std::optional<Shape> output_shape) const {
  std::shared_ptr<layers::Lambda> layer;
  if (list_) layer = layers::make<layers::Lambda>(list_, std::move(options), std::move(output_shape));
  else if (unary_) layer = layers::make<layers::Lambda>(unary_, std::move(options), std::move(output_shape));
  else throw ValueError("Cannot make a Lambda layer from an empty function.");
  layer->function_name = function_name;
  return layer;
}

void register_layer(const std::string& registered_name, std::type_index type, LayerFactory factory) {
  if (registered_name.empty() || !factory) throw ValueError("register_layer needs a name and a factory.");
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.layers.insert_or_assign(registered_name, LayerEntry{type, std::move(factory)});
  r.type_names.insert_or_assign(type, registered_name);
}

void register_function(const std::string& name, LambdaFunction fn) {
  if (name.empty() || !fn) throw ValueError("register_function needs a name and a function.");
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.functions.insert_or_assign(name, std::move(fn));
}

void unregister(const std::string& registered_name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.layers.find(registered_name);
  if (it != r.layers.end()) {
    auto t = r.type_names.find(it->second.type);
    if (t != r.type_names.end() && t->second == registered_name) r.type_names.erase(t);
    r.layers.erase(it);
  }
  r.functions.erase(registered_name);
}

std::string registered_name(const layers::Layer& layer) {
  auto& r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.type_names.find(std::type_index(typeid(layer)));
    if (it != r.type_names.end()) return it->second;
  }
  return layer.class_name();
}

namespace detail {

bool is_registered_type(const layers::Layer& layer) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.type_names.count(std::type_index(typeid(layer))) > 0;
}

LayerFactory find_custom_layer(const std::string& registered, const std::string& class_name, const LoadOptions& options) {
  for (const auto& key : {registered, class_name}) {
    if (key.empty()) continue;
    auto it = options.custom_objects.find(key);
    if (it != options.custom_objects.end()) return it->second;
  }
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!registered.empty()) {
    auto it = r.layers.find(registered);
    if (it != r.layers.end()) return it->second.factory;
  }
  // Keras falls back to the class name: any package's registration of this class.
  for (const auto& [name, entry] : r.layers)
    if (class_part(name) == class_name) return entry.factory;
  return {};
}

LambdaFunction find_function(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.functions.find(name);
  return it == r.functions.end() ? LambdaFunction() : it->second;
}

}  // namespace detail

}  // namespace keras::saving
