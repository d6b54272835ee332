// The Trainer: compile (keras/src/trainers/trainer.py), resolving losses, loss weights and
// metrics per output against the data (compile_utils.py CompileLoss / CompileMetrics), and
// the step bodies that keras::Function traces into plans (the torch backend's train_step,
// test_step and predict_step).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"
#include "trainer_internal.h"

namespace keras::training {

// ---- argument types ---------------------------------------------------------------------------

std::shared_ptr<optimizers::Optimizer> OptimizerArg::resolve() const {
  if (optimizer_) return optimizer_;
  if (name_.empty()) throw ValueError("compile() received a null optimizer. Received: optimizer=None");
  return std::shared_ptr<optimizers::Optimizer>(optimizers::get(name_));
}

LossArg::LossArg(losses::LossFunction fn, std::string name)
    : loss_(std::make_shared<losses::LossFunctionWrapper>(std::move(fn), std::move(name))) {}

std::shared_ptr<losses::Loss> LossArg::resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const {
  if (loss_) return loss_;
  if (name_.empty()) return nullptr;
  return losses::resolve(name_, y_true_shape, y_pred_shape);
}

std::string LossArg::to_string() const {
  if (loss_) return loss_->name();
  return name_.empty() ? "None" : "'" + name_ + "'";
}

std::shared_ptr<metrics::Metric> MetricArg::resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const {
  if (metric_) return metric_;
  if (name_.empty()) throw ValueError("Expected metric, received an empty name.");
  return metrics::get_metric(name_, y_true_shape, y_pred_shape);
}

namespace {

std::string join_quoted(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", '" : "'") + names[i] + "'";
  return s + "]";
}

template <class Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return keys;
}

}  // namespace

// ---- compile and build --------------------------------------------------------------------------

void Trainer::Impl::require_compiled() const {
  if (!is_compiled) throw ValueError("You must call `compile()` before using the model.");
}

std::vector<std::string> Trainer::Impl::output_names() const {
  std::vector<std::string> names;
  for (const Tensor& t : model.outputs()) {
    auto h = layers::keras_history(t);
    names.push_back(h ? h->layer->name() : "output_" + std::to_string(names.size()));
  }
  return names;
}

void Trainer::Impl::ensure_model_built(const std::vector<Tensor>& xs) {
  if (model.built() && !model.inputs().empty()) return;
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) {
    if (!x.defined()) throw ValueError("The model received an undefined input array.");
    shapes.push_back(x.shape());
  }
  if (!model.built()) model.build_once(shapes);
  if (model.inputs().empty())
    throw ValueError("Model \"" + model.name() + "\" has no inputs yet: give it an Input or build it before training.");
}

std::vector<Tensor> Trainer::Impl::prepare_x(const Arrays& x) const {
  if (x.size() != num_inputs())
    throw ValueError("Model \"" + model.name() + "\" expects " + std::to_string(num_inputs()) +
                     " input(s), but it received " + std::to_string(x.size()) + " input arrays (x).");
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const Tensor& a = x[i];
    if (!a.defined() || a.is_symbolic() || a.rank() == 0)
      throw ValueError("Expected input array " + std::to_string(i) + " (x) to be a concrete array with a batch "
                       "dimension. Received: " + (!a.defined() ? std::string("an undefined tensor")
                                                  : a.is_symbolic() ? "a symbolic tensor of shape " + a.shape().to_string()
                                                                    : std::string("a scalar")));
    const DType want = model.inputs()[i].dtype();
    xs.push_back(a.dtype() == want ? a : ops::cast(a, want));
  }
  return xs;
}

std::vector<Tensor> Trainer::Impl::prepare_y(const Arrays& y) const {
  if (y.size() != num_outputs())
    throw ValueError("Model \"" + model.name() + "\" has " + std::to_string(num_outputs()) +
                     " output(s), but it received " + std::to_string(y.size()) +
                     " target arrays (y). Pass one array per output, in output order " + join_quoted(output_names()) +
                     ".");
  std::vector<Tensor> ys;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const Tensor& a = y[i];
    if (!a.defined() || a.is_symbolic() || a.rank() == 0)
      throw ValueError("Expected target array " + std::to_string(i) + " (y) to be a concrete array with a batch "
                       "dimension. Received: " + (!a.defined() ? std::string("an undefined tensor")
                                                  : a.is_symbolic() ? "a symbolic tensor of shape " + a.shape().to_string()
                                                                    : std::string("a scalar")));
    // Keras converts floating data to floatx; integer labels stay integers.
    ys.push_back(a.dtype() == DType::float64 ? ops::cast(a, DType::float32) : a);
  }
  return ys;
}

