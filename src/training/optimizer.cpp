// The Optimizer base: state variables, gradient clipping, weight decay and the step driver
// (keras/src/optimizers/base_optimizer.py, torch backend's torch_optimizer.py).
#include <algorithm>

#include "keras/layers/constraints.h"
#include "keras/layers/layer.h"
#include "keras/ops/ops.h"
#include "keras/training/optimizers.h"
#include "training_utils.h"

namespace keras::optimizers {

using namespace keras::training_detail;

namespace {
std::string format_optional(const std::optional<double>& v) { return v ? std::to_string(*v) : "None"; }

// "dense/kernel" -> "dense_kernel", as Keras names slots after the variable's path.
std::string sanitized(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '/', '_');
  std::replace(out.begin(), out.end(), ':', '_');
  return out;
}
}  // namespace

Optimizer::Optimizer(LearningRate learning_rate, OptimizerOptions options, const std::string& keras_class)
    : name_(options.name.empty() ? layers::unique_name(layers::to_snake_case(keras_class)) : options.name),
      options_(std::move(options)) {
  const int clip_args = int(options_.clipnorm.has_value()) + int(options_.clipvalue.has_value()) +
                        int(options_.global_clipnorm.has_value());
  if (clip_args > 1)
    throw ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: clipnorm=" +
                     format_optional(options_.clipnorm) + ", clipvalue=" + format_optional(options_.clipvalue) +
                     ", global_clipnorm=" + format_optional(options_.global_clipnorm));
  iterations_ = Variable(Tensor::scalar(0, DType::int64), "iteration", /*trainable=*/false);
  variables_.push_back(iterations_);
  if (learning_rate.schedule()) {
    schedule_ = learning_rate.schedule();
  } else {
    // Stored as float32, so 0.05 reads back as 0.05000000074505806, as in Keras.
    learning_rate_ = Variable(Tensor::scalar(learning_rate.value(), DType::float32), "learning_rate", false);
    variables_.push_back(learning_rate_);
  }
}

Config Optimizer::get_config() const {
  auto optional = [](const std::optional<double>& v) { return v ? Config(*v) : Config(nullptr); };
  Config c;
  c["name"] = name_;
  if (schedule_)
    c["learning_rate"] = Config{{"module", "keras.optimizers.schedules"},
                                {"class_name", schedule_->class_name()},
                                {"config", schedule_->get_config()},
                                {"registered_name", nullptr}};
  else
    c["learning_rate"] = learning_rate_.item();  // float32-rounded: 0.05 -> 0.05000000074505806
  c["weight_decay"] = optional(options_.weight_decay);
  c["clipnorm"] = optional(options_.clipnorm);
  c["global_clipnorm"] = optional(options_.global_clipnorm);
  c["clipvalue"] = optional(options_.clipvalue);
  c["use_ema"] = false;
  c["ema_momentum"] = 0.99;
  c["ema_overwrite_frequency"] = nullptr;
  c["loss_scale_factor"] = nullptr;
  c["gradient_accumulation_steps"] = nullptr;
  add_config(c);
  return c;
}

void Optimizer::build(const std::vector<Variable>& trainable) {
  if (built_) return;
  for (const auto& v : trainable) {
    if (!v.defined()) throw ValueError("Optimizer '" + name_ + "'.build received an undefined variable.");
    if (v.node()->kind != NodeKind::variable)
      throw TypeError("Optimizer '" + name_ + "'.build expects keras::Variable objects. Received: a tensor of shape " +
                      v.shape().to_string());
  }
  trainable_ = trainable;
  build_slots(trainable_);
  built_ = true;
}

