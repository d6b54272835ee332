// Model configs both ways (serialization.h): Keras 3's Functional and Sequential schema,
// and Keras 2's (list-style inbound nodes, batch_input_shape, "Model" class names).
#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "keras/layers/attention.h"
#include "keras/layers/merge.h"
#include "saving/config_utils.h"
#include "saving/layer_factory.h"

namespace keras::saving {

namespace {

using detail::brief;
using detail::get_or;
using detail::shape_to_json;

bool is_functional(const layers::Layer& layer) {
  return dynamic_cast<const Model*>(&layer) && !dynamic_cast<const Sequential*>(&layer);
}

// Keras numbers a Functional model's nodes from 1 when it is nested: node 0 is the one its
// own construction created. A C++ Model records no such node, hence this offset.
int keras_node_offset(const layers::Layer& layer) { return is_functional(layer) ? 1 : 0; }

// Keras builds these classes in their constructor (`_build_at_init`), so they never record
// input shapes and Keras writes no build_config for them.
bool built_at_init(const std::string& cls) {
  static const std::set<std::string> classes = {
      "InputLayer", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
      "GaussianNoise", "AlphaDropout", "Identity", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
      "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
      "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
      "GlobalAveragePooling2D", "GlobalAveragePooling3D"};
  return classes.count(cls) > 0;
}

Config build_config_of(const layers::Layer& layer) {
  if (built_at_init(layer.class_name()) && !detail::is_registered_type(layer)) return nullptr;
  const auto& shapes = layer.build_input_shapes();
  if (shapes.empty()) return nullptr;
  if (dynamic_cast<const layers::MultiHeadAttention*>(&layer)) {
    // build(query_shape, value_shape, key_shape=None): Keras records the shapes by argument
    // name, and only of the arguments passed (an attention_mask is not one of them).
    Config dict = Config::object();
    const char* names[] = {"query_shape", "value_shape", "key_shape"};
    for (std::size_t i = 0; i < shapes.size() && i < 3; ++i) dict[names[i]] = shape_to_json(shapes[i]);
    return Config{{"shapes_dict", dict}};
  }
  if (shapes.size() == 1) return Config{{"input_shape", shape_to_json(shapes[0])}};
  Config list = Config::array();
  for (const auto& s : shapes) list.push_back(shape_to_json(s));
  return Config{{"input_shape", list}};
}

std::shared_ptr<layers::InputLayer> input_layer_of(const Model& model) {
  for (const auto& op : model.operations())
    if (auto in = std::dynamic_pointer_cast<layers::InputLayer>(op)) return in;
  return nullptr;
}

// ---- Functional -> config ----

struct NodeIndex {
  std::map<std::pair<const layers::Layer*, int>, int> keras_index;  // (layer, C++ node index) -> Keras's
  int of(const layers::Layer* layer, int node) const {
    auto it = keras_index.find({layer, node});
    if (it == keras_index.end())
      throw ValueError("Cannot serialize the model: layer '" + layer->name() + "' node " + std::to_string(node) +
                       " is used but does not belong to the model's graph.");
    return it->second;
  }
};

Config history_triple(const Tensor& t, const NodeIndex& index) {
  auto h = layers::keras_history(t);
  if (!h) throw ValueError("Cannot serialize the model: a node input is not a Keras tensor.");
  return Config::array({h->layer->name(), index.of(h->layer.get(), h->node_index), h->tensor_index});
}

Config keras_tensor(const Tensor& t, const NodeIndex& index) {
  Config cfg;
  cfg["shape"] = shape_to_json(t.shape());
  cfg["dtype"] = dtype_name(t.dtype());
  cfg["keras_history"] = history_triple(t, index);
  return Config{{"class_name", "__keras_tensor__"}, {"config", cfg}};
}

// The attention layers' nodes as Keras writes them. MultiHeadAttention takes query, value and
// key as separate arguments and attention_mask by keyword; Attention takes one list. Keras's
// Layer.__call__ adds to the node the mask arguments it fills in (null without masks) and
// Attention's non-null default training=False; the call options keras.cpp keeps on the layer
// are keyword arguments there. Empty for other layers.
std::optional<Config> attention_node(const layers::Layer& op, const std::vector<Tensor>& in, const NodeIndex& index) {
  Config args = Config::array(), kwargs = Config::object();
  const auto call_options = [&](const layers::AttentionCallOptions& o) {
    if (o.return_attention_scores) kwargs["return_attention_scores"] = true;
    if (o.use_causal_mask) kwargs["use_causal_mask"] = true;
  };
  if (const auto* mha = dynamic_cast<const layers::MultiHeadAttention*>(&op)) {
    const std::size_t positional = std::min<std::size_t>(in.size(), 3);
    for (std::size_t i = 0; i < positional; ++i) args.push_back(keras_tensor(in[i], index));
    if (in.size() > 3) kwargs["attention_mask"] = keras_tensor(in[3], index);
    call_options(mha->call_options());
    kwargs["query_mask"] = nullptr;
    kwargs["value_mask"] = nullptr;
    if (positional > 2) kwargs["key_mask"] = nullptr;
  } else if (const auto* attention = dynamic_cast<const layers::Attention*>(&op)) {
    Config list = Config::array(), masks = Config::array();
    for (const auto& t : in) {
      list.push_back(keras_tensor(t, index));
      masks.push_back(nullptr);
    }
    args.push_back(list);
    call_options(attention->call_options());
    kwargs["training"] = false;
    kwargs["mask"] = masks;
  } else {
    return std::nullopt;
  }
  return Config{{"args", args}, {"kwargs", kwargs}};
}

Config endpoints(const std::vector<Tensor>& tensors, const NodeIndex& index) {
  if (tensors.size() == 1) return history_triple(tensors[0], index);
  Config list = Config::array();
  for (const auto& t : tensors) list.push_back(history_triple(t, index));
  return list;
}

Config functional_config(const Model& model) {
  NodeIndex index;
  for (const auto& op : model.operations()) {
    int kept = keras_node_offset(*op);
    for (const auto& node : op->inbound_nodes())
      if (model.contains_node(node.get())) index.keras_index[{op.get(), node->index}] = kept++;
  }
  Config layer_list = Config::array();
  for (const auto& op : model.operations()) {
    Config entry = serialize_layer(*op);
    entry["name"] = op->name();
    Config nodes = Config::array();
    for (const auto& node : op->inbound_nodes()) {
      if (!model.contains_node(node.get()) || node->is_input || node->input_tensors.empty()) continue;
      if (auto special = attention_node(*op, node->input_tensors, index)) {
        nodes.push_back(*special);
        continue;
      }
      Config args = Config::array();
      const bool list_call = node->input_tensors.size() > 1 || dynamic_cast<const layers::Merge*>(op.get());
      if (list_call) {
        Config inner = Config::array();
        for (const auto& t : node->input_tensors) inner.push_back(keras_tensor(t, index));
        args.push_back(inner);
      } else {
        args.push_back(keras_tensor(node->input_tensors[0], index));
      }
      nodes.push_back(Config{{"args", args}, {"kwargs", Config::object()}});
    }
    entry["inbound_nodes"] = nodes;
    layer_list.push_back(entry);
  }
  Config c;
  c["name"] = model.name();
  c["trainable"] = model.trainable();
  c["layers"] = layer_list;
  c["input_layers"] = endpoints(model.inputs(), index);
  c["output_layers"] = endpoints(model.outputs(), index);
  return c;
}

Config sequential_config(const Sequential& model) {
  Config c;
  c["name"] = model.name();
  c["trainable"] = model.trainable();
  c["dtype"] = Config{{"module", "keras"},
                      {"class_name", "DTypePolicy"},
                      {"config", Config{{"name", dtype_name(model.dtype())}}},
                      {"registered_name", nullptr}};
  Config layer_list = Config::array();
  auto input = input_layer_of(model);
  if (input) layer_list.push_back(serialize_layer(*input));
  for (const auto& l : model.layers()) layer_list.push_back(serialize_layer(*l));
  c["layers"] = layer_list;
  if (input) c["build_input_shape"] = shape_to_json(input->batch_shape());
  return c;
}

// ---- config -> Functional ----

struct NotReady {};  // a node refers to a node that is not created yet: retry later

class FunctionalBuilder {
 public:
  FunctionalBuilder(const Config& config, const LoadOptions& options) : config_(config), options_(options) {}

