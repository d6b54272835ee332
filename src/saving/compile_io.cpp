// A compiled model's compile() arguments <-> Keras's compile_config (TrainingState).
#include <map>

#include "keras/training/losses.h"
#include "keras/training/metrics.h"
#include "keras/training/trainer.h"
#include "saving/config_utils.h"
#include "saving/training_io.h"

namespace keras::saving::detail {

namespace {

using training::LossArg;
using training::LossSpec;
using training::LossWeights;
using training::MetricArg;
using training::MetricsSpec;

// ---- to JSON ----

Config loss_json(const LossArg& arg) {
  if (arg.empty()) return nullptr;
  if (!arg.name().empty()) return arg.name();
  auto loss = arg.resolve(Shape{}, Shape{});  // an object: returned as given
  return Config{{"module", "keras.losses"},
                {"class_name", loss->class_name()},
                {"config", loss->get_config()},
                {"registered_name", nullptr}};
}

Config loss_spec_json(const LossSpec& spec) {
  if (spec.single()) return loss_json(*spec.single());
  if (spec.is_list()) {
    Config out = Config::array();
    for (const auto& l : spec.list()) out.push_back(loss_json(l));
    return out;
  }
  if (spec.is_map()) {
    Config out = Config::object();
    for (const auto& [k, l] : spec.map()) out[k] = loss_json(l);
    return out;
  }
  return nullptr;
}

// Metrics are written by name (a metric given as an object is written as its name), which
// is what compile() resolves them from.
Config metric_json(const MetricArg& arg, const Model& model) {
  Shape shape = model.outputs().empty() ? Shape{-1, 1} : model.outputs()[0].shape();
  return arg.resolve(shape, shape)->name();
}

Config metrics_json(const MetricsSpec& spec, const Model& model) {
  if (spec.empty()) return nullptr;
  auto list = [&](const std::vector<MetricArg>& items) {
    Config out = Config::array();
    for (const auto& m : items) out.push_back(metric_json(m, model));
    return out;
  };
  if (spec.is_per_output()) {
    Config out = Config::array();
    for (const auto& items : spec.per_output()) out.push_back(list(items));
    return out;
  }
  if (spec.is_map()) {
    Config out = Config::object();
    for (const auto& [k, items] : spec.map()) out[k] = list(items);
    return out;
  }
  return list(spec.flat());
}

Config loss_weights_json(const LossWeights& w) {
  if (w.empty()) return nullptr;
  if (w.is_map()) {
    Config out = Config::object();
    for (const auto& [k, v] : w.map()) out[k] = v;
    return out;
  }
  if (w.list().size() == 1) return w.list()[0];
  return Config(w.list());
}

// ---- from JSON ----

LossArg loss_from_json(const Config& v, const std::string& where) {
  if (v.is_null()) return LossArg();
  if (v.is_string()) return LossArg(v.get<std::string>());
  if (v.is_object() && v.contains("class_name") && v["class_name"].is_string()) {
    std::string cls = v["class_name"].get<std::string>();
    std::shared_ptr<losses::Loss> loss;
    try {
      loss = losses::get(cls);
    } catch (const ValueError&) {
      throw NotImplementedError(where + ": the loss '" + cls + "' is not known to keras.cpp. Load with "
                                "LoadOptions::compile = false and compile the model yourself.");
    }
    // get() gives the class's defaults: accept the file's loss only if that is what it holds.
    Config want = v.value("config", Config::object());
    Config have = loss->get_config();
    want.erase("name");
    have.erase("name");
    if (want != have)
      throw NotImplementedError(where + ": restoring the loss " + brief(v) + " with non-default arguments is not "
                                "supported yet. Load with LoadOptions::compile = false and compile the model yourself.");
    if (v.contains("config") && v["config"].contains("name") && v["config"]["name"].is_string())
      loss->set_name(v["config"]["name"].get<std::string>());
    return LossArg(loss);
  }
  throw TypeError(where + ": cannot read the loss " + brief(v));
}

LossSpec loss_spec_from_json(const Config& v, const std::string& where) {
  if (v.is_null()) return {};
  if (v.is_string() || (v.is_object() && v.contains("class_name"))) return LossSpec(loss_from_json(v, where));
  if (v.is_array()) {
    std::vector<LossArg> list;
    for (const auto& l : v) list.push_back(loss_from_json(l, where));
    return LossSpec(list);
  }
  if (v.is_object()) {
    std::map<std::string, LossArg> by_output;
    for (auto it = v.begin(); it != v.end(); ++it) by_output[it.key()] = loss_from_json(it.value(), where);
    return LossSpec(by_output);
  }
  throw TypeError(where + ": cannot read the loss " + brief(v));
}

MetricArg metric_from_json(const Config& v, const std::string& where) {
  if (v.is_string()) return MetricArg(v.get<std::string>());
  if (v.is_object() && v.contains("class_name") && v["class_name"].is_string()) {
    // A serialized metric object: rebuilt by class name with its defaults and its name.
    std::shared_ptr<metrics::Metric> m;
    try {
      m = metrics::get(v["class_name"].get<std::string>());
    } catch (const ValueError&) {
      throw NotImplementedError(where + ": the metric " + brief(v) + " is not known to keras.cpp. Load with "
                                "LoadOptions::compile = false and compile the model yourself.");
    }
    return MetricArg(m);
  }
  throw TypeError(where + ": cannot read the metric " + brief(v));
}

MetricsSpec metrics_from_json(const Config& v, const std::string& where) {
  if (v.is_null()) return {};
  auto list = [&](const Config& items) {
    std::vector<MetricArg> out;
    if (!items.is_array()) out.push_back(metric_from_json(items, where));
    else
      for (const auto& m : items) out.push_back(metric_from_json(m, where));
    return out;
  };
  if (v.is_array()) {
    bool nested = !v.empty() && v[0].is_array();
    if (!nested) return MetricsSpec(list(v));
    std::vector<std::vector<MetricArg>> per_output;
    for (const auto& items : v) per_output.push_back(list(items));
    return MetricsSpec(per_output);
  }
  if (v.is_object() && !v.contains("class_name")) {
    std::map<std::string, std::vector<MetricArg>> by_output;
    for (auto it = v.begin(); it != v.end(); ++it) by_output[it.key()] = list(it.value());
    return MetricsSpec(by_output);
  }
  return MetricsSpec(list(v));
}

LossWeights loss_weights_from_json(const Config& v, const std::string& where) {
  if (v.is_null()) return {};
  if (v.is_number()) return LossWeights(v.get<double>());
  if (v.is_array()) return LossWeights(v.get<std::vector<double>>());
  if (v.is_object()) return LossWeights(v.get<std::map<std::string, double>>());
  throw TypeError(where + ": cannot read loss_weights " + brief(v));
}

}  // namespace

TrainingState training_state_of(const Model& model) {
  TrainingState t;
  if (!model.compiled() || !model.trainer()) return t;
  const auto* trainer = model.trainer();
  const auto& o = trainer->compile_options();
  t.optimizer = trainer->optimizer();
  t.loss = loss_spec_json(o.loss);
  t.loss_weights = loss_weights_json(o.loss_weights);
  t.metrics = metrics_json(o.metrics, model);
  t.weighted_metrics = metrics_json(o.weighted_metrics, model);
  return t;
}

void compile_from_state(Model& model, const TrainingState& state) {
  const std::string where = "compile_config";
  training::CompileOptions o;
  if (state.optimizer) o.optimizer = state.optimizer;
  o.loss = loss_spec_from_json(state.loss, where);
  o.loss_weights = loss_weights_from_json(state.loss_weights, where);
  o.metrics = metrics_from_json(state.metrics, where);
  o.weighted_metrics = metrics_from_json(state.weighted_metrics, where);
  model.compile(o);
  if (state.optimizer && state.optimizer->built()) {
    // summary()'s "Optimizer params", as the trainer reports it once it builds the optimizer.
    std::int64_t count = 0, bytes = 0;
    for (const Variable& v : state.optimizer->variables()) {
      count += v.shape().num_elements();
      bytes += v.shape().num_elements() *
               (v.dtype() == DType::int64 ? 4 : static_cast<std::int64_t>(dtype_size(v.dtype())));
    }
    model.optimizer_summary = std::make_pair(count, bytes);
  }
}

}  // namespace keras::saving::detail