Tensor Trainer::Impl::prepare_sample_weight(const Tensor& sample_weight) const {
  if (!sample_weight.defined()) return sample_weight;
  if (sample_weight.is_symbolic() || sample_weight.rank() == 0)
    throw ValueError("`sample_weight` must be a concrete array with one weight per sample. Received: shape " +
                     sample_weight.shape().to_string());
  return sample_weight.dtype() == DType::float32 ? sample_weight : ops::cast(sample_weight, DType::float32);
}

void Trainer::Impl::build(const std::vector<Tensor>& ys) {
  if (built) return;
  const std::vector<std::string> names = output_names();
  const std::size_t n = names.size();
  std::vector<Shape> pred_shapes;
  for (const Tensor& t : model.outputs()) pred_shapes.push_back(t.shape());

  // Losses: one for every output, a list in output order, or a map by output name.
  std::vector<LossArg> per_output(n);
  const LossSpec& spec = options.loss;
  if (spec.single()) {
    per_output.assign(n, *spec.single());
  } else if (spec.is_list()) {
    if (spec.list().size() != n)
      throw ValueError("For a model with " + std::to_string(n) + " output(s), a `loss` list must have one entry per "
                       "output " + join_quoted(names) + ". Received: " + std::to_string(spec.list().size()) +
                       " losses");
    per_output = spec.list();
  } else if (spec.is_map()) {
    std::set<std::string> expected(names.begin(), names.end()), got;
    for (const auto& [k, v] : spec.map()) got.insert(k);
    if (expected != got)
      throw ValueError("Expected keys " + join_quoted(names) + " in loss dict, but found loss.keys()=" +
                       join_quoted(keys_of(spec.map())));
    for (std::size_t i = 0; i < n; ++i) per_output[i] = spec.map().at(names[i]);
  }
  std::vector<std::optional<double>> weights(n);
  const LossWeights& lw = options.loss_weights;
  if (!lw.empty()) {
    if (lw.is_map()) {
      for (const auto& [k, v] : lw.map()) {
        auto it = std::find(names.begin(), names.end(), k);
        if (it == names.end())
          throw ValueError("`loss_weights` names an output that does not exist: '" + k + "'. The model's outputs are " +
                           join_quoted(names));
        weights[static_cast<std::size_t>(it - names.begin())] = v;
      }
    } else {
      if (lw.list().size() != n)
        throw ValueError("`loss_weights` must match the number of losses, got " + std::to_string(n) + " losses and " +
                         std::to_string(lw.list().size()) + " weights.");
      for (std::size_t i = 0; i < n; ++i) weights[i] = lw.list()[i];
    }
  }

  std::vector<CompiledOutput> compiled(n);
  int num_losses = 0;
  for (std::size_t i = 0; i < n; ++i) {
    compiled[i].name = names[i];
    compiled[i].loss = per_output[i].resolve(ys[i].shape(), pred_shapes[i]);
    compiled[i].loss_weight = weights[i];
    num_losses += compiled[i].loss != nullptr;
  }
  if (num_losses > 1)
    for (auto& out : compiled)
      if (out.loss) out.loss_tracker = std::make_shared<metrics::Mean>(out.name + "_loss");

  // Metrics: with one output every metric applies to it; with several, one entry per output
  // (a flat list of that length, per-output lists, or a map by output name).
  auto build_set = [&](const MetricsSpec& m, const char* argument, auto member) {
    if (m.empty()) return;
    std::vector<std::vector<MetricArg>> per(n);
    if (n == 1) {
      for (const auto& a : m.flat()) per[0].push_back(a);
      for (const auto& list : m.per_output())
        for (const auto& a : list) per[0].push_back(a);
      for (const auto& [k, list] : m.map())
        for (const auto& a : list) per[0].push_back(a);
    } else if (m.is_map()) {
      for (const auto& [k, list] : m.map()) {
        auto it = std::find(names.begin(), names.end(), k);
        if (it == names.end())
          throw ValueError("Invalid `" + std::string(argument) + "`: '" + k + "' is not an output of the model. The "
                           "model's outputs are " + join_quoted(names));
        per[static_cast<std::size_t>(it - names.begin())] = list;
      }
    } else if (m.is_per_output() || m.flat().size() == n) {
      const std::size_t count = m.is_per_output() ? m.per_output().size() : m.flat().size();
      if (count != n)
        throw ValueError("For a model with multiple outputs, when providing the `" + std::string(argument) +
                         "` argument as a list, it should have as many entries as the model has outputs. Received: "
                         "a list of " + std::to_string(count) + " entries for outputs " + join_quoted(names));
      for (std::size_t i = 0; i < n; ++i) {
        if (m.is_per_output()) per[i] = m.per_output()[i];
        else per[i].push_back(m.flat()[i]);
      }
    } else {
      throw ValueError("For a model with multiple outputs, when providing the `" + std::string(argument) +
                       "` argument as a list, it should have as many entries as the model has outputs (" +
                       std::to_string(n) + ": " + join_quoted(names) + "). Received: a list of " +
                       std::to_string(m.flat().size()) + " metrics");
    }
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& a : per[i]) (compiled[i].*member).push_back(a.resolve(ys[i].shape(), pred_shapes[i]));
  };
  build_set(options.metrics, "metrics", &CompiledOutput::metrics);
  build_set(options.weighted_metrics, "weighted_metrics", &CompiledOutput::weighted_metrics);

  // Log names in Keras's order: loss, compiled metrics (prefixed by the output's name with
  // several outputs; repeats numbered, weighted repeats as weighted_<name>), per-output losses.
  std::vector<std::pair<std::string, std::shared_ptr<metrics::Metric>>> names_out;
  names_out.emplace_back("loss", loss_tracker);
  std::set<std::string> used;
  std::map<std::string, int> counters;
  const bool prefix = n > 1;
  for (int weighted = 0; weighted < 2; ++weighted)
    for (const auto& out : compiled)
      for (const auto& m : weighted ? out.weighted_metrics : out.metrics) {
        std::string name = prefix ? out.name + "_" + m->name() : m->name();
        if (counters.count(name)) {
          if (weighted) name = prefix ? out.name + "_weighted_" + m->name() : "weighted_" + m->name();
          if (counters.count(name)) {
            const int index = counters[name]++;
            name += '_';
            name += std::to_string(index);
          } else {
            counters[name] = 1;
          }
        } else {
          counters[name] = 1;
        }
        names_out.emplace_back(name, m);
      }
  for (const auto& out : compiled)
    if (out.loss_tracker) names_out.emplace_back(out.loss_tracker->name(), out.loss_tracker);

  outputs = std::move(compiled);
  logged = std::move(names_out);
  built = true;
  make_functions();
}

