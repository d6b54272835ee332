// Keras 3's optimizers. Each update_step follows the torch backend's _parallel_update_step
// (which wrote the fixtures) term by term, in the variable's dtype: hyper-parameters are
// Python floats there, so (1 - beta) is computed in double and rounded once to the dtype.
// New slot values are used as tensors and assigned, so that a traced step (whose Plan
// performs assignments last) computes the same as an eager one.
#include <algorithm>
#include <cctype>

#include "keras/ops/ops.h"
#include "keras/training/optimizers.h"
#include "training_utils.h"

namespace keras::optimizers {

using namespace keras::training_detail;

namespace {
Tensor c(double v, const Tensor& like) { return scalar_like(v, like); }
}  // namespace

// ---- SGD -------------------------------------------------------------------------------------

SGD::SGD(LearningRate learning_rate, double momentum, bool nesterov, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "SGD"), momentum_(momentum), nesterov_(nesterov) {
  if (momentum < 0 || momentum > 1)
    throw ValueError("`momentum` must be a float between [0, 1]. Received: momentum=" + std::to_string(momentum));
}

void SGD::build_slots(const std::vector<Variable>& trainable) {
  if (momentum_ != 0) momentums_ = add_optimizer_variables(trainable, {"momentum"})[0];
}

Tensor SGD::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  if (momentum_ == 0) return ops::subtract(value, ops::multiply(g, lr));
  const Variable& m = momentums_[i];
  Tensor m_new = ops::subtract(ops::multiply(m, c(momentum_, g)), ops::multiply(g, lr));
  ops::assign(m, m_new);
  if (nesterov_)
    return ops::add(ops::subtract(value, ops::multiply(g, lr)), ops::multiply(m_new, c(momentum_, g)));
  return ops::add(value, m_new);
}

// ---- Adam / AdamW ------------------------------------------------------------------------------

Adam::Adam(LearningRate learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad,
           OptimizerOptions options)
    : Adam(std::move(learning_rate), beta_1, beta_2, epsilon, amsgrad, std::move(options), "Adam") {}

Adam::Adam(LearningRate learning_rate, double beta_1, double beta_2, double epsilon, bool amsgrad,
           OptimizerOptions options, const std::string& keras_class)
    : Optimizer(std::move(learning_rate), std::move(options), keras_class),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon),
      amsgrad_(amsgrad) {}

void Adam::build_slots(const std::vector<Variable>& trainable) {
  auto slots = add_optimizer_variables(trainable, {"momentum", "velocity"});
  momentums_ = slots[0];
  velocities_ = slots[1];
  if (amsgrad_) velocity_hats_ = add_optimizer_variables(trainable, {"velocity_hat"})[0];
}

Tensor Adam::step_size(const Tensor& lr) {
  for (const auto& [node, alpha] : step_sizes_)
    if (node == lr.node().get()) return alpha;
  const Tensor step = local_step(lr.dtype());
  Tensor beta_1_power = ops::power(c(beta_1_, lr), step);
  Tensor beta_2_power = ops::power(c(beta_2_, lr), step);
  Tensor one = c(1.0, lr);
  // Bias correction folded into the step size; epsilon stays outside the correction.
  Tensor alpha = ops::divide(ops::multiply(lr, ops::sqrt(ops::subtract(one, beta_2_power))),
                             ops::subtract(one, beta_1_power));
  step_sizes_.emplace_back(lr.node().get(), alpha);
  return alpha;
}

bool Adam::fused_update(const Variable& variable, const Tensor& g, std::size_t i, const Tensor& lr,
                        const Tensor& decay_factor) {
  if (amsgrad_ || (g.dtype() != DType::float32 && g.dtype() != DType::float64)) return false;
  ops::adam_update(variable, momentums_[i], velocities_[i], g, step_size(lr), beta_1_, beta_2_, epsilon_, decay_factor);
  return true;
}