std::vector<std::vector<Variable>> Optimizer::add_optimizer_variables(const std::vector<Variable>& trainable,
                                                                      const std::vector<std::string>& names,
                                                                      const std::vector<double>& inits) {
  std::vector<std::vector<Variable>> out(names.size());
  for (const auto& ref : trainable) {
    for (std::size_t k = 0; k < names.size(); ++k) {
      const double init = k < inits.size() ? inits[k] : 0.0;
      Variable slot(ops::full(ref.shape(), init, ref.dtype()), sanitized(ref.name()) + "_" + names[k], false);
      variables_.push_back(slot);
      out[k].push_back(slot);
    }
  }
  return out;
}

Variable Optimizer::add_variable(const Tensor& initial_value, const std::string& name) {
  Variable v(initial_value, name, false);
  variables_.push_back(v);
  return v;
}

Tensor Optimizer::local_step(DType dtype, int offset) const {
  return ops::cast(ops::add(iterations_, Tensor::scalar(offset, DType::int64)), dtype);
}

Tensor Optimizer::learning_rate() const {
  if (schedule_) return (*schedule_)(iterations_);
  return learning_rate_;
}

double Optimizer::learning_rate_value() const { return learning_rate().item(); }

void Optimizer::set_learning_rate(double value) {
  if (schedule_)
    throw TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                    "constructor argument, hence its learning rate is not settable. If you need the learning rate "
                    "to be settable, you should instantiate the optimizer with a float `learning_rate` argument.");
  learning_rate_.assign(Tensor::scalar(value, DType::float32));
}

void Optimizer::set_weights(const std::vector<Tensor>& weights) {
  if (!built_)
    throw ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
                     "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
                     "`set_weights()`.");
  if (weights.size() != variables_.size())
    throw ValueError("Optimizer '" + name_ + "' has " + std::to_string(variables_.size()) +
                     " variables. Received: " + std::to_string(weights.size()) + " weights");
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i].shape() != variables_[i].shape())
      throw ValueError("Optimizer variable " + variables_[i].name() + " has shape " +
                       variables_[i].shape().to_string() + " not compatible with provided weight shape " +
                       weights[i].shape().to_string() + ".");
    variables_[i].assign(weights[i].dtype() == variables_[i].dtype() ? weights[i]
                                                                     : ops::cast(weights[i], variables_[i].dtype()));
  }
}

void Optimizer::exclude_from_weight_decay(const std::vector<std::string>& var_names) {
  if (built_)
    throw ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.");
  no_decay_names_ = var_names;
}

bool Optimizer::uses_weight_decay(const Variable& v) const {
  if (!options_.weight_decay) return false;
  for (const auto& pattern : no_decay_names_)
    if (v.name().find(pattern) != std::string::npos) return false;
  return true;
}

std::size_t Optimizer::index_of(const Variable& v) const {
  for (std::size_t i = 0; i < trainable_.size(); ++i)
    if (trainable_[i].node() == v.node()) return i;
  throw ValueError("Unknown variable: '" + v.name() + "' with shape " + v.shape().to_string() +
                   ". This optimizer can only be called for the variables it was originally built with. When "
                   "working with a new set of variables, you should recreate a new optimizer instance.");
}

std::vector<Tensor> Optimizer::clip_gradients(const std::vector<Tensor>& grads) const {
  std::vector<Tensor> out = grads;
  if (options_.clipnorm && *options_.clipnorm > 0) {
    const double c = *options_.clipnorm;
    for (auto& g : out) {
      // Zero gradients stay zero (no 0/0); others scale down to norm c.
      std::vector<int> all_axes;
      for (int i = 0; i < g.rank(); ++i) all_axes.push_back(i);
      Tensor l2sum = ops::sum(ops::square(g), all_axes, /*keepdims=*/true);
      Tensor positive = ops::greater(l2sum, scalar_like(0.0, l2sum));
      Tensor l2norm = ops::where(positive, ops::sqrt(ops::where(positive, l2sum, ops::ones_like(l2sum))), l2sum);
      g = ops::divide(ops::multiply(g, scalar_like(c, g)), ops::maximum(l2norm, scalar_like(c, l2norm)));
    }
  } else if (options_.global_clipnorm && *options_.global_clipnorm > 0) {
    const double c = *options_.global_clipnorm;
    std::vector<Tensor> squared;
    for (const auto& g : out) squared.push_back(ops::sum(ops::square(g)));
    Tensor norm = ops::sqrt(ops::sum(ops::stack(squared)));
    Tensor one = scalar_like(1.0, norm);
    Tensor scale = ops::multiply(scalar_like(c, norm), ops::minimum(ops::divide(one, norm), scalar_like(1.0 / c, norm)));
    // norm - norm is NaN when the norm is inf or NaN: the update then becomes NaN, as in Keras.
    scale = ops::add(scale, ops::subtract(norm, norm));
    for (auto& g : out) g = ops::multiply(g, g.dtype() == scale.dtype() ? scale : ops::cast(scale, g.dtype()));
  } else if (options_.clipvalue && *options_.clipvalue > 0) {
    const double v = *options_.clipvalue;
    for (auto& g : out) g = ops::clip(g, -v, v);
  }
  return out;
}