  std::shared_ptr<Model> build() {
    const std::string name = get_or<std::string>(config_, "name", "", "Functional config");
    where_ = "Functional model '" + name + "'";
    if (!config_.contains("layers") || !config_["layers"].is_array())
      throw ValueError(where_ + ": the config has no `layers` list. Received: " + brief(config_));
    for (const auto& entry : config_["layers"]) create(entry);
    connect();
    auto inputs = endpoint_tensors("input_layers");
    auto outputs = endpoint_tensors("output_layers");
    auto model = std::make_shared<Model>(inputs, outputs, name);
    if (!get_or<bool>(config_, "trainable", true, where_)) model->set_trainable(false);
    return model;
  }

 private:
  void create(const Config& entry) {
    if (!entry.is_object()) throw TypeError(where_ + ": a layer entry must be a dict. Received: " + brief(entry));
    auto layer = deserialize_layer(entry, options_);
    std::string name = entry.contains("name") && entry["name"].is_string() ? entry["name"].get<std::string>() : layer->name();
    if (layers_.count(name)) throw ValueError(where_ + ": two layers are named '" + name + "'");
    layers_[name] = layer;
    order_.push_back(name);
    if (is_functional(*layer)) construction_nodes_[layer.get()] = static_cast<int>(layer->inbound_nodes().size());
    auto& queue = pending_[name];
    if (entry.contains("inbound_nodes") && entry["inbound_nodes"].is_array())
      for (const auto& node : entry["inbound_nodes"]) queue.push_back(node);
  }

