#pragma once
/// keras::metrics — stateful metrics with Keras 3's names and formulas.
///
/// A metric keeps its state in float32 Variables (Keras's metric variables). `update_state`
/// is written with ops and Variable::assign, so it runs eagerly or inside a traced step
/// (where the compiled Plan performs the assignments); `result()` reads the state and
/// returns a tensor (a scalar for most metrics); `reset_state()` zeroes it.
///
///   keras::metrics::SparseCategoricalAccuracy acc;
///   acc.update_state(labels, probabilities);
///   double value = acc.result().item();
///
/// compile()'s string resolution lives here too: `get_metric("accuracy", y_true_shape,
/// y_pred_shape)` picks binary / sparse categorical / categorical accuracy from the shapes,
/// as keras/src/trainers/compile_utils.py does.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::metrics {

/// Whether larger values are better (EarlyStopping's "auto" mode reads it).
enum class Direction { up, down, unknown };

class Metric {
 public:
  explicit Metric(std::string name);
  virtual ~Metric() = default;
  Metric(const Metric&) = delete;
  Metric& operator=(const Metric&) = delete;

  /// Accumulates one batch. `sample_weight` (optional) weighs samples.
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight);
  void update_state(const Tensor& y_true, const Tensor& y_pred) { update_state(y_true, y_pred, Tensor()); }
  /// The current value (computed from the state variables).
  virtual Tensor result() const = 0;
  /// Zeroes the state (assigns 0 to every variable).
  virtual void reset_state();

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  virtual std::string class_name() const = 0;
  virtual Direction direction() const { return Direction::unknown; }
  /// State variables in creation order.
  const std::vector<Variable>& variables() const { return variables_; }

 protected:
  Variable add_variable(const Shape& shape, const std::string& name, double init = 0.0);

 private:
  std::string name_;
  std::vector<Variable> variables_;
};

/// Running weighted mean of values (keras.metrics.Mean): total / count.
class Mean : public Metric {
 public:
  explicit Mean(std::string name = "mean");
  /// Values of any shape; each sample (first axis) is reduced to its mean first. With
  /// `sample_weight`, total += sum(value * w) and count += sum(w); without, count += batch.
  /// A scalar `sample_weight` with scalar `values` counts as that many samples (the loss
  /// tracker's batch-size weighting).
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  Tensor result() const override;
  std::string class_name() const override { return "Mean"; }

 protected:
  Variable total_, count_;
};

/// Running sum (keras.metrics.Sum).
class Sum : public Metric {
 public:
  explicit Sum(std::string name = "sum");
  void update_state(const Tensor& values, const Tensor& sample_weight = Tensor());
  Tensor result() const override;
  std::string class_name() const override { return "Sum"; }

 private:
  Variable total_;
};

using MetricFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

/// Mean of a per-sample function of (y_true, y_pred) (keras.metrics.MeanMetricWrapper).
class MeanMetricWrapper : public Mean {
 public:
  MeanMetricWrapper(MetricFunction fn, std::string name, Direction direction = Direction::unknown);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) { update_state(y_true, y_pred, Tensor()); }
  std::string class_name() const override { return "MeanMetricWrapper"; }
  Direction direction() const override { return direction_; }

 private:
  MetricFunction fn_;
  Direction direction_;
};

// ---- per-sample metric functions (keras.metrics.<fn>) -----------------------------------------
Tensor accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold = 0.5);
Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred);
/// 1 where the true class (one-hot y_true) is among the k largest predictions (ties count).
Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k = 5);
Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k = 5);

#define KERAS_WRAPPER_METRIC(Class, default_name)                       \
  class Class : public MeanMetricWrapper {                              \
   public:                                                              \
    explicit Class(std::string name = default_name);                    \
    std::string class_name() const override { return #Class; }         \
  };
KERAS_WRAPPER_METRIC(Accuracy, "accuracy")
KERAS_WRAPPER_METRIC(CategoricalAccuracy, "categorical_accuracy")
KERAS_WRAPPER_METRIC(SparseCategoricalAccuracy, "sparse_categorical_accuracy")
KERAS_WRAPPER_METRIC(MeanSquaredError, "mean_squared_error")
KERAS_WRAPPER_METRIC(MeanAbsoluteError, "mean_absolute_error")
KERAS_WRAPPER_METRIC(MeanAbsolutePercentageError, "mean_absolute_percentage_error")
KERAS_WRAPPER_METRIC(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error")
#undef KERAS_WRAPPER_METRIC

class BinaryAccuracy : public MeanMetricWrapper {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5);
  std::string class_name() const override { return "BinaryAccuracy"; }
};

class TopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit TopKCategoricalAccuracy(int k = 5, std::string name = "top_k_categorical_accuracy");
  std::string class_name() const override { return "TopKCategoricalAccuracy"; }
};

class SparseTopKCategoricalAccuracy : public MeanMetricWrapper {
 public:
  explicit SparseTopKCategoricalAccuracy(int k = 5, std::string name = "sparse_top_k_categorical_accuracy");
  std::string class_name() const override { return "SparseTopKCategoricalAccuracy"; }
};