Tensor Adam::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  Tensor alpha = step_size(lr);
  const Variable& m = momentums_[i];
  const Variable& v = velocities_[i];
  Tensor m_new = ops::add(ops::multiply(m, c(beta_1_, g)), ops::multiply(g, c(1.0 - beta_1_, g)));
  Tensor v_new = ops::add(ops::multiply(v, c(beta_2_, g)), ops::multiply(ops::multiply(g, g), c(1.0 - beta_2_, g)));
  ops::assign(m, m_new);
  ops::assign(v, v_new);
  Tensor v_used = v_new;
  if (amsgrad_) {
    const Variable& v_hat = velocity_hats_[i];
    v_used = ops::maximum(v_hat, v_new);
    ops::assign(v_hat, v_used);
  }
  Tensor update = ops::divide(ops::multiply(m_new, alpha), ops::add(ops::sqrt(v_used), c(epsilon_, g)));
  return ops::subtract(value, update);
}

namespace {
OptimizerOptions with_weight_decay(OptimizerOptions options, double weight_decay) {
  options.weight_decay = weight_decay;
  return options;
}
}  // namespace

AdamW::AdamW(LearningRate learning_rate, double weight_decay, double beta_1, double beta_2, double epsilon,
             bool amsgrad, OptimizerOptions options)
    : Adam(std::move(learning_rate), beta_1, beta_2, epsilon, amsgrad, with_weight_decay(std::move(options), weight_decay),
           "AdamW") {}

// ---- Adamax ------------------------------------------------------------------------------------

Adamax::Adamax(LearningRate learning_rate, double beta_1, double beta_2, double epsilon, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Adamax"),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon) {}

void Adamax::build_slots(const std::vector<Variable>& trainable) {
  auto slots = add_optimizer_variables(trainable, {"momentum", "norm"});
  m_ = slots[0];
  u_ = slots[1];
}

Tensor Adamax::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  Tensor beta_1_power = ops::power(c(beta_1_, g), local_step(g.dtype()));
  Tensor m_new = ops::add(ops::multiply(m_[i], c(beta_1_, g)), ops::multiply(g, c(1.0 - beta_1_, g)));
  Tensor u_new = ops::maximum(ops::multiply(u_[i], c(beta_2_, g)), ops::abs(g));
  ops::assign(m_[i], m_new);
  ops::assign(u_[i], u_new);
  Tensor denom = ops::multiply(ops::add(u_new, c(epsilon_, g)), ops::subtract(c(1.0, g), beta_1_power));
  return ops::subtract(value, ops::divide(ops::multiply(m_new, lr), denom));
}

// ---- Nadam -------------------------------------------------------------------------------------

Nadam::Nadam(LearningRate learning_rate, double beta_1, double beta_2, double epsilon, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Nadam"),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon) {}

void Nadam::build_slots(const std::vector<Variable>& trainable) {
  auto slots = add_optimizer_variables(trainable, {"momentum", "velocity"});
  momentums_ = slots[0];
  velocities_ = slots[1];
  const DType dtype = trainable.empty() ? DType::float32 : trainable.front().dtype();
  u_product_ = add_variable(Tensor::scalar(1.0, dtype), "u_product");
}

void Nadam::prepare_step() {
  const DType dtype = u_product_.dtype();
  Tensor decay = Tensor::scalar(0.96, dtype), beta_1 = Tensor::scalar(beta_1_, dtype);
  Tensor one = Tensor::scalar(1.0, dtype), half = Tensor::scalar(0.5, dtype);
  auto momentum_at = [&](const Tensor& step) {
    return ops::multiply(beta_1, ops::subtract(one, ops::multiply(half, ops::power(decay, step))));
  };
  Tensor step = local_step(dtype);
  u_t_ = momentum_at(step);
  u_t_1_ = momentum_at(local_step(dtype, 2));
  u_product_t_ = ops::multiply(u_product_, u_t_);
  u_product_t_1_ = ops::multiply(u_product_t_, u_t_1_);
  beta_2_power_ = ops::power(Tensor::scalar(beta_2_, dtype), step);
  ops::assign(u_product_, u_product_t_);
}

Tensor Nadam::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  auto as_g = [&](const Tensor& t) { return t.dtype() == g.dtype() ? t : ops::cast(t, g.dtype()); };
  Tensor one = c(1.0, g);
  Tensor m_new = ops::add(ops::multiply(momentums_[i], c(beta_1_, g)), ops::multiply(g, c(1.0 - beta_1_, g)));
  Tensor v_new = ops::add(ops::multiply(velocities_[i], c(beta_2_, g)),
                          ops::multiply(ops::multiply(g, g), c(1.0 - beta_2_, g)));
  ops::assign(momentums_[i], m_new);
  ops::assign(velocities_[i], v_new);
  Tensor m_hat = ops::add(
      ops::divide(ops::multiply(m_new, as_g(u_t_1_)), ops::subtract(one, as_g(u_product_t_1_))),
      ops::divide(ops::multiply(g, ops::subtract(one, as_g(u_t_))), ops::subtract(one, as_g(u_product_t_))));
  Tensor v_hat = ops::divide(v_new, ops::subtract(one, as_g(beta_2_power_)));
  return ops::subtract(value, ops::divide(ops::multiply(m_hat, lr), ops::add(ops::sqrt(v_hat), c(epsilon_, g))));
}