  // Keras's loop: call each layer on its nodes in order, deferring nodes whose inputs do
  // not exist yet, until nothing is left (or nothing moves: a broken config).
  void connect() {
    for (;;) {
      bool left = false, progress = false;
      for (const auto& name : order_) {
        auto& queue = pending_[name];
        while (!queue.empty()) {
          try {
            call(*layers_[name], queue.front());
          } catch (const NotReady&) {
            break;
          }
          queue.pop_front();
          progress = true;
        }
        left = left || !queue.empty();
      }
      if (!left) return;
      if (!progress)
        throw ValueError(where_ + ": the layers' inbound nodes refer to nodes that are never created (a cycle or a "
                         "missing layer). Received: " + brief(config_["layers"], 500));
    }
  }

  Tensor tensor_at(const std::string& layer_name, int keras_node, int tensor_index) {
    auto it = layers_.find(layer_name);
    if (it == layers_.end()) throw ValueError(where_ + ": a node refers to an unknown layer '" + layer_name + "'");
    auto& layer = *it->second;
    int node = keras_node;
    if (is_functional(layer)) node = keras_node - 1 + construction_nodes_[&layer];
    if (node < 0) throw ValueError(where_ + ": invalid node index " + std::to_string(keras_node) + " of '" + layer_name + "'");
    if (node >= static_cast<int>(layer.inbound_nodes().size())) throw NotReady{};
    Outputs outs = layer.node_outputs(node);
    if (tensor_index < 0 || tensor_index >= static_cast<int>(outs.size()))
      throw ValueError(where_ + ": layer '" + layer_name + "' node " + std::to_string(keras_node) + " has no output " +
                       std::to_string(tensor_index));
    return outs[static_cast<std::size_t>(tensor_index)];
  }

  Tensor from_triple(const Config& t) {
    if (!t.is_array() || t.size() < 3 || !t[0].is_string() || !t[1].is_number_integer() || !t[2].is_number_integer())
      throw ValueError(where_ + ": expected [layer_name, node_index, tensor_index]. Received: " + brief(t));
    return tensor_at(t[0].get<std::string>(), t[1].get<int>(), t[2].get<int>());
  }

  // A Keras 3 argument: a __keras_tensor__ dict, or a (nested) list of them.
  void collect(const Config& arg, std::vector<Tensor>& out, bool& is_list) {
    if (arg.is_object() && arg.value("class_name", "") == "__keras_tensor__") {
      const Config& cfg = arg.contains("config") ? arg["config"] : Config();
      if (!cfg.is_object() || !cfg.contains("keras_history"))
        throw ValueError(where_ + ": a __keras_tensor__ without keras_history. Received: " + brief(arg));
      out.push_back(from_triple(cfg["keras_history"]));
    } else if (arg.is_array()) {
      is_list = true;
      for (const auto& a : arg) collect(a, out, is_list);
    } else {
      throw NotImplementedError(where_ + ": non-tensor call arguments are not supported. Received: " + brief(arg));
    }
  }

