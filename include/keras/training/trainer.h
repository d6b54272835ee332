#pragma once
/// Keras's training loop: what `model.compile`, `fit`, `evaluate`, `predict`,
/// `train_on_batch`, `test_on_batch` and `predict_on_batch` take, and the Trainer behind them
/// (keras/src/trainers/trainer.py, compile_utils.py and the torch backend's trainer.py).
///
///   model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
///   keras::callbacks::History history = model.fit(x, y, {.batch_size = 32, .epochs = 10, .validation_split = 0.1});
///   double last = history["val_accuracy"].back();
///   keras::callbacks::Logs scores = model.evaluate(x_test, y_test);      // {"accuracy": ..., "loss": ...}
///   keras::Tensor probabilities = model.predict(x_test, {.batch_size = 256});
///
/// As in Keras:
///   - compile() resolves the optimizer name ("rmsprop" by default) and keeps the losses and
///     metrics; strings that depend on the data ("accuracy", "crossentropy") are resolved from
///     the shapes of y and of the model's outputs at the first fit/evaluate/train_on_batch.
///   - One loss for all outputs, a list (one per output, in output order) or a map keyed by
///     output layer name; `loss_weights` likewise. The loss is the weighted sum; with several
///     losses each output's (unweighted) loss is also logged as "<output>_loss".
///   - Logs hold running means over the epoch so far: "loss" is the batch-size-weighted mean
///     of the pre-update batch losses; metrics are named as compiled ("accuracy", "mae"),
///     prefixed by the output name when the model has several outputs; validation adds "val_".
///   - The training step (forward in training mode, loss, gradients, optimizer update, loss
///     tracker and metric updates) is traced once per batch shape into one compiled Plan
///     (the last, smaller batch gets its own); evaluation and prediction have their own Plans.
///   - fit shuffles the samples at every epoch (shuffle=true), takes the validation split from
///     the end of the data before shuffling, converts class_weight to sample weights, and
///     stops after the batch or epoch in which a callback sets stop_training.
///
/// Errors (typed, with Keras's wording where Keras has one): fit/evaluate/train_on_batch
/// before compile (ValueError); arrays whose sample counts differ ("Data cardinality is
/// ambiguous", ValueError); the wrong number of x or y arrays; sparse labels outside
/// [0, classes); targets whose shape does not fit the loss and the output (ValueError from
/// the loss, naming both shapes, before any batch runs); NaN losses are not errors (logs show
/// nan; callbacks::TerminateOnNaN stops training).
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "keras/core/tensor.h"
#include "keras/layers/layer.h"
#include "keras/training/callbacks.h"
#include "keras/training/losses.h"
#include "keras/training/metrics.h"
#include "keras/training/optimizers.h"

namespace keras {
class Model;
}

namespace keras::training {

/// The data arrays of one argument (x, y): one per model input or output, samples along the
/// first axis. Converts from one tensor or a list of tensors.
class Arrays : public std::vector<Tensor> {
 public:
  Arrays() = default;
  Arrays(const Tensor& array) : std::vector<Tensor>{array} {}                  // NOLINT(google-explicit-constructor)
  Arrays(std::vector<Tensor> arrays) : std::vector<Tensor>(std::move(arrays)) {}  // NOLINT(google-explicit-constructor)
  Arrays(std::initializer_list<Tensor> arrays) : std::vector<Tensor>(arrays) {}
};

/// An optimizer name ("sgd", "adam", "rmsprop", ... with Keras's defaults) or object.
class OptimizerArg {
 public:
  OptimizerArg(const char* name) : name_(name) {}         // NOLINT(google-explicit-constructor)
  OptimizerArg(std::string name) : name_(std::move(name)) {}  // NOLINT(google-explicit-constructor)
  template <typename O, typename = std::enable_if_t<std::is_base_of_v<optimizers::Optimizer, O>>>
  OptimizerArg(std::shared_ptr<O> optimizer) : optimizer_(std::move(optimizer)) {}  // NOLINT(google-explicit-constructor)
  template <typename O, typename = std::enable_if_t<std::is_base_of_v<optimizers::Optimizer, O>>>
  OptimizerArg(std::unique_ptr<O> optimizer) : optimizer_(std::move(optimizer)) {}  // NOLINT(google-explicit-constructor)
  /// The object, or a new one from the name (ValueError for unknown names or a null object).
  std::shared_ptr<optimizers::Optimizer> resolve() const;