void Optimizer::apply(const std::vector<Tensor>& grads) {
  if (!built_)
    throw ValueError("When passing `grads` without `variables`, the optimizer must already be built on a list of "
                     "variables. Call `optimizer.build(trainable_variables)` first.");
  apply_gradients(grads, trainable_);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
  if (grads.size() != vars.size())
    throw ValueError("apply_gradients expects one gradient per variable. Received: " + std::to_string(grads.size()) +
                     " gradients and " + std::to_string(vars.size()) + " variables");
  if (grads.empty()) return;
  if (!built_) build(vars);

  std::vector<Tensor> step_grads;
  std::vector<Variable> step_vars;
  std::vector<std::size_t> step_index;
  bool any_gradient = false;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::size_t index = index_of(vars[i]);
    if (!grads[i].defined()) continue;
    any_gradient = true;
    if (!vars[i].trainable()) continue;  // a frozen weight is never updated
    if (!shapes_compatible(grads[i].shape(), vars[i].shape()))
      throw ValueError("Gradient for variable '" + vars[i].name() + "' has shape " + grads[i].shape().to_string() +
                       ", expected the variable's shape " + vars[i].shape().to_string() + ".");
    step_grads.push_back(grads[i].dtype() == vars[i].dtype() ? grads[i] : ops::cast(grads[i], vars[i].dtype()));
    step_vars.push_back(vars[i]);
    step_index.push_back(index);
  }
  if (!any_gradient) throw ValueError("No gradients provided for any variable.");

  if (!step_grads.empty()) {
    step_grads = clip_gradients(step_grads);
    const Tensor lr = learning_rate();
    prepare_step();
    for (std::size_t k = 0; k < step_vars.size(); ++k) {
      const Variable& var = step_vars[k];
      Tensor var_lr = lr.dtype() == var.dtype() ? lr : ops::cast(lr, var.dtype());
      Tensor factor;
      if (uses_weight_decay(var)) {
        // torch backend: w *= 1 - weight_decay * lr, before the update step.
        factor = ops::subtract(scalar_like(1.0, var_lr), ops::multiply(var_lr, scalar_like(*options_.weight_decay, var_lr)));
      }
      // Keras assigns constraint(variable) after the update. In a compiled plan every
      // computation runs before the side effects, so a constraint reading the variable after
      // an in-place fused update would see the old value: a constrained variable takes the
      // unfused path and assigns constraint(new value) once.
      const auto constraint = constraints::variable_constraint(var);
      if (!constraint && fused_update(var, step_grads[k], step_index[k], var_lr, factor)) continue;
      Tensor value = factor.defined() ? ops::multiply(var, factor) : Tensor(var);
      Tensor updated = update_step(step_grads[k], value, step_index[k], var_lr);
      ops::assign(var, constraint ? (*constraint)(updated) : updated);
    }
  }
  ops::assign(iterations_, ops::add(iterations_, Tensor::scalar(1, DType::int64)));
}

}  // namespace keras::optimizers