  // A tensor given by keyword: Keras 3's __keras_tensor__ dict or Keras 2's [layer, node, tensor].
  std::optional<Tensor> keyword_tensor(const Config& kwargs, const char* key) {
    if (!kwargs.is_object() || !kwargs.contains(key) || kwargs[key].is_null()) return std::nullopt;
    const Config& v = kwargs[key];
    if (v.is_array() && !v.empty() && v[0].is_string()) return from_triple(v);
    std::vector<Tensor> out;
    bool is_list = false;
    collect(v, out, is_list);
    if (out.size() != 1) throw ValueError(where_ + ": `" + key + "` must be one tensor. Received: " + brief(v));
    return out[0];
  }

  // Keras calls the attention layers with keyword arguments keras.cpp keeps elsewhere: the
  // call options on the layer, and MultiHeadAttention's key and attention_mask as its 3rd and
  // 4th inputs. The *_mask arguments are ignored: keras.cpp propagates masks itself.
  bool call_attention(layers::Layer& layer, std::vector<Tensor> inputs, const Config& kwargs) {
    auto* mha = dynamic_cast<layers::MultiHeadAttention*>(&layer);
    auto* attention = dynamic_cast<layers::Attention*>(&layer);
    if (!mha && !attention) return false;
    const auto flag = [&](const char* key) {
      return kwargs.is_object() && kwargs.contains(key) && kwargs[key].is_boolean() && kwargs[key].get<bool>();
    };
    const layers::AttentionCallOptions options{.return_attention_scores = flag("return_attention_scores"),
                                               .use_causal_mask = flag("use_causal_mask")};
    if (attention) {
      attention->set_call_options(options);
      layer(inputs);
      return true;
    }
    const char* names[] = {"query", "value", "key"};
    for (std::size_t i = inputs.size(); i < 3; ++i) {
      auto t = keyword_tensor(kwargs, names[i]);
      if (!t) break;
      inputs.push_back(*t);
    }
    if (inputs.size() < 2)
      throw ValueError(where_ + ": MultiHeadAttention '" + layer.name() + "' is called without a query and a value. "
                       "Received: " + brief(kwargs));
    if (auto mask = keyword_tensor(kwargs, "attention_mask")) {
      if (inputs.size() == 2) inputs.push_back(inputs[1]);  // key defaults to value
      inputs.push_back(*mask);
    }
    mha->set_call_options(options);
    layer(inputs);
    return true;
  }

  void call(layers::Layer& layer, const Config& node) {
    std::vector<Tensor> inputs;
    bool is_list = false;
    if (node.is_object() && node.contains("args") && node["args"].is_array() && node["args"].empty() &&
        call_attention(layer, {}, node.value("kwargs", Config::object())))
      return;  // every tensor by keyword
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
      const Config args = node.value("args", Config::array());
      if (!args.is_array() || args.empty()) throw ValueError(where_ + ": a node without args. Received: " + brief(node));
      if (args.size() > 1) is_list = true;
      for (const auto& a : args) collect(a, inputs, is_list);
    } else if (node.is_array()) {  // Keras 2: [[name, node, tensor, kwargs], ...]
      for (const auto& ref : node) inputs.push_back(from_triple(ref));
      is_list = inputs.size() > 1;
    } else {
      throw ValueError(where_ + ": cannot read the inbound node " + brief(node));
    }
    Config kwargs = Config::object();
    if (node.is_object()) kwargs = node.value("kwargs", Config::object());
    else if (!node.empty() && node[0].is_array() && node[0].size() > 3) kwargs = node[0][3];  // Keras 2
    if (call_attention(layer, inputs, kwargs)) return;
    if (is_list || dynamic_cast<layers::Merge*>(&layer)) layer(inputs);
    else layer(inputs[0]);
  }

  std::vector<Tensor> endpoint_tensors(const char* key) {
    if (!config_.contains(key)) throw ValueError(where_ + ": the config has no `" + key + "`");
    const Config& v = config_[key];
    std::vector<Tensor> out;
    if (v.is_array() && v.size() == 3 && v[0].is_string()) {
      out.push_back(from_triple(v));
    } else if (v.is_array()) {
      for (const auto& t : v) out.push_back(from_triple(t));
    } else {
      throw ValueError(where_ + ": `" + key + "` must be a list. Received: " + brief(v));
    }
    return out;
  }

