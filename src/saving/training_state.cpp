// compile_config <-> TrainingState (saving.h), with the optimizers rebuilt from their Keras
// configs (the keys each optimizer's get_config writes).
#include <functional>
#include <map>

#include "keras/saving/saving.h"
#include "saving/config_utils.h"
#include "saving/training_io.h"

namespace keras::saving {

namespace {

using detail::brief;
using detail::get_or;
using optimizers::OptimizerOptions;

std::optional<double> optional_number(const Config& c, const char* key, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return std::nullopt;
  return get_or<double>(c, key, 0.0, where);
}

}  // namespace

namespace detail {

std::shared_ptr<optimizers::Optimizer> optimizer_from_config(const Config& serialized) {
  const std::string where = "Optimizer config";
  if (serialized.is_string()) return optimizers::get(serialized.get<std::string>());
  if (!serialized.is_object() || !serialized.contains("class_name") || !serialized["class_name"].is_string())
    throw TypeError(where + ": expected {\"class_name\", \"config\"}. Received: " + brief(serialized));
  std::string cls = serialized["class_name"].get<std::string>();
  if (auto pos = cls.rfind('>'); pos != std::string::npos) cls = cls.substr(pos + 1);
  const Config c = serialized.value("config", Config::object());
  const std::string w = "Optimizer '" + cls + "'";
  if (get_or<bool>(c, "use_ema", false, w)) throw NotImplementedError(w + ": use_ema=True is not supported by keras.cpp");
  refuse_unsupported(c, {"loss_scale_factor", "gradient_accumulation_steps"}, w);
  if (c.contains("learning_rate") && c["learning_rate"].is_object())
    throw NotImplementedError(w + ": restoring a learning-rate schedule from a file is not supported yet. Received: " +
                              brief(c["learning_rate"]));
  OptimizerOptions o;
  o.weight_decay = optional_number(c, "weight_decay", w);
  o.clipnorm = optional_number(c, "clipnorm", w);
  o.clipvalue = optional_number(c, "clipvalue", w);
  o.global_clipnorm = optional_number(c, "global_clipnorm", w);
  o.name = get_or<std::string>(c, "name", "", w);
  auto num = [&](const char* key, double fallback) { return get_or<double>(c, key, fallback, w); };
  auto flag = [&](const char* key, bool fallback) { return get_or<bool>(c, key, fallback, w); };
  using namespace keras::optimizers;
  if (cls == "SGD") return std::make_shared<SGD>(num("learning_rate", 0.01), num("momentum", 0.0), flag("nesterov", false), o);
  if (cls == "Adam")
    return std::make_shared<Adam>(num("learning_rate", 0.001), num("beta_1", 0.9), num("beta_2", 0.999),
                                  num("epsilon", 1e-7), flag("amsgrad", false), o);
  if (cls == "AdamW") {
    double decay = o.weight_decay.value_or(0.004);
    o.weight_decay.reset();
    return std::make_shared<AdamW>(num("learning_rate", 0.001), decay, num("beta_1", 0.9), num("beta_2", 0.999),
                                   num("epsilon", 1e-7), flag("amsgrad", false), o);
  }
  if (cls == "Adamax")
    return std::make_shared<Adamax>(num("learning_rate", 0.001), num("beta_1", 0.9), num("beta_2", 0.999),
                                    num("epsilon", 1e-7), o);
  if (cls == "Nadam")
    return std::make_shared<Nadam>(num("learning_rate", 0.001), num("beta_1", 0.9), num("beta_2", 0.999),
                                   num("epsilon", 1e-7), o);
  if (cls == "RMSprop")
    return std::make_shared<RMSprop>(num("learning_rate", 0.001), num("rho", 0.9), num("momentum", 0.0),
                                     num("epsilon", 1e-7), flag("centered", false), o);
  if (cls == "Adagrad")
    return std::make_shared<Adagrad>(num("learning_rate", 0.001), num("initial_accumulator_value", 0.1),
                                     num("epsilon", 1e-7), o);
  if (cls == "Adadelta")
    return std::make_shared<Adadelta>(num("learning_rate", 0.001), num("rho", 0.95), num("epsilon", 1e-7), o);
  if (cls == "Lion") return std::make_shared<Lion>(num("learning_rate", 0.001), num("beta_1", 0.9), num("beta_2", 0.99), o);
  if (cls == "Ftrl") {
    FtrlOptions f;
    f.learning_rate_power = num("learning_rate_power", -0.5);
    f.initial_accumulator_value = num("initial_accumulator_value", 0.1);
    f.l1_regularization_strength = num("l1_regularization_strength", 0.0);
    f.l2_regularization_strength = num("l2_regularization_strength", 0.0);
    f.l2_shrinkage_regularization_strength = num("l2_shrinkage_regularization_strength", 0.0);
    f.beta = num("beta", 0.0);
    return std::make_shared<Ftrl>(num("learning_rate", 0.001), f, o);
  }
  throw TypeError("Could not locate optimizer class '" + cls + "'. Received: " + brief(serialized));
}

Config serialize_optimizer(const optimizers::Optimizer& optimizer) {
  return Config{{"module", "keras.optimizers"},
                {"class_name", optimizer.class_name()},
                {"config", optimizer.get_config()},
                {"registered_name", nullptr}};
}

Config legacy_training_config(const TrainingState& training) {
  Config c = training.compile_config();
  c.erase("optimizer");
  if (training.optimizer)
    c["optimizer_config"] = Config{{"class_name", training.optimizer->class_name()}, {"config", training.optimizer->get_config()}};
  return c;
}

TrainingState training_from_legacy_config(const Config& training_config) {
  Config c = training_config;
  if (c.contains("optimizer_config")) {
    c["optimizer"] = c["optimizer_config"];
    c.erase("optimizer_config");
  }
  return TrainingState::from_compile_config(c);
}

}  // namespace detail

Config TrainingState::compile_config() const {
  Config c;
  c["optimizer"] = optimizer ? detail::serialize_optimizer(*optimizer) : Config(nullptr);
  c["loss"] = loss;
  c["loss_weights"] = loss_weights;
  c["metrics"] = metrics;
  c["weighted_metrics"] = weighted_metrics;
  c["run_eagerly"] = run_eagerly;
  c["steps_per_execution"] = steps_per_execution;
  c["jit_compile"] = jit_compile;
  return c;
}

TrainingState TrainingState::from_compile_config(const Config& c) {
  const std::string where = "compile_config";
  if (!c.is_object()) throw TypeError(where + ": expected a dict. Received: " + brief(c));
  TrainingState t;
  if (c.contains("optimizer") && !c["optimizer"].is_null()) t.optimizer = detail::optimizer_from_config(c["optimizer"]);
  t.loss = c.value("loss", Config());
  t.loss_weights = c.value("loss_weights", Config());
  t.metrics = c.value("metrics", Config());
  t.weighted_metrics = c.value("weighted_metrics", Config());
  t.run_eagerly = get_or<bool>(c, "run_eagerly", false, where);
  t.steps_per_execution = get_or<int>(c, "steps_per_execution", 1, where);
  t.jit_compile = get_or<bool>(c, "jit_compile", false, where);
  return t;
}

}  // namespace keras::saving
