#pragma once
/// keras::optimizers — Keras 3's optimizers with their update formulas
/// (keras/src/optimizers/*.py and the torch backend's versions, which wrote the fixtures).
///
/// An optimizer owns its state as Variables, created by `build` in Keras's order:
/// `iteration` (int64), `learning_rate` (float32, absent with a schedule), then per trainable
/// variable its slots (e.g. Adam: momentum, velocity for variable 0, then for variable 1, …),
/// then optimizer-wide extras (Nadam's u_product). `variables()` lists them in that order —
/// the order of `/optimizer/vars/0..N` in a .keras file.
///
/// `apply_gradients` is written with ops and Variable::assign: eagerly it updates at once;
/// inside a traced train step it records assignments that the compiled Plan performs at the
/// end of the step. Every update reads only pre-step values (new slot values are threaded
/// through as tensors), so both modes give the same numbers.
///
/// Requires: one gradient per variable, shaped like it (undefined gradients are skipped);
/// variables the optimizer was built with. Non-trainable variables are never updated.
///
///   keras::optimizers::Adam adam(0.01);
///   adam.build(model_trainable_weights);
///   adam.apply_gradients(grads, model_trainable_weights);   // one step, iterations += 1
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"
#include "keras/training/schedules.h"

namespace keras::optimizers {

using schedules::LearningRateSchedule;
using Config = nlohmann::ordered_json;

/// The keyword arguments every Keras optimizer shares. At most one clipping option may be set.
struct OptimizerOptions {
  std::optional<double> weight_decay{};   // decoupled: w *= 1 - weight_decay * lr, before the update
  std::optional<double> clipnorm{};       // per-gradient L2 norm clip
  std::optional<double> clipvalue{};      // elementwise clip to [-v, v]
  std::optional<double> global_clipnorm{};  // clip all gradients by their joint L2 norm
  std::string name{};                     // empty: Keras's auto-name ("adam", "adam_1", ...)
};

/// A learning rate: a constant (stored in the float32 `learning_rate` variable, settable)
/// or a schedule of the iteration count.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  /// Any schedule type (so that `SGD(std::make_shared<ExponentialDecay>(...))` converts).
  template <typename S, typename = std::enable_if_t<std::is_base_of_v<LearningRateSchedule, S>>>
  LearningRate(std::shared_ptr<S> schedule)  // NOLINT(google-explicit-constructor)
      : schedule_(std::move(schedule)) {
    if (!schedule_) throw ValueError("The learning-rate schedule is null.");
  }
  double value() const { return value_; }
  const std::shared_ptr<LearningRateSchedule>& schedule() const { return schedule_; }

 private:
  double value_ = 0.0;
  std::shared_ptr<LearningRateSchedule> schedule_;
};

class Optimizer {
 public:
  /// `keras_class`: Keras's class name; the default name is its snake_case, made unique
  /// ("adam", "adam_1", ...; RMSprop gives "rm_sprop" and AdamW "adam_w", as in Keras 3).
  Optimizer(LearningRate learning_rate, OptimizerOptions options, const std::string& keras_class);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Creates the slot variables for `trainable` (a no-op when already built).
  void build(const std::vector<Variable>& trainable);
  bool built() const { return built_; }