void Trainer::Impl::check_targets(const std::vector<Tensor>& ys) const {
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].loss) outputs[i].loss->check_targets(ys[i], model.outputs()[i].shape());
}

bool Trainer::Impl::has_loss() const {
  return std::any_of(outputs.begin(), outputs.end(), [](const CompiledOutput& o) { return o.loss != nullptr; });
}

void Trainer::Impl::build_optimizer() {
  const auto vars = model.trainable_weights();
  if (vars.empty() || optimizer->built()) return;
  optimizer->build(vars);
  std::int64_t count = 0, bytes = 0;
  for (const Variable& v : optimizer->variables()) {
    count += v.shape().num_elements();
    // Keras's iteration counter is an int32 (4 bytes in its summary); ours is an int64.
    const std::int64_t size = v.dtype() == DType::int64 ? 4 : static_cast<std::int64_t>(dtype_size(v.dtype()));
    bytes += v.shape().num_elements() * size;
  }
  model.optimizer_summary = std::make_pair(count, bytes);
}

// ---- the traced bodies ------------------------------------------------------------------------------

namespace {

struct StepInputs {
  std::vector<Tensor> xs, ys;
  Tensor sample_weight;
};

StepInputs unpack(const std::vector<Tensor>& in, std::size_t num_inputs, std::size_t num_outputs) {
  StepInputs s;
  s.xs.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(num_inputs));
  s.ys.assign(in.begin() + static_cast<std::ptrdiff_t>(num_inputs),
              in.begin() + static_cast<std::ptrdiff_t>(num_inputs + num_outputs));
  if (in.size() > num_inputs + num_outputs) s.sample_weight = in.back();
  return s;
}