  const Config& config_;
  const LoadOptions& options_;
  std::string where_;
  std::map<std::string, std::shared_ptr<layers::Layer>> layers_;
  std::vector<std::string> order_;
  std::map<std::string, std::deque<Config>> pending_;
  std::map<const layers::Layer*, int> construction_nodes_;
};

std::shared_ptr<Model> sequential_from_config(const Config& config, const LoadOptions& options) {
  if (!config.is_object() && !config.is_array())
    throw TypeError("Sequential model: expected a config dict. Received: " + brief(config));
  const Config layer_list = config.is_array() ? config : config.value("layers", Config());
  std::string name = config.is_object() ? get_or<std::string>(config, "name", "", "Sequential config") : "";
  const std::string where = "Sequential model '" + name + "'";
  if (!layer_list.is_array()) throw ValueError(where + ": the config has no `layers` list. Received: " + brief(config));
  std::vector<SequentialItem> items;
  for (std::size_t i = 0; i < layer_list.size(); ++i) {
    const Config& entry = layer_list[i];
    // Keras 2 put the input's shape on the first layer instead of an InputLayer.
    if (i == 0 && entry.is_object() && entry.value("class_name", "") != "InputLayer" && entry.contains("config") &&
        entry["config"].is_object() && entry["config"].contains("batch_input_shape")) {
      const Config& lc = entry["config"];
      DType dtype = lc.contains("dtype") ? detail::dtype_from_json(lc["dtype"], where) : DType::float32;
      std::string first = get_or<std::string>(lc, "name", "", where);
      items.emplace_back(layers::InputLayer::from_batch_shape(
          detail::shape_from_json(lc["batch_input_shape"], where + " `batch_input_shape`"), dtype,
          first.empty() ? "" : first + "_input"));
    }
    items.emplace_back(deserialize_layer(entry, options));
  }
  auto model = std::make_shared<Sequential>(items, name);
  if (!model->built() && config.is_object() && config.contains("build_input_shape") &&
      config["build_input_shape"].is_array())
    model->build(detail::shape_from_json(config["build_input_shape"], where + " `build_input_shape`"));
  if (config.is_object() && !get_or<bool>(config, "trainable", true, where)) model->set_trainable(false);
  return model;
}

bool is_model_class(const std::string& cls) {
  return cls == "Functional" || cls == "Model" || cls == "Sequential";
}

}  // namespace

Config serialize_layer(const layers::Layer& layer) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) return model_to_config(*model);
  if (const auto* lambda = dynamic_cast<const layers::Lambda*>(&layer); lambda && lambda->function_name.empty())
    throw ValueError("Cannot save Lambda layer '" + layer.name() + "': its C++ function has no name. Set "
                     "`function_name` to a name registered with keras::saving::register_function (or one the "
                     "loader supplies in LoadOptions::lambda_functions).");
  const std::string cls = layer.class_name();
  const bool custom = detail::is_registered_type(layer) || !detail::is_builtin_layer(cls);
  Config out;
  out["module"] = custom ? Config(nullptr) : Config("keras.layers");
  out["class_name"] = cls;
  out["config"] = layer.get_config();
  if (dynamic_cast<const layers::Lambda*>(&layer) && out["config"].contains("function") &&
      out["config"]["function"].is_string()) {
    // Keras's form of a registered function, which Python's Lambda.from_config resolves
    // through custom_objects / register_keras_serializable by registered_name.
    std::string fn = out["config"]["function"].get<std::string>();
    out["config"]["function"] =
        Config{{"module", nullptr}, {"class_name", "function"}, {"config", fn}, {"registered_name", fn}};
  }
  out["registered_name"] = custom ? Config(registered_name(layer)) : Config(nullptr);
  Config build = build_config_of(layer);
  if (!build.is_null()) out["build_config"] = build;
  return out;
}