// ---- RMSprop -----------------------------------------------------------------------------------

RMSprop::RMSprop(LearningRate learning_rate, double rho, double momentum, double epsilon, bool centered,
                 OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "RMSprop"),
      rho_(rho),
      momentum_(momentum),
      epsilon_(epsilon),
      centered_(centered) {}

void RMSprop::build_slots(const std::vector<Variable>& trainable) {
  // Keras adds each slot kind for all variables in turn (not interleaved).
  velocities_ = add_optimizer_variables(trainable, {"velocity"})[0];
  if (momentum_ > 0) momentums_ = add_optimizer_variables(trainable, {"momentum"})[0];
  if (centered_) average_gradients_ = add_optimizer_variables(trainable, {"average_gradient"})[0];
}

Tensor RMSprop::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  Tensor v_new = ops::add(ops::multiply(velocities_[i], c(rho_, g)), ops::multiply(ops::multiply(g, g), c(1.0 - rho_, g)));
  ops::assign(velocities_[i], v_new);
  Tensor denom = ops::add(v_new, c(epsilon_, g));
  if (centered_) {
    Tensor ag_new = ops::add(ops::multiply(average_gradients_[i], c(rho_, g)), ops::multiply(g, c(1.0 - rho_, g)));
    ops::assign(average_gradients_[i], ag_new);
    denom = ops::subtract(denom, ops::multiply(ag_new, ag_new));
  }
  Tensor increment = ops::divide(ops::multiply(g, lr), ops::sqrt(denom));
  if (momentum_ > 0) {
    Tensor mom_new = ops::add(ops::multiply(momentums_[i], c(momentum_, g)), increment);
    ops::assign(momentums_[i], mom_new);
    return ops::subtract(value, mom_new);
  }
  return ops::subtract(value, increment);
}

// ---- Adagrad -----------------------------------------------------------------------------------

Adagrad::Adagrad(LearningRate learning_rate, double initial_accumulator_value, double epsilon,
                 OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Adagrad"),
      initial_accumulator_value_(initial_accumulator_value),
      epsilon_(epsilon) {}

void Adagrad::build_slots(const std::vector<Variable>& trainable) {
  accumulators_ = add_optimizer_variables(trainable, {"accumulator"}, {initial_accumulator_value_})[0];
}

Tensor Adagrad::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  Tensor acc_new = ops::add(accumulators_[i], ops::multiply(g, g));
  ops::assign(accumulators_[i], acc_new);
  Tensor step = ops::divide(ops::multiply(g, lr), ops::sqrt(ops::add(acc_new, c(epsilon_, g))));
  return ops::subtract(value, step);
}

// ---- Adadelta ----------------------------------------------------------------------------------