 private:
  std::string name_;
  std::shared_ptr<optimizers::Optimizer> optimizer_;
};

/// One loss: a name ("mse", "crossentropy", "sparse_categorical_crossentropy", ...), a Loss
/// object, or a function of (y_true, y_pred) returning per-sample values. Default: no loss
/// (for an output that is not trained).
class LossArg {
 public:
  LossArg() = default;
  LossArg(const char* name) : name_(name) {}         // NOLINT(google-explicit-constructor)
  LossArg(std::string name) : name_(std::move(name)) {}  // NOLINT(google-explicit-constructor)
  template <typename L, typename = std::enable_if_t<std::is_base_of_v<losses::Loss, L>>>
  LossArg(std::shared_ptr<L> loss) : loss_(std::move(loss)) {}  // NOLINT(google-explicit-constructor)
  LossArg(losses::LossFunction fn, std::string name = "loss_function");  // NOLINT(google-explicit-constructor)
  bool empty() const { return name_.empty() && !loss_; }
  /// The identifier when given as a string (empty for objects and functions).
  const std::string& name() const { return name_; }
  /// The Loss for an output: objects as given, names through losses::resolve.
  std::shared_ptr<losses::Loss> resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const;
  std::string to_string() const;

 private:
  std::string name_;
  std::shared_ptr<losses::Loss> loss_;
};

/// compile's `loss`: one loss for every output, a list with one per output, or a map from
/// output layer names.
class LossSpec {
 public:
  LossSpec() = default;
  template <typename T, typename = std::enable_if_t<std::is_constructible_v<LossArg, T&&> &&
                                                    !std::is_same_v<std::decay_t<T>, LossSpec>>>
  LossSpec(T&& loss) : single_(LossArg(std::forward<T>(loss))) {}  // NOLINT(google-explicit-constructor)
  LossSpec(std::initializer_list<LossArg> per_output) : list_(per_output), is_list_(true) {}
  LossSpec(std::vector<LossArg> per_output) : list_(std::move(per_output)), is_list_(true) {}  // NOLINT
  LossSpec(std::map<std::string, LossArg> by_output) : map_(std::move(by_output)), is_map_(true) {}  // NOLINT
  bool empty() const { return !single_ && !is_list_ && !is_map_; }
  const std::optional<LossArg>& single() const { return single_; }
  bool is_list() const { return is_list_; }
  const std::vector<LossArg>& list() const { return list_; }
  bool is_map() const { return is_map_; }
  const std::map<std::string, LossArg>& map() const { return map_; }

 private:
  std::optional<LossArg> single_;
  std::vector<LossArg> list_;
  std::map<std::string, LossArg> map_;
  bool is_list_ = false, is_map_ = false;
};

/// compile's `loss_weights`: one number (single output), a list (one per loss, in output
/// order) or a map from output names.
class LossWeights {
 public:
  LossWeights() = default;
  LossWeights(double weight) : list_{weight}, set_(true) {}  // NOLINT(google-explicit-constructor)
  LossWeights(std::initializer_list<double> weights) : list_(weights), set_(true) {}
  LossWeights(std::vector<double> weights) : list_(std::move(weights)), set_(true) {}  // NOLINT
  LossWeights(std::map<std::string, double> by_output) : map_(std::move(by_output)), set_(true), is_map_(true) {}  // NOLINT
  bool empty() const { return !set_; }
  bool is_map() const { return is_map_; }
  const std::vector<double>& list() const { return list_; }
  const std::map<std::string, double>& map() const { return map_; }

 private:
  std::vector<double> list_;
  std::map<std::string, double> map_;
  bool set_ = false, is_map_ = false;
};

/// One metric: a name ("accuracy", "mae", "auc", ...) or a Metric object.
class MetricArg {
 public:
  MetricArg(const char* name) : name_(name) {}         // NOLINT(google-explicit-constructor)
  MetricArg(std::string name) : name_(std::move(name)) {}  // NOLINT(google-explicit-constructor)
  template <typename M, typename = std::enable_if_t<std::is_base_of_v<metrics::Metric, M>>>
  MetricArg(std::shared_ptr<M> metric) : metric_(std::move(metric)) {}  // NOLINT(google-explicit-constructor)
  /// The Metric for an output: objects as given, names through metrics::get_metric (named
  /// after the string, as compile does).
  std::shared_ptr<metrics::Metric> resolve(const Shape& y_true_shape, const Shape& y_pred_shape) const;

 private:
  std::string name_;
  std::shared_ptr<metrics::Metric> metric_;
};

/// compile's `metrics` / `weighted_metrics`: a list (every metric for the single output; with
/// several outputs, one entry per output), per-output lists, or a map from output names.
class MetricsSpec {
 public:
  MetricsSpec() = default;
  MetricsSpec(std::initializer_list<MetricArg> metrics) : flat_(metrics) {}
  MetricsSpec(std::vector<MetricArg> metrics) : flat_(std::move(metrics)) {}  // NOLINT(google-explicit-constructor)
  MetricsSpec(std::vector<std::vector<MetricArg>> per_output)  // NOLINT(google-explicit-constructor)
      : per_output_(std::move(per_output)), is_per_output_(true) {}
  MetricsSpec(std::map<std::string, std::vector<MetricArg>> by_output)  // NOLINT(google-explicit-constructor)
      : map_(std::move(by_output)), is_map_(true) {}
  bool empty() const { return flat_.empty() && !is_per_output_ && !is_map_; }
  const std::vector<MetricArg>& flat() const { return flat_; }
  bool is_per_output() const { return is_per_output_; }
  const std::vector<std::vector<MetricArg>>& per_output() const { return per_output_; }
  bool is_map() const { return is_map_; }
  const std::map<std::string, std::vector<MetricArg>>& map() const { return map_; }

