#pragma once
/// keras::optimizers::schedules — learning-rate schedules (Keras 3's
/// keras/src/optimizers/schedules/learning_rate_schedule.py).
///
/// A schedule maps the optimizer's step (its int64 `iterations` variable) to a float32
/// learning rate. It is written with ops, so a traced train step computes the rate in-graph
/// from the live step counter.
///
///   auto lr = std::make_shared<keras::optimizers::schedules::ExponentialDecay>(0.1, 1000, 0.96);
///   keras::optimizers::SGD sgd(lr);
///   double at_step_500 = lr->value_at(500);
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::optimizers::schedules {

using Config = nlohmann::ordered_json;

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate (float32 scalar) at `step` (any numeric scalar tensor).
  virtual Tensor operator()(const Tensor& step) const = 0;
  virtual std::string class_name() const = 0;
  /// Keras's get_config() (integral step counts as integers, like the ints Keras users pass).
  virtual Config get_config() const = 0;
  /// Convenience: the rate at a concrete step.
  double value_at(std::int64_t step) const;
};

/// initial * decay_rate ^ (step / decay_steps), the exponent floored when staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "ExponentialDecay"; }
  Config get_config() const override;

 private:
  double initial_, decay_steps_, decay_rate_;
  bool staircase_;
};

/// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <=
/// boundaries[i], values.back() after. Needs values.size() == boundaries.size() + 1.
class PiecewiseConstantDecay : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::vector<double> boundaries, std::vector<double> values);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  Config get_config() const override;

 private:
  std::vector<double> boundaries_, values_;
};

/// (initial - end) * (1 - step/decay_steps)^power + end; with cycle, decay_steps grows to
/// the next multiple covering step.
class PolynomialDecay : public LearningRateSchedule {
 public:
  PolynomialDecay(double initial_learning_rate, double decay_steps, double end_learning_rate = 0.0001,
                  double power = 1.0, bool cycle = false);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "PolynomialDecay"; }
  Config get_config() const override;

 private:
  double initial_, decay_steps_, end_, power_;
  bool cycle_;
};

/// initial / (1 + decay_rate * step / decay_steps), the ratio floored when staircase.
class InverseTimeDecay : public LearningRateSchedule {
 public:
  InverseTimeDecay(double initial_learning_rate, double decay_steps, double decay_rate, bool staircase = false);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "InverseTimeDecay"; }
  Config get_config() const override;

 private:
  double initial_, decay_steps_, decay_rate_;
  bool staircase_;
};

/// Cosine decay from the initial rate (or, with warmup_target, a linear warmup from the
/// initial rate to warmup_target over warmup_steps, then cosine decay from warmup_target)
/// down to alpha times that rate.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, double decay_steps, double alpha = 0.0,
              std::optional<double> warmup_target = std::nullopt, double warmup_steps = 0);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "CosineDecay"; }
  Config get_config() const override;

 private:
  double initial_, decay_steps_, alpha_;
  std::optional<double> warmup_target_;
  double warmup_steps_;
};

/// SGDR: cosine decay restarted every period, periods growing by t_mul and peaks by m_mul.
class CosineDecayRestarts : public LearningRateSchedule {
 public:
  CosineDecayRestarts(double initial_learning_rate, double first_decay_steps, double t_mul = 2.0, double m_mul = 1.0,
                      double alpha = 0.0);
  Tensor operator()(const Tensor& step) const override;
  std::string class_name() const override { return "CosineDecayRestarts"; }
  Config get_config() const override;

 private:
  double initial_, first_decay_steps_, t_mul_, m_mul_, alpha_;
};

}  // namespace keras::optimizers::schedules
