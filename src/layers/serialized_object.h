#pragma once
// Reading a Keras-serialized object ({"module", "class_name", "config", "registered_name"}) of
// one of Keras's own modules: shared by the regularizer and constraint deserializers.
#include <nlohmann/json.hpp>

#include <string>

#include "keras/core/errors.h"

namespace keras::layers_detail {

struct SerializedObject {
  std::string class_name;
  nlohmann::ordered_json config;  // an object, empty when the entry has none
};

// `module` is "keras.regularizers" or the like; `what` names the kind in messages and
// `expected` lists what the kind accepts.
inline SerializedObject read_serialized_object(const nlohmann::ordered_json& j, const std::string& module,
                                               const std::string& what, const std::string& expected) {
  const bool dict = j.is_object() && j.contains("class_name") && j["class_name"].is_string();
  if (!dict || (j.contains("module") && j["module"].is_string() && j["module"] != module))
    throw ValueError("Could not interpret " + what + " identifier: expected a serialized " + module + " object" +
                     expected + ". Received: " + j.dump());
  SerializedObject o;
  o.class_name = j["class_name"].get<std::string>();
  o.config = j.contains("config") && j["config"].is_object() ? j["config"] : nlohmann::ordered_json::object();
  return o;
}

// config[key] as a number, `fallback` when absent or null; ValueError for anything else.
inline double config_number(const SerializedObject& o, const std::string& kind, const char* key, double fallback) {
  if (!o.config.contains(key) || o.config[key].is_null()) return fallback;
  if (!o.config[key].is_number())
    throw ValueError(kind + " " + o.class_name + ": `" + key + "` must be a number. Received: " + o.config[key].dump());
  return o.config[key].get<double>();
}

}  // namespace keras::layers_detail