Tensor batch_size_of(const std::vector<Tensor>& xs) {
  return Tensor::scalar(static_cast<double>(xs.front().shape()[0]), DType::float32);
}

}  // namespace

Tensor Trainer::Impl::compute_loss(const std::vector<Tensor>& ys, const Outputs& preds, const Tensor& sample_weight) {
  Tensor total;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const CompiledOutput& out = outputs[i];
    if (!out.loss) continue;
    Tensor value = (*out.loss)(ys[i], preds[i], sample_weight);
    if (value.dtype() != DType::float32) value = ops::cast(value, DType::float32);
    // The per-output trackers record the unweighted losses, as Keras 3 does.
    if (out.loss_tracker) out.loss_tracker->update_state(value, Tensor::scalar(static_cast<double>(preds[i].shape()[0])));
    if (out.loss_weight) value = ops::multiply(value, Tensor::scalar(*out.loss_weight, DType::float32));
    total = total.defined() ? ops::add(total, value) : value;
  }
  // Keras adds the sum of each of model.losses (add_loss, activity regularizers) of the call
  // that produced `preds`.
  for (const Tensor& extra : model.losses()) {
    Tensor value = ops::sum(extra);
    if (value.dtype() != DType::float32) value = ops::cast(value, DType::float32);
    total = total.defined() ? ops::add(total, value) : value;
  }
  return total.defined() ? total : Tensor::scalar(0.0, DType::float32);
}

void Trainer::Impl::update_metrics(const std::vector<Tensor>& ys, const Outputs& preds, const Tensor& sample_weight) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (const auto& m : outputs[i].metrics) m->update_state(ys[i], preds[i], Tensor());
    for (const auto& m : outputs[i].weighted_metrics) m->update_state(ys[i], preds[i], sample_weight);
  }
}

std::vector<Tensor> Trainer::Impl::train_step(const std::vector<Tensor>& in) {
  StepInputs s = unpack(in, num_inputs(), num_outputs());
  Outputs preds = model(s.xs, /*training=*/true);
  Tensor loss = compute_loss(s.ys, preds, s.sample_weight);
  loss_tracker->update_state(loss, batch_size_of(s.xs));
  const std::vector<Variable> vars = model.trainable_weights();
  if (!vars.empty()) {
    const std::vector<Tensor> sources(vars.begin(), vars.end());
    optimizer->apply_gradients(gradients(loss, sources), vars);
  }
  update_metrics(s.ys, preds, s.sample_weight);
  return {loss};
}

std::vector<Tensor> Trainer::Impl::test_step(const std::vector<Tensor>& in) {
  StepInputs s = unpack(in, num_inputs(), num_outputs());
  Outputs preds = model(s.xs, /*training=*/false);
  Tensor loss = compute_loss(s.ys, preds, s.sample_weight);
  loss_tracker->update_state(loss, batch_size_of(s.xs));
  update_metrics(s.ys, preds, s.sample_weight);
  return {loss};
}

std::vector<Tensor> Trainer::Impl::predict_step(const std::vector<Tensor>& in) {
  Outputs preds = model(in, /*training=*/false);
  return std::vector<Tensor>(preds.begin(), preds.end());
}

void Trainer::Impl::make_functions() {
  const std::string name = model.name();
  train_fn = std::make_unique<Function>([this](const std::vector<Tensor>& in) { return train_step(in); },
                                        PlanOptions{}, name + "_train");
  test_fn = std::make_unique<Function>([this](const std::vector<Tensor>& in) { return test_step(in); },
                                       PlanOptions{}, name + "_test");
  results_fn = std::make_unique<Function>(
      [this](const std::vector<Tensor>&) {
        std::vector<Tensor> values;
        for (const auto& [log_name, metric] : logged) values.push_back(metric->result());
        return values;
      },
      PlanOptions{}, name + "_metrics");
}

