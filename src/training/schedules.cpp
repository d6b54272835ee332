// Learning-rate schedules, in float32 ops as Keras computes them (its schedules convert the
// Python float initial rate to a float32 tensor and cast everything else to that dtype).
#include "keras/training/schedules.h"

#include <cmath>

#include "keras/ops/ops.h"

namespace keras::optimizers::schedules {

namespace {
constexpr DType kF = DType::float32;
Tensor f(double v) { return Tensor::scalar(v, kF); }
Tensor step_f(const Tensor& step) { return step.dtype() == kF ? step : ops::cast(step, kF); }

// Keras users pass step counts as Python ints: keep integral values integral in configs.
Config number(double v) {
  if (v == std::floor(v) && std::abs(v) < 9e15) return Config(static_cast<std::int64_t>(v));
  return Config(v);
}

void require_positive(double v, const char* what, const char* schedule) {
  if (!(v > 0))
    throw ValueError(std::string("Argument `") + what + "` of " + schedule + " must be > 0. Received: " + what + "=" +
                     std::to_string(v));
}
}  // namespace

double LearningRateSchedule::value_at(std::int64_t step) const {
  return (*this)(Tensor::scalar(static_cast<double>(step), DType::int64)).item();
}

ExponentialDecay::ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate,
                                   bool staircase)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
  require_positive(decay_steps, "decay_steps", "ExponentialDecay");
}

Tensor ExponentialDecay::operator()(const Tensor& step) const {
  Tensor p = ops::divide(step_f(step), f(decay_steps_));
  if (staircase_) p = ops::floor(p);
  return ops::multiply(f(initial_), ops::power(f(decay_rate_), p));
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values)
    : boundaries_(std::move(boundaries)), values_(std::move(values)) {
  if (boundaries_.size() + 1 != values_.size())
    throw ValueError("The length of boundaries should be 1 less than the length of values. Received: boundaries of "
                     "length " + std::to_string(boundaries_.size()) + ", and values of length " +
                     std::to_string(values_.size()) + ".");
}

Tensor PiecewiseConstantDecay::operator()(const Tensor& step) const {
  // Boundaries are cast to the step's dtype, as in Keras (an int64 step truncates them).
  auto boundary = [&](std::size_t i) { return Tensor::scalar(boundaries_[i], step.dtype()); };
  auto indicator = [](const Tensor& cond) { return ops::cast(cond, kF); };
  Tensor result = ops::multiply(indicator(ops::less_equal(step, boundary(0))), f(values_.front()));
  result = ops::add(result, ops::multiply(indicator(ops::greater(step, boundary(boundaries_.size() - 1))),
                                          f(values_.back())));
  for (std::size_t i = 0; i + 1 < boundaries_.size(); ++i) {
    Tensor in_range = ops::logical_and(ops::greater(step, boundary(i)), ops::less_equal(step, boundary(i + 1)));
    result = ops::add(result, ops::multiply(indicator(in_range), f(values_[i + 1])));
  }
  return result;
}

PolynomialDecay::PolynomialDecay(double initial_learning_rate, double decay_steps, double end_learning_rate,
                                 double power, bool cycle)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), end_(end_learning_rate), power_(power), cycle_(cycle) {
  require_positive(decay_steps, "decay_steps", "PolynomialDecay");
}

Tensor PolynomialDecay::operator()(const Tensor& step) const {
  Tensor s = step_f(step);
  Tensor decay_steps = f(decay_steps_);
  if (cycle_) {
    // The first multiple of decay_steps not below the step (1 at step 0).
    Tensor multiplier = ops::where(ops::equal(s, f(0.0)), f(1.0), ops::ceil(ops::divide(s, decay_steps)));
    decay_steps = ops::multiply(decay_steps, multiplier);
  } else {
    s = ops::minimum(s, decay_steps);
  }
  Tensor p = ops::divide(s, decay_steps);
  Tensor decayed = ops::multiply(f(initial_ - end_), ops::power(ops::subtract(f(1.0), p), f(power_)));
  return ops::add(decayed, f(end_));
}

InverseTimeDecay::InverseTimeDecay(double initial_learning_rate, double decay_steps, double decay_rate,
                                   bool staircase)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
  require_positive(decay_steps, "decay_steps", "InverseTimeDecay");
}

Tensor InverseTimeDecay::operator()(const Tensor& step) const {
  Tensor p = ops::divide(step_f(step), f(decay_steps_));
  if (staircase_) p = ops::floor(p);
  return ops::divide(f(initial_), ops::add(f(1.0), ops::multiply(f(decay_rate_), p)));
}

CosineDecay::CosineDecay(double initial_learning_rate, double decay_steps, double alpha,
                         std::optional<double> warmup_target, double warmup_steps)
    : initial_(initial_learning_rate),
      decay_steps_(decay_steps),
      alpha_(alpha),
      warmup_target_(warmup_target),
      warmup_steps_(warmup_steps) {
  require_positive(decay_steps, "decay_steps", "CosineDecay");
  if (warmup_target && !(warmup_steps > 0))
    throw ValueError("CosineDecay with a warmup_target needs warmup_steps > 0. Received: warmup_steps=" +
                     std::to_string(warmup_steps));
}