Adadelta::Adadelta(LearningRate learning_rate, double rho, double epsilon, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Adadelta"), rho_(rho), epsilon_(epsilon) {}

void Adadelta::build_slots(const std::vector<Variable>& trainable) {
  auto slots = add_optimizer_variables(trainable, {"accumulated_grad", "accumulated_delta_var"});
  accumulated_grads_ = slots[0];
  accumulated_delta_vars_ = slots[1];
}

Tensor Adadelta::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  auto rms = [&](const Tensor& x) { return ops::sqrt(ops::add(x, c(epsilon_, g))); };
  const Variable& acc_grad = accumulated_grads_[i];
  const Variable& acc_delta = accumulated_delta_vars_[i];
  Tensor acc_grad_new = ops::add(ops::multiply(acc_grad, c(rho_, g)), ops::multiply(ops::multiply(g, g), c(1.0 - rho_, g)));
  Tensor delta = ops::negative(ops::divide(ops::multiply(rms(acc_delta), g), rms(acc_grad_new)));
  Tensor acc_delta_new =
      ops::add(ops::multiply(acc_delta, c(rho_, g)), ops::multiply(ops::multiply(delta, delta), c(1.0 - rho_, g)));
  ops::assign(acc_grad, acc_grad_new);
  ops::assign(acc_delta, acc_delta_new);
  return ops::add(value, ops::multiply(delta, lr));
}

// ---- Ftrl --------------------------------------------------------------------------------------

Ftrl::Ftrl(LearningRate learning_rate, FtrlOptions ftrl, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Ftrl"), ftrl_(ftrl) {
  auto require = [](bool ok, const std::string& what, double v) {
    if (!ok) throw ValueError("`" + what + "` needs to be " + (what == "learning_rate_power" ? "negative" : "positive") +
                              " or zero. Received: " + what + "=" + std::to_string(v) + ".");
  };
  require(ftrl.initial_accumulator_value >= 0, "initial_accumulator_value", ftrl.initial_accumulator_value);
  require(ftrl.learning_rate_power <= 0, "learning_rate_power", ftrl.learning_rate_power);
  require(ftrl.l1_regularization_strength >= 0, "l1_regularization_strength", ftrl.l1_regularization_strength);
  require(ftrl.l2_regularization_strength >= 0, "l2_regularization_strength", ftrl.l2_regularization_strength);
  require(ftrl.l2_shrinkage_regularization_strength >= 0, "l2_shrinkage_regularization_strength",
          ftrl.l2_shrinkage_regularization_strength);
}

void Ftrl::build_slots(const std::vector<Variable>& trainable) {
  auto slots = add_optimizer_variables(trainable, {"accumulator", "linear"}, {ftrl_.initial_accumulator_value, 0.0});
  accumulators_ = slots[0];
  linears_ = slots[1];
}

Tensor Ftrl::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  const Variable& accum = accumulators_[i];
  const Variable& linear = linears_[i];
  const double neg_power = -ftrl_.learning_rate_power;
  Tensor l2_reg = ops::add(c(ftrl_.l2_regularization_strength, g),
                           ops::divide(c(ftrl_.beta, g), ops::multiply(c(2.0, g), lr)));
  Tensor grad_to_use = ops::add(g, ops::multiply(c(2.0 * ftrl_.l2_shrinkage_regularization_strength, g), value));
  Tensor new_accum = ops::add(accum, ops::square(g));
  Tensor sigma = ops::divide(ops::subtract(ops::power(new_accum, c(neg_power, g)), ops::power(accum, c(neg_power, g))), lr);
  Tensor linear_new = ops::add(linear, ops::subtract(grad_to_use, ops::multiply(sigma, value)));
  Tensor quadratic = ops::add(ops::divide(ops::power(new_accum, c(neg_power, g)), lr), ops::multiply(c(2.0, g), l2_reg));
  const double l1 = ftrl_.l1_regularization_strength;
  Tensor linear_clipped = ops::clip(linear_new, -l1, l1);
  ops::assign(linear, linear_new);
  ops::assign(accum, new_accum);
  return ops::divide(ops::subtract(linear_clipped, linear_new), quadratic);
}

// ---- Lion --------------------------------------------------------------------------------------