  /// One optimization step; builds on first use. `grads[i]` belongs to `vars[i]`.
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);
  /// One step on the variables the optimizer was built with.
  void apply(const std::vector<Tensor>& grads);

  /// Number of steps taken (int64 scalar variable).
  const Variable& iterations() const { return iterations_; }
  /// The current learning rate as a float32 scalar tensor (the variable, or the schedule
  /// evaluated at `iterations`).
  Tensor learning_rate() const;
  /// The current learning rate as a number (eager).
  double learning_rate_value() const;
  /// Assigns a constant learning rate. TypeError when the optimizer uses a schedule.
  void set_learning_rate(double value);
  bool has_schedule() const { return schedule_ != nullptr; }

  /// All state variables, in Keras's order (see the file comment).
  std::vector<Variable> variables() const { return variables_; }
  /// Copies values into variables() in order; ValueError on a count or shape mismatch.
  void set_weights(const std::vector<Tensor>& weights);

  /// Variables whose name contains any of these strings get no weight decay. Call before build.
  void exclude_from_weight_decay(const std::vector<std::string>& var_names);

  const std::string& name() const { return name_; }
  /// Keras's class name ("Adam", "SGD", ...).
  virtual std::string class_name() const = 0;
  /// Keras's get_config(): name, learning_rate (the float32 value, or the serialized
  /// schedule), weight_decay, clipnorm, global_clipnorm, clipvalue, use_ema, ema_momentum,
  /// ema_overwrite_frequency, loss_scale_factor, gradient_accumulation_steps, then the class's
  /// own hyper-parameters — the "config" of compile_config's optimizer.
  Config get_config() const;
  const OptimizerOptions& options() const { return options_; }

 protected:
  /// Creates the optimizer's slots for `trainable` through add_optimizer_variables and
  /// add_variable, in Keras's order.
  virtual void build_slots(const std::vector<Variable>& trainable) = 0;
  /// Appends the class's own get_config() entries.
  virtual void add_config(Config& config) const {}
  /// Called once per step before the per-variable updates (Nadam's u_product).
  virtual void prepare_step() {}
  /// Returns the new value of trainable variable `index` from its current `value` (after
  /// weight decay) and gradient, both of the variable's dtype; assigns the slots it owns.
  /// `lr` is the learning rate in the variable's dtype.
  virtual Tensor update_step(const Tensor& gradient, const Tensor& value, std::size_t index, const Tensor& lr) = 0;
  /// A fused alternative to update_step: updates variable `index` and its slots in place with
  /// one op and returns true, or returns false to use update_step. `decay_factor`, when
  /// defined, multiplies the variable first (weight decay).
  virtual bool fused_update(const Variable& variable, const Tensor& gradient, std::size_t index, const Tensor& lr,
                            const Tensor& decay_factor) {
    return false;
  }

  /// Keras's add_optimizer_variables: for each variable in turn, one zero- (or inits[k]-)
  /// filled slot per name, named "{variable path}_{name}". Returns one list per name.
  std::vector<std::vector<Variable>> add_optimizer_variables(const std::vector<Variable>& trainable,
                                                             const std::vector<std::string>& names,
                                                             const std::vector<double>& inits = {});
  /// An optimizer-wide variable appended to variables().
  Variable add_variable(const Tensor& initial_value, const std::string& name);
  /// iterations + offset as `dtype` (Keras's local_step for offset 1).
  Tensor local_step(DType dtype, int offset = 1) const;

 private:
  std::vector<Tensor> clip_gradients(const std::vector<Tensor>& grads) const;
  bool uses_weight_decay(const Variable& v) const;
  std::size_t index_of(const Variable& v) const;

  std::string name_;
  OptimizerOptions options_;
  Variable iterations_;
  Variable learning_rate_;  // undefined with a schedule
  std::shared_ptr<LearningRateSchedule> schedule_;
  std::vector<Variable> variables_;
  std::vector<Variable> trainable_;
  std::vector<std::string> no_decay_names_;
  bool built_ = false;
};

/// SGD(learning_rate=0.01, momentum=0.0, nesterov=False). Slots: momentum (when momentum > 0).
class SGD : public Optimizer {
 public:
  explicit SGD(LearningRate learning_rate = 0.01, double momentum = 0.0, bool nesterov = false,
               OptimizerOptions options = {});
  std::string class_name() const override { return "SGD"; }
  double momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double momentum_;
  bool nesterov_;
  std::vector<Variable> momentums_;
};

/// Adam(0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False).
/// Slots: momentum, velocity (+ velocity_hat with amsgrad).
class Adam : public Optimizer {
 public:
  explicit Adam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                double epsilon = 1e-7, bool amsgrad = false, OptimizerOptions options = {});
  std::string class_name() const override { return "Adam"; }
  double beta_1() const { return beta_1_; }
  double beta_2() const { return beta_2_; }
  double epsilon() const { return epsilon_; }
  bool amsgrad() const { return amsgrad_; }

 protected:
  Adam(LearningRate learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad,
       OptimizerOptions options, const std::string& keras_class);
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  bool fused_update(const Variable& variable, const Tensor& gradient, std::size_t index, const Tensor& lr,
                    const Tensor& decay_factor) override;
  void prepare_step() override { step_sizes_.clear(); }
  void add_config(Config& config) const override;

 private:
  /// lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) in `lr`'s dtype, made once per step and dtype.
  Tensor step_size(const Tensor& lr);

  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  std::vector<Variable> momentums_, velocities_, velocity_hats_;
  std::vector<std::pair<const Node*, Tensor>> step_sizes_;  // keyed by the lr tensor's node
};