Tensor CosineDecay::operator()(const Tensor& step) const {
  auto decay = [&](const Tensor& s, const Tensor& from_lr) {
    Tensor fraction = ops::divide(s, f(decay_steps_));
    Tensor cosine = ops::multiply(f(0.5), ops::add(f(1.0), ops::cos(ops::multiply(f(M_PI), fraction))));
    Tensor decayed = ops::add(ops::multiply(f(1.0 - alpha_), cosine), f(alpha_));
    return ops::multiply(from_lr, decayed);
  };
  Tensor s = step_f(step);
  if (!warmup_target_) return decay(ops::minimum(s, f(decay_steps_)), f(initial_));
  s = ops::minimum(s, f(decay_steps_ + warmup_steps_));
  Tensor warm = ops::add(ops::multiply(f(*warmup_target_ - initial_), ops::divide(s, f(warmup_steps_))), f(initial_));
  Tensor cooled = decay(ops::subtract(s, f(warmup_steps_)), f(*warmup_target_));
  return ops::where(ops::less(s, f(warmup_steps_)), warm, cooled);
}

CosineDecayRestarts::CosineDecayRestarts(double initial_learning_rate, double first_decay_steps, double t_mul,
                                         double m_mul, double alpha)
    : initial_(initial_learning_rate), first_decay_steps_(first_decay_steps), t_mul_(t_mul), m_mul_(m_mul),
      alpha_(alpha) {
  require_positive(first_decay_steps, "first_decay_steps", "CosineDecayRestarts");
}

Tensor CosineDecayRestarts::operator()(const Tensor& step) const {
  Tensor fraction = ops::divide(step_f(step), f(first_decay_steps_));
  Tensor i_restart;
  if (t_mul_ == 1.0) {
    i_restart = ops::floor(fraction);
    fraction = ops::subtract(fraction, i_restart);
  } else {
    // Periods grow geometrically: restart i starts at (1 - t_mul^i) / (1 - t_mul).
    Tensor t_mul = f(t_mul_);
    i_restart = ops::floor(ops::divide(ops::log(ops::subtract(f(1.0), ops::multiply(fraction, f(1.0 - t_mul_)))),
                                       ops::log(t_mul)));
    Tensor sum_r = ops::divide(ops::subtract(f(1.0), ops::power(t_mul, i_restart)), f(1.0 - t_mul_));
    fraction = ops::divide(ops::subtract(fraction, sum_r), ops::power(t_mul, i_restart));
  }
  Tensor m_fac = ops::power(f(m_mul_), i_restart);
  Tensor cosine = ops::multiply(ops::multiply(f(0.5), m_fac), ops::add(f(1.0), ops::cos(ops::multiply(f(M_PI), fraction))));
  Tensor decayed = ops::add(ops::multiply(f(1.0 - alpha_), cosine), f(alpha_));
  return ops::multiply(f(initial_), decayed);
}

}  // namespace keras::optimizers::schedules

namespace keras::optimizers::schedules {

Config ExponentialDecay::get_config() const {
  return Config{{"initial_learning_rate", initial_},
                {"decay_steps", number(decay_steps_)},
                {"decay_rate", decay_rate_},
                {"staircase", staircase_},
                {"name", "ExponentialDecay"}};
}

Config PiecewiseConstantDecay::get_config() const {
  Config boundaries = Config::array(), values = Config::array();
  for (double b : boundaries_) boundaries.push_back(number(b));
  for (double v : values_) values.push_back(v);
  return Config{{"boundaries", boundaries}, {"values", values}, {"name", "PiecewiseConstant"}};
}

Config PolynomialDecay::get_config() const {
  return Config{{"initial_learning_rate", initial_}, {"decay_steps", number(decay_steps_)},
                {"end_learning_rate", end_},        {"power", power_},
                {"cycle", cycle_},                  {"name", "PolynomialDecay"}};
}

Config InverseTimeDecay::get_config() const {
  return Config{{"initial_learning_rate", initial_},
                {"decay_steps", number(decay_steps_)},
                {"decay_rate", decay_rate_},
                {"staircase", staircase_},
                {"name", "InverseTimeDecay"}};
}

Config CosineDecay::get_config() const {
  return Config{{"initial_learning_rate", initial_},
                {"decay_steps", number(decay_steps_)},
                {"alpha", alpha_},
                {"name", "CosineDecay"},
                {"warmup_target", warmup_target_ ? Config(*warmup_target_) : Config(nullptr)},
                {"warmup_steps", number(warmup_steps_)}};
}

Config CosineDecayRestarts::get_config() const {
  return Config{{"initial_learning_rate", initial_},
                {"first_decay_steps", number(first_decay_steps_)},
                {"t_mul", t_mul_},
                {"m_mul", m_mul_},
                {"alpha", alpha_},
                {"name", "SGDRDecay"}};
}

}  // namespace keras::optimizers::schedules