 private:
  std::vector<MetricArg> flat_;
  std::vector<std::vector<MetricArg>> per_output_;
  std::map<std::string, std::vector<MetricArg>> map_;
  bool is_per_output_ = false, is_map_ = false;
};

struct CompileOptions {
  OptimizerArg optimizer = "rmsprop";
  LossSpec loss{};
  LossWeights loss_weights{};
  MetricsSpec metrics{};
  /// Metrics that also receive the sample weights (sample_weight / class_weight).
  MetricsSpec weighted_metrics{};
};

/// fit's validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val).
struct ValidationData {
  Arrays x;
  Arrays y;
  Tensor sample_weight{};
};

using CallbackPtr = std::shared_ptr<callbacks::Callback>;

struct FitOptions {
  std::int64_t batch_size = 32;
  int epochs = 1;
  /// 0 silent, 1 progress bar, 2 one line per epoch (Keras's "auto" is 1).
  int verbose = 1;
  std::vector<CallbackPtr> callbacks{};
  /// Fraction of the samples, taken from the end before shuffling, used for validation.
  double validation_split = 0.0;
  /// Overrides validation_split.
  std::optional<ValidationData> validation_data{};
  bool shuffle = true;
  /// Epoch to start at (epochs counts from 0, so fit runs epochs initial_epoch..epochs-1).
  int initial_epoch = 0;
  /// Class index -> weight of its samples' loss (single-output models).
  std::map<int, double> class_weight{};
  /// One weight per sample (or per sample and timestep), applied to the loss and to the
  /// weighted metrics.
  Tensor sample_weight{};
  /// Validation batch size (default: batch_size) and frequency (every n-th epoch).
  std::optional<std::int64_t> validation_batch_size{};
  int validation_freq = 1;
  /// keras.cpp: the seed of the per-epoch shuffles (default: a random one).
  std::optional<std::uint64_t> seed{};
};

struct EvaluateOptions {
  std::int64_t batch_size = 32;
  int verbose = 1;
  Tensor sample_weight{};
  std::vector<CallbackPtr> callbacks{};
};

struct PredictOptions {
  std::int64_t batch_size = 32;
  int verbose = 1;
  std::vector<CallbackPtr> callbacks{};
};

/// train_on_batch / test_on_batch (test_on_batch ignores class_weight).
struct BatchOptions {
  Tensor sample_weight{};
  std::map<int, double> class_weight{};
};

/// The training state of one model: compile's optimizer, losses and metrics, the compiled
/// step functions and the loops. Model's compile/fit/... forward here; the trainer is also
/// the model that callbacks see (weights, learning rate, stop_training).
class Trainer : public callbacks::CallbackModel {
 public:
  explicit Trainer(Model& model);
  ~Trainer() override;
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  void compile(const CompileOptions& options);
  bool compiled() const;
  /// The compiled optimizer (nullptr before compile).
  std::shared_ptr<optimizers::Optimizer> optimizer() const;
  /// The arguments compile() received (what saving writes as the compile_config).
  const CompileOptions& compile_options() const;

  callbacks::History fit(const Arrays& x, const Arrays& y, const FitOptions& options);
  callbacks::Logs evaluate(const Arrays& x, const Arrays& y, const EvaluateOptions& options);
  Outputs predict(const Arrays& x, const PredictOptions& options);
  callbacks::Logs train_on_batch(const Arrays& x, const Arrays& y, const BatchOptions& options);
  callbacks::Logs test_on_batch(const Arrays& x, const Arrays& y, const BatchOptions& options);
  Outputs predict_on_batch(const Arrays& x);
  /// The same for a model of one input, without building a list of arrays (a serving
  /// loop's per-call cost).
  Outputs predict_on_batch(const Tensor& x);

  /// Keras's model.metrics: the loss tracker, the compiled metrics, then the per-output loss
  /// trackers (the compiled ones exist from the first fit/evaluate/train_on_batch on).
  std::vector<std::shared_ptr<metrics::Metric>> metrics() const;
  /// The log names, in that order ("loss", "accuracy", "val_" excluded).
  std::vector<std::string> metrics_names() const;
  void reset_metrics();
  /// Number of times the train step has been traced (one per batch shape seen).
  int num_train_traces() const;

  // ---- callbacks::CallbackModel ----
  std::vector<Tensor> get_weights() const override;
  void set_weights(const std::vector<Tensor>& weights) override;
  double learning_rate() const override;
  void set_learning_rate(double value) override;
  metrics::Direction metric_direction(const std::string& name) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keras::training