callbacks::Logs Trainer::Impl::results() {
  callbacks::Logs logs;
  if (!results_fn) return logs;
  Plan& plan = results_fn->get_plan(std::vector<TensorSpec>{});
  plan.run(static_cast<const void* const*>(nullptr));
  for (std::size_t i = 0; i < logged.size(); ++i) logs[logged[i].first] = detail::output_as_double(plan, static_cast<int>(i));
  return logs;
}

void Trainer::Impl::reset_metrics() {
  if (loss_tracker) loss_tracker->reset_state();
  for (auto& out : outputs) {
    if (out.loss_tracker) out.loss_tracker->reset_state();
    for (auto& m : out.metrics) m->reset_state();
    for (auto& m : out.weighted_metrics) m->reset_state();
  }
}

// ---- Trainer ------------------------------------------------------------------------------------------

Trainer::Trainer(Model& model) : impl_(std::make_unique<Impl>(model, *this)) {}
Trainer::~Trainer() = default;

void Trainer::compile(const CompileOptions& options) {
  // Resolve what can be resolved now, so that a bad name fails here and changes nothing.
  auto optimizer = options.optimizer.resolve();
  auto check_loss_name = [](const LossArg& arg) {
    std::string lower = arg.name();
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    // "crossentropy" / "ce" are resolved from the data's shapes later.
    if (!arg.name().empty() && lower != "crossentropy" && lower != "ce") losses::get(arg.name());
  };
  if (options.loss.single()) check_loss_name(*options.loss.single());
  for (const auto& l : options.loss.list()) check_loss_name(l);
  for (const auto& [k, l] : options.loss.map()) check_loss_name(l);

  Impl& s = *impl_;
  s.options = options;
  s.optimizer = std::move(optimizer);
  s.loss_tracker = std::make_shared<metrics::Mean>("loss");
  s.outputs.clear();
  s.logged.clear();
  s.built = false;
  s.train_fn.reset();
  s.test_fn.reset();
  s.results_fn.reset();
  s.is_compiled = true;
  stop_training = false;
}

bool Trainer::compiled() const { return impl_->is_compiled; }
std::shared_ptr<optimizers::Optimizer> Trainer::optimizer() const { return impl_->optimizer; }
const CompileOptions& Trainer::compile_options() const { return impl_->options; }

std::vector<std::shared_ptr<metrics::Metric>> Trainer::metrics() const {
  std::vector<std::shared_ptr<metrics::Metric>> out;
  if (!impl_->is_compiled) return out;
  if (!impl_->built) return {impl_->loss_tracker};
  for (const auto& [name, m] : impl_->logged) out.push_back(m);
  return out;
}

std::vector<std::string> Trainer::metrics_names() const {
  std::vector<std::string> out;
  if (!impl_->is_compiled) return out;
  if (!impl_->built) return {"loss"};
  for (const auto& [name, m] : impl_->logged) out.push_back(name);
  return out;
}

void Trainer::reset_metrics() { impl_->reset_metrics(); }

int Trainer::num_train_traces() const { return impl_->train_fn ? impl_->train_fn->num_traces() : 0; }

std::vector<Tensor> Trainer::get_weights() const { return impl_->model.get_weights(); }
void Trainer::set_weights(const std::vector<Tensor>& weights) { impl_->model.set_weights(weights); }

double Trainer::learning_rate() const {
  if (!impl_->optimizer) return CallbackModel::learning_rate();
  return impl_->optimizer->learning_rate_value();
}

void Trainer::set_learning_rate(double value) {
  if (!impl_->optimizer) return CallbackModel::set_learning_rate(value);
  impl_->optimizer->set_learning_rate(value);
}

metrics::Direction Trainer::metric_direction(const std::string& name) const {
  for (const auto& [log_name, m] : impl_->logged)
    if (log_name == name) return m->direction();
  return metrics::Direction::unknown;
}

}  // namespace keras::training
