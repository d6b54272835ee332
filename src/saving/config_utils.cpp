#include "saving/config_utils.h"

#include <algorithm>

namespace keras::saving::detail {

std::string brief(const Config& config, std::size_t max_chars) {
  std::string s = config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

Shape shape_from_json(const Config& value, const std::string& what) {
  if (!value.is_array()) throw TypeError(what + ": expected a shape (a list of ints or nulls). Received: " + brief(value));
  std::vector<std::int64_t> dims;
  for (const auto& d : value) {
    if (d.is_null()) {
      dims.push_back(-1);
    } else if (d.is_number_integer() && d.get<std::int64_t>() >= 0) {
      dims.push_back(d.get<std::int64_t>());
    } else {
      throw TypeError(what + ": expected a shape (a list of non-negative ints or nulls). Received: " + brief(value));
    }
  }
  return Shape(std::move(dims));
}

Config shape_to_json(const Shape& shape) {
  Config out = Config::array();
  for (auto d : shape.dims()) out.push_back(d < 0 ? Config(nullptr) : Config(d));
  return out;
}

std::vector<std::int64_t> ints_from_json(const Config& value, const std::string& what) {
  if (value.is_number_integer()) return {value.get<std::int64_t>()};
  if (value.is_array()) {
    std::vector<std::int64_t> out;
    for (const auto& v : value) {
      if (!v.is_number_integer()) throw TypeError(what + ": expected ints. Received: " + brief(value));
      out.push_back(v.get<std::int64_t>());
    }
    return out;
  }
  throw TypeError(what + ": expected an int or a list of ints. Received: " + brief(value));
}

DType dtype_from_json(const Config& value, const std::string& where) {
  std::string name;
  if (value.is_null()) return DType::float32;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else if (value.is_object() && value.contains("config") && value["config"].is_object() &&
             value["config"].contains("name") && value["config"]["name"].is_string()) {
    std::string cls = get_or<std::string>(value, "class_name", "DTypePolicy", where);
    if (cls != "DTypePolicy" && cls != "Policy")
      throw NotImplementedError(where + ": dtype policy '" + cls + "' is not supported; keras.cpp runs float32/float64 "
                                "policies. Received: " + brief(value));
    name = value["config"]["name"].get<std::string>();
  } else {
    throw TypeError(where + ": expected a dtype name or a DTypePolicy. Received: " + brief(value));
  }
  if (name.rfind("mixed_", 0) == 0)
    throw NotImplementedError(where + ": mixed-precision policy '" + name + "' is not supported by keras.cpp");
  return dtype_from_name(name);
}

namespace {

std::optional<std::uint64_t> seed_of(const Config& cfg, const std::string& where) {
  if (!cfg.is_object() || !cfg.contains("seed") || cfg["seed"].is_null()) return std::nullopt;
  if (!cfg["seed"].is_number_integer()) throw TypeError(where + ": an initializer seed must be an int. Received: " + brief(cfg));
  return static_cast<std::uint64_t>(cfg["seed"].get<std::int64_t>());
}

void flatten_numbers(const Config& value, std::vector<double>& out, std::vector<std::int64_t>& shape, std::size_t depth,
                     const std::string& where) {
  if (value.is_number()) {
    out.push_back(value.get<double>());
    return;
  }
  if (!value.is_array()) throw TypeError(where + ": a Constant value must be a number or nested lists. Received: " + brief(value));
  if (shape.size() <= depth) shape.push_back(static_cast<std::int64_t>(value.size()));
  else if (shape[depth] != static_cast<std::int64_t>(value.size()))
    throw ValueError(where + ": a Constant value must be a rectangular nested list. Received: " + brief(value));
  for (const auto& v : value) flatten_numbers(v, out, shape, depth + 1, where);
}

}  // namespace

initializers::InitializerArg initializer_from_json(const Config& value, const std::string& where) {
  using namespace keras::initializers;
  if (value.is_null()) return {};
  if (value.is_string()) return InitializerArg(get(value.get<std::string>()));
  if (!value.is_object() || !value.contains("class_name") || !value["class_name"].is_string())
    throw TypeError(where + ": expected a serialized initializer. Received: " + brief(value));
  const std::string cls = value["class_name"].get<std::string>();
  const Config cfg = value.contains("config") && value["config"].is_object() ? value["config"] : Config::object();
  auto num = [&](const char* key, double fallback) { return get_or<double>(cfg, key, fallback, where); };
  auto seed = seed_of(cfg, where);
  if (cls == "Zeros" || cls == "Zero") return InitializerArg(Zeros());
  if (cls == "Ones" || cls == "One") return InitializerArg(Ones());
  if (cls == "Constant") {
    if (!cfg.contains("value") || cfg["value"].is_number()) return InitializerArg(Constant(num("value", 0.0)));
    std::vector<double> values;
    std::vector<std::int64_t> shape;
    flatten_numbers(cfg["value"], values, shape, 0, where);
    return InitializerArg(Constant(Tensor::from_vector(values, Shape(shape))));
  }
  if (cls == "RandomUniform") return InitializerArg(RandomUniform(num("minval", -0.05), num("maxval", 0.05), seed));
  if (cls == "RandomNormal") return InitializerArg(RandomNormal(num("mean", 0.0), num("stddev", 0.05), seed));
  if (cls == "TruncatedNormal") return InitializerArg(TruncatedNormal(num("mean", 0.0), num("stddev", 0.05), seed));
  if (cls == "VarianceScaling")
    return InitializerArg(VarianceScaling(num("scale", 1.0), get_or<std::string>(cfg, "mode", "fan_in", where),
                                          get_or<std::string>(cfg, "distribution", "truncated_normal", where), seed));
  if (cls == "GlorotUniform") return InitializerArg(GlorotUniform(seed));
  if (cls == "GlorotNormal") return InitializerArg(GlorotNormal(seed));
  if (cls == "HeUniform") return InitializerArg(HeUniform(seed));
  if (cls == "HeNormal") return InitializerArg(HeNormal(seed));
  if (cls == "LecunUniform") return InitializerArg(LecunUniform(seed));
  if (cls == "LecunNormal") return InitializerArg(LecunNormal(seed));
  if (cls == "OrthogonalInitializer" || cls == "Orthogonal") return InitializerArg(Orthogonal(num("gain", 1.0), seed));
  if (cls == "IdentityInitializer" || cls == "Identity") return InitializerArg(Identity(num("gain", 1.0)));
  throw TypeError(where + ": unknown initializer class '" + cls + "'. Received: " + brief(value));
}

activations::ActivationArg activation_from_json(const Config& value, const std::string& where) {
  if (value.is_null()) return {};
  std::string name;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else if (value.is_object()) {
    // A registered function: {"module", "class_name": "function", "config": "name", "registered_name"}.
    if (value.contains("registered_name") && value["registered_name"].is_string()) name = value["registered_name"];
    else if (value.contains("config") && value["config"].is_string()) name = value["config"];
    else if (value.contains("class_name") && value["class_name"].is_string()) name = value["class_name"];
  }
  if (name.empty()) throw TypeError(where + ": expected an activation name. Received: " + brief(value));
  const auto& known = activations::names();
  if (std::find(known.begin(), known.end(), name) != known.end()) return activations::ActivationArg(name);
  if (LambdaFunction fn = find_function(name)) {
    return activations::ActivationArg([fn](const Tensor& x) { return fn(x); }, name);
  }
  throw ValueError(where + ": unknown activation '" + name + "'. Register a C++ function under that name with "
                   "keras::saving::register_function(\"" + name + "\", fn).");
}

std::shared_ptr<layers::Layer> with_weight_options(std::shared_ptr<layers::Layer> layer, const Config& config,
                                                   const std::string& where, const std::vector<std::string>& weights) {
  auto read = [&](const std::string& key, auto&& parse) {
    const auto it = config.find(key);
    if (it == config.end()) return decltype(parse(*it))();
    try {
      return parse(*it);
    } catch (const ValueError& e) {
      throw ValueError(where + ": invalid `" + key + "`. " + e.what());
    } catch (const NotImplementedError& e) {
      throw NotImplementedError(where + ": `" + key + "`: " + e.what());
    }
  };
  const auto reg = [](const Config& v) { return regularizers::from_json(v); };
  const auto con = [](const Config& v) { return constraints::from_json(v); };
  layer->set_activity_regularizer(read("activity_regularizer", reg));
  for (const auto& w : weights) {
    layer->set_weight_regularizer(w, read(w + "_regularizer", reg));
    layer->set_weight_constraint(w, read(w + "_constraint", con));
  }
  return layer;
}

void refuse_unsupported(const Config& config, const std::vector<std::string>& keys, const std::string& where) {
  for (const auto& key : keys) {
    auto it = config.find(key);
    if (it != config.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>()))
      throw NotImplementedError(where + ": '" + key + "' is not supported by keras.cpp yet. Received: " + key + "=" +
                                brief(*it));
  }
}

}  // namespace keras::saving::detail