/// sqrt of the running mean of squared errors.
class RootMeanSquaredError : public Mean {
 public:
  explicit RootMeanSquaredError(std::string name = "root_mean_squared_error");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  void update_state(const Tensor& y_true, const Tensor& y_pred) { update_state(y_true, y_pred, Tensor()); }
  Tensor result() const override;
  std::string class_name() const override { return "RootMeanSquaredError"; }
  Direction direction() const override { return Direction::down; }
};

/// Coefficient of determination over (batch, outputs) data; class_aggregation is
/// "uniform_average" (default), "variance_weighted_average" or "" (per output).
class R2Score : public Metric {
 public:
  explicit R2Score(std::string class_aggregation = "uniform_average", int num_regressors = 0,
                   std::string name = "r2_score");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "R2Score"; }
  Direction direction() const override { return Direction::up; }

 private:
  std::string class_aggregation_;
  int num_regressors_;
  Variable num_samples_, squared_sum_, sum_, total_mse_, count_;
  bool built_ = false;
};

/// Precision, Recall and AUC without a name take Keras's auto-name: "precision", then
/// "precision_1", ... (counters shared with layers, reset by keras::clear_session()).
///
/// Precision = TP / (TP + FP) at one or more thresholds (prediction > threshold is
/// positive). `class_id` restricts to one column; `top_k` keeps only each row's k largest
/// predictions. With one threshold the result is a scalar, else one value per threshold.
class Precision : public Metric {
 public:
  explicit Precision(std::vector<double> thresholds = {}, std::optional<int> top_k = std::nullopt,
                     std::optional<int> class_id = std::nullopt, std::string name = "");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "Precision"; }
  Direction direction() const override { return Direction::up; }

 private:
  std::vector<double> thresholds_;
  std::optional<int> top_k_, class_id_;
  Variable true_positives_, false_positives_;
};

class Recall : public Metric {
 public:
  explicit Recall(std::vector<double> thresholds = {}, std::optional<int> top_k = std::nullopt,
                  std::optional<int> class_id = std::nullopt, std::string name = "");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "Recall"; }
  Direction direction() const override { return Direction::up; }

 private:
  std::vector<double> thresholds_;
  std::optional<int> top_k_, class_id_;
  Variable true_positives_, false_negatives_;
};

/// Area under the ROC or PR curve from a confusion matrix at num_thresholds thresholds
/// (evenly spaced in [0, 1], plus -eps and 1+eps at the ends), summed by "interpolation"
/// (default; PR uses Davis & Goadrich's interpolation), "minoring" or "majoring".
class AUC : public Metric {
 public:
  explicit AUC(int num_thresholds = 200, std::string curve = "ROC", std::string summation_method = "interpolation",
               std::string name = "", bool from_logits = false);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "AUC"; }
  Direction direction() const override { return Direction::up; }
  const std::vector<double>& thresholds() const { return thresholds_; }

 private:
  Tensor interpolate_pr_auc() const;
  int num_thresholds_;
  std::string curve_, summation_method_;
  bool from_logits_;
  std::vector<double> thresholds_;
  Variable true_positives_, false_positives_, true_negatives_, false_negatives_;
};

/// F-beta score over (batch, classes) data. average: "" (per class), "micro", "macro" or
/// "weighted". Without threshold, each row's maximum is the predicted class.
class FBetaScore : public Metric {
 public:
  explicit FBetaScore(std::string average = "", double beta = 1.0, std::optional<double> threshold = std::nullopt,
                      std::string name = "fbeta_score");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) override;
  using Metric::update_state;
  Tensor result() const override;
  std::string class_name() const override { return "FBetaScore"; }
  Direction direction() const override { return Direction::up; }

 private:
  std::string average_;
  double beta_;
  std::optional<double> threshold_;
  Variable true_positives_, false_positives_, false_negatives_, intermediate_weights_;
  bool built_ = false;
};

class F1Score : public FBetaScore {
 public:
  explicit F1Score(std::string average = "", std::optional<double> threshold = std::nullopt,
                   std::string name = "f1_score");
  std::string class_name() const override { return "F1Score"; }
};

/// keras.metrics.get for a string: class names ("AUC", "Precision", ...), their snake_case
/// ("auc", "precision", "categorical_accuracy", ...) and aliases ("mse", "MSE", "mae",
/// "mape", "msle", ...). The metric is named after the identifier (compile's behaviour).
/// "accuracy"/"acc" give Accuracy here; use get_metric for compile's resolution.
std::shared_ptr<Metric> get(const std::string& identifier);

/// Which accuracy compile() picks for "accuracy"/"acc" (from the shapes only, like Keras 3).
enum class AccuracyKind { binary, sparse_categorical, categorical };
AccuracyKind resolve_accuracy(const Shape& y_true_shape, const Shape& y_pred_shape);

/// compile()'s metric resolution: "accuracy"/"acc" -> BinaryAccuracy,
/// SparseCategoricalAccuracy or CategoricalAccuracy by shapes (named "accuracy"/"acc");
/// anything else as `get`.
std::shared_ptr<Metric> get_metric(const std::string& identifier, const Shape& y_true_shape, const Shape& y_pred_shape);

/// Reduces a metric result to one number for logs: the value of a scalar, else the mean
/// (as the progress bar shows an array-valued metric).
double result_to_double(const Tensor& result);

}  // namespace keras::metrics