/// AdamW(0.001, weight_decay=0.004, ...): Adam with decoupled weight decay.
class AdamW : public Adam {
 public:
  explicit AdamW(LearningRate learning_rate = 0.001, double weight_decay = 0.004, double beta_1 = 0.9,
                 double beta_2 = 0.999, double epsilon = 1e-7, bool amsgrad = false, OptimizerOptions options = {});
  std::string class_name() const override { return "AdamW"; }
};

/// Adamax(0.001, 0.9, 0.999, 1e-7). Slots: momentum, norm.
class Adamax : public Optimizer {
 public:
  explicit Adamax(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                  double epsilon = 1e-7, OptimizerOptions options = {});
  std::string class_name() const override { return "Adamax"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double beta_1_, beta_2_, epsilon_;
  std::vector<Variable> m_, u_;
};

/// Nadam(0.001, 0.9, 0.999, 1e-7). Slots: momentum, velocity; then one u_product variable.
class Nadam : public Optimizer {
 public:
  explicit Nadam(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999,
                 double epsilon = 1e-7, OptimizerOptions options = {});
  std::string class_name() const override { return "Nadam"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  void prepare_step() override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double beta_1_, beta_2_, epsilon_;
  std::vector<Variable> momentums_, velocities_;
  Variable u_product_;
  // Per-step quantities computed by prepare_step.
  Tensor u_t_, u_t_1_, u_product_t_, u_product_t_1_, beta_2_power_;
};

/// RMSprop(0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False).
/// Slots: velocity (+ momentum when momentum > 0, + average_gradient when centered).
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(LearningRate learning_rate = 0.001, double rho = 0.9, double momentum = 0.0,
                   double epsilon = 1e-7, bool centered = false, OptimizerOptions options = {});
  std::string class_name() const override { return "RMSprop"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double rho_, momentum_, epsilon_;
  bool centered_;
  std::vector<Variable> velocities_, momentums_, average_gradients_;
};

/// Adagrad(0.001, initial_accumulator_value=0.1, epsilon=1e-7). Slots: accumulator.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(LearningRate learning_rate = 0.001, double initial_accumulator_value = 0.1,
                   double epsilon = 1e-7, OptimizerOptions options = {});
  std::string class_name() const override { return "Adagrad"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double initial_accumulator_value_, epsilon_;
  std::vector<Variable> accumulators_;
};

/// Adadelta(0.001, rho=0.95, epsilon=1e-7). Slots: accumulated_grad, accumulated_delta_var.
class Adadelta : public Optimizer {
 public:
  explicit Adadelta(LearningRate learning_rate = 0.001, double rho = 0.95, double epsilon = 1e-7,
                    OptimizerOptions options = {});
  std::string class_name() const override { return "Adadelta"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double rho_, epsilon_;
  std::vector<Variable> accumulated_grads_, accumulated_delta_vars_;
};

/// Ftrl(0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
/// l1_regularization_strength=0, l2_regularization_strength=0,
/// l2_shrinkage_regularization_strength=0, beta=0). Slots: accumulator, linear.
struct FtrlOptions {
  double learning_rate_power = -0.5;
  double initial_accumulator_value = 0.1;
  double l1_regularization_strength = 0.0;
  double l2_regularization_strength = 0.0;
  double l2_shrinkage_regularization_strength = 0.0;
  double beta = 0.0;
};
class Ftrl : public Optimizer {
 public:
  explicit Ftrl(LearningRate learning_rate = 0.001, FtrlOptions ftrl = {}, OptimizerOptions options = {});
  std::string class_name() const override { return "Ftrl"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  FtrlOptions ftrl_;
  std::vector<Variable> accumulators_, linears_;
};

/// Lion(0.001, beta_1=0.9, beta_2=0.99). Slots: momentum.
class Lion : public Optimizer {
 public:
  explicit Lion(LearningRate learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.99,
                OptimizerOptions options = {});
  std::string class_name() const override { return "Lion"; }

 protected:
  void build_slots(const std::vector<Variable>& trainable) override;
  Tensor update_step(const Tensor& g, const Tensor& value, std::size_t index, const Tensor& lr) override;
  void add_config(Config& config) const override;

 private:
  double beta_1_, beta_2_;
  std::vector<Variable> momentums_;
};

/// keras.optimizers.get: "sgd", "adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad",
/// "adadelta", "ftrl", "lion" (any case, or the class name) with Keras's defaults.
/// ValueError for unknown names.
std::unique_ptr<Optimizer> get(const std::string& identifier);

}  // namespace keras::optimizers