std::shared_ptr<layers::Layer> deserialize_layer(const Config& entry, const LoadOptions& options) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string())
    throw TypeError("Expected a serialized layer {\"class_name\", \"config\", ...}. Received: " + brief(entry));
  std::string cls = entry["class_name"].get<std::string>();
  std::string registered = entry.contains("registered_name") && entry["registered_name"].is_string()
                               ? entry["registered_name"].get<std::string>()
                               : "";
  // Keras's legacy .h5 config writes a custom class as "package>Name" in class_name.
  if (auto pos = cls.rfind('>'); pos != std::string::npos) {
    if (registered.empty()) registered = cls;
    cls = cls.substr(pos + 1);
  }
  const Config config = entry.contains("config") ? entry["config"] : Config::object();
  if (is_model_class(cls) && (registered.empty() || is_model_class(registered))) return model_from_config(entry, options);

  std::shared_ptr<layers::Layer> layer;
  const bool builtin_module = entry.contains("module") && entry["module"].is_string() &&
                              entry["module"].get<std::string>().rfind("keras", 0) == 0;
  if (LayerFactory factory = detail::find_custom_layer(builtin_module ? "" : registered, cls, options)) {
    layer = factory(config);
    if (!layer) throw ValueError("The factory registered for '" + (registered.empty() ? cls : registered) + "' returned null.");
  } else {
    layer = detail::make_builtin_layer(cls, config, options);
  }
  if (!layer)
    throw TypeError("Could not locate class '" + cls + "'" + (registered.empty() || registered == cls ? "" : " (registered name '" + registered + "')") +
                    ". Make sure custom classes are registered: keras::saving::register_layer<" + cls + ">(\"" +
                    (registered.find('>') != std::string::npos ? registered.substr(0, registered.find('>')) : "package") +
                    "\", factory), or pass the factory in LoadOptions::custom_objects. Full object config: " +
                    brief(entry, 500));
  // build_config: create the weights now, as Keras's build_from_config does.
  if (!layer->built() && entry.contains("build_config") && entry["build_config"].is_object()) {
    const Config& shape = entry["build_config"].value("input_shape", Config());
    const Config& dict = entry["build_config"].value("shapes_dict", Config());
    const std::string what = "Layer '" + layer->name() + "' build_config";
    if (dict.is_object() && !dict.empty()) {
      // build(**shapes_dict): the shapes of the call's tensor arguments, in call order.
      std::vector<Shape> shapes;
      for (const auto& [name, s] : dict.items())
        if (!s.is_null()) shapes.push_back(detail::shape_from_json(s, what + " `" + name + "`"));
      layer->build_once(shapes);
    } else if (shape.is_array() && !shape.empty()) {
      if (shape[0].is_array()) {
        std::vector<Shape> shapes;
        for (const auto& s : shape) shapes.push_back(detail::shape_from_json(s, what));
        layer->build_once(shapes);
      } else {
        layer->build_once({detail::shape_from_json(shape, what)});
      }
    }
  }
  return layer;
}

Config model_to_config(const Model& model) {
  Config out;
  if (const auto* seq = dynamic_cast<const Sequential*>(&model)) {
    out["module"] = "keras";
    out["class_name"] = "Sequential";
    out["config"] = sequential_config(*seq);
    out["registered_name"] = nullptr;
    auto input = input_layer_of(model);
    out["build_config"] = Config{{"input_shape", input ? shape_to_json(input->batch_shape()) : Config(nullptr)}};
  } else {
    out["module"] = "keras.src.models.functional";
    out["class_name"] = "Functional";
    out["config"] = functional_config(model);
    out["registered_name"] = "Functional";
    out["build_config"] = Config{{"input_shape", nullptr}};
  }
  return out;
}

std::string to_json(const Model& model) { return model_to_config(model).dump(); }

std::shared_ptr<Model> model_from_config(const Config& config, const LoadOptions& options) {
  try {
    return detail::model_from_config_unchecked(config, options);
  } catch (const nlohmann::json::exception& e) {
    // A malformed config that slipped past the typed checks still gets a typed error.
    throw ValueError(std::string("Malformed model config (") + e.what() + "). Received: " + brief(config));
  }
}

std::shared_ptr<Model> detail::model_from_config_unchecked(const Config& config, const LoadOptions& options) {
  if (!config.is_object() || !config.contains("class_name") || !config["class_name"].is_string())
    throw TypeError("Expected a serialized model {\"class_name\", \"config\", ...}. Received: " + brief(config));
  const std::string cls = config["class_name"].get<std::string>();
  const Config inner = config.contains("config") ? config["config"] : Config::object();
  if (cls == "Sequential") return sequential_from_config(inner, options);
  if (cls == "Functional" || cls == "Model") {
    if (!inner.is_object()) throw TypeError("Functional model: expected a config dict. Received: " + brief(inner));
    return FunctionalBuilder(inner, options).build();
  }
  throw TypeError("Could not rebuild a model of class '" + cls +
                  "': keras.cpp rebuilds Functional and Sequential models. Received: " + brief(config));
}

std::shared_ptr<Model> model_from_json(const std::string& json, const LoadOptions& options) {
  Config config;
  try {
    config = Config::parse(json);
  } catch (const nlohmann::json::parse_error& e) {
    throw ValueError(std::string("model_from_json: the text is not valid JSON (") + e.what() + ")");
  }
  return model_from_config(config, options);
}

}  // namespace keras::saving