Lion::Lion(LearningRate learning_rate, double beta_1, double beta_2, OptimizerOptions options)
    : Optimizer(std::move(learning_rate), std::move(options), "Lion"), beta_1_(beta_1), beta_2_(beta_2) {
  if (beta_1 <= 0 || beta_1 > 1)
    throw ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to SignSGD. "
                     "Received: beta_1=" + std::to_string(beta_1) + ".");
}

void Lion::build_slots(const std::vector<Variable>& trainable) {
  momentums_ = add_optimizer_variables(trainable, {"momentum"})[0];
}

Tensor Lion::update_step(const Tensor& g, const Tensor& value, std::size_t i, const Tensor& lr) {
  const Variable& m = momentums_[i];
  Tensor direction = ops::add(ops::multiply(m, c(beta_1_, g)), ops::multiply(g, c(1.0 - beta_1_, g)));
  Tensor m_new = ops::add(ops::multiply(m, c(beta_2_, g)), ops::multiply(g, c(1.0 - beta_2_, g)));
  ops::assign(m, m_new);
  return ops::subtract(value, ops::multiply(ops::sign(direction), lr));
}

// ---- configs (keys and order of each class's Keras get_config) ----------------------------------

void SGD::add_config(Config& c) const {
  c["momentum"] = momentum_;
  c["nesterov"] = nesterov_;
}
void Adam::add_config(Config& c) const {
  c["beta_1"] = beta_1_;
  c["beta_2"] = beta_2_;
  c["epsilon"] = epsilon_;
  c["amsgrad"] = amsgrad_;
}
void Adamax::add_config(Config& c) const {
  c["beta_1"] = beta_1_;
  c["beta_2"] = beta_2_;
  c["epsilon"] = epsilon_;
}
void Nadam::add_config(Config& c) const {
  c["beta_1"] = beta_1_;
  c["beta_2"] = beta_2_;
  c["epsilon"] = epsilon_;
}
void RMSprop::add_config(Config& c) const {
  c["rho"] = rho_;
  c["momentum"] = momentum_;
  c["epsilon"] = epsilon_;
  c["centered"] = centered_;
}
void Adagrad::add_config(Config& c) const {
  c["initial_accumulator_value"] = initial_accumulator_value_;
  c["epsilon"] = epsilon_;
}
void Adadelta::add_config(Config& c) const {
  c["rho"] = rho_;
  c["epsilon"] = epsilon_;
}
void Ftrl::add_config(Config& c) const {
  c["learning_rate_power"] = ftrl_.learning_rate_power;
  c["initial_accumulator_value"] = ftrl_.initial_accumulator_value;
  c["l1_regularization_strength"] = ftrl_.l1_regularization_strength;
  c["l2_regularization_strength"] = ftrl_.l2_regularization_strength;
  c["l2_shrinkage_regularization_strength"] = ftrl_.l2_shrinkage_regularization_strength;
  c["beta"] = ftrl_.beta;
}
void Lion::add_config(Config& c) const {
  c["beta_1"] = beta_1_;
  c["beta_2"] = beta_2_;
}

// ---- get ---------------------------------------------------------------------------------------

std::unique_ptr<Optimizer> get(const std::string& identifier) {
  std::string key = identifier;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (key == "sgd") return std::make_unique<SGD>();
  if (key == "adam") return std::make_unique<Adam>();
  if (key == "adamw") return std::make_unique<AdamW>();
  if (key == "adamax") return std::make_unique<Adamax>();
  if (key == "nadam") return std::make_unique<Nadam>();
  if (key == "rmsprop") return std::make_unique<RMSprop>();
  if (key == "adagrad") return std::make_unique<Adagrad>();
  if (key == "adadelta") return std::make_unique<Adadelta>();
  if (key == "ftrl") return std::make_unique<Ftrl>();
  if (key == "lion") return std::make_unique<Lion>();
  throw ValueError("Could not interpret optimizer identifier: " + identifier +
                   ". Expected one of: sgd, adam, adamw, adamax, nadam, rmsprop, adagrad, adadelta, ftrl, lion.");
}

}  // namespace keras::optimizers
