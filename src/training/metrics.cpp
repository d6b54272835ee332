// Reduction metrics (Mean, Sum, MeanMetricWrapper), accuracy metrics, regression metrics and
// the string registry (keras/src/metrics/{reduction,accuracy,regression}_metrics.py).
#include "keras/training/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "training_utils.h"

namespace keras::metrics {

using namespace keras::training_detail;
using losses::squeeze_or_expand_to_same_rank;

namespace {

std::vector<int> axes_from(int first, int rank) {
  std::vector<int> axes;
  for (int i = first; i < rank; ++i) axes.push_back(i);
  return axes;
}

// keras reduce_to_samplewise_values: one value per sample (first axis), weighted.
std::pair<Tensor, Tensor> reduce_to_samplewise_values(const Tensor& values_in, const Tensor& sample_weight_in,
                                                      bool use_sum) {
  auto reduce = [use_sum](const Tensor& x, const std::vector<int>& axes) {
    return use_sum ? ops::sum(x, axes) : ops::mean(x, axes);
  };
  Tensor values = to_float(values_in);
  Tensor sample_weight;
  if (sample_weight_in.defined()) {
    auto [v, sw] = squeeze_or_expand_to_same_rank(values, to_float(sample_weight_in));
    values = v;
    const int weight_ndim = sw.rank();
    if (values.rank() > weight_ndim) values = reduce(values, axes_from(weight_ndim, values.rank()));
    // Broadcasting the weight first matters: a scalar weight counts once per sample.
    sw = ops::multiply(sw, ops::ones_like(values));
    values = ops::multiply(values, sw);
    if (weight_ndim > 1) sw = reduce(sw, axes_from(1, weight_ndim));
    sample_weight = sw;
  }
  if (values.rank() > 1) values = reduce(values, axes_from(1, values.rank()));
  return {values, sample_weight};
}

Tensor float_equal(const Tensor& a, const Tensor& b) { return ops::cast(ops::equal(a, b), DType::float32); }

// Keras's ops.in_top_k: the target's prediction is >= the k-th largest (ties count).
Tensor in_top_k(const Tensor& targets, const Tensor& predictions, int k) {
  const std::int64_t num_classes = predictions.shape()[-1];
  if (k >= num_classes && num_classes > 0) return ops::ones(targets.shape(), DType::float32);
  Tensor one_hot = ops::one_hot(is_integer(targets.dtype()) ? targets : ops::cast(targets, DType::int32),
                                static_cast<int>(num_classes), predictions.dtype());
  Tensor target_value = ops::sum(ops::multiply(predictions, one_hot), -1, /*keepdims=*/true);
  Tensor greater_count = ops::sum(ops::cast(ops::greater(predictions, target_value), predictions.dtype()), -1);
  return ops::cast(ops::less(greater_count, scalar_like(k, greater_count)), DType::float32);
}

Tensor float_pred(const Tensor& y_pred) { return is_floating(y_pred.dtype()) ? y_pred : ops::cast(y_pred, DType::float32); }

}  // namespace

// ---- Metric base -------------------------------------------------------------------------------

Metric::Metric(std::string name) : name_(std::move(name)) {}

void Metric::update_state(const Tensor&, const Tensor&, const Tensor&) {
  throw NotImplementedError("Metric '" + name_ + "' (" + class_name() +
                            ") is not updated from (y_true, y_pred): call its own update_state(values, "
                            "sample_weight).");
}

void Metric::reset_state() {
  for (auto& v : variables_) v.assign(ops::zeros(v.shape(), v.dtype()));
}

Variable Metric::add_variable(const Shape& shape, const std::string& name, double init) {
  Variable v(ops::full(shape, init, DType::float32), name, /*trainable=*/false);
  variables_.push_back(v);
  return v;
}

// ---- Mean / Sum / MeanMetricWrapper --------------------------------------------------------------

Mean::Mean(std::string name) : Metric(std::move(name)) {
  total_ = add_variable(Shape{}, "total");
  count_ = add_variable(Shape{}, "count");
}

void Mean::update_state(const Tensor& values_in, const Tensor& sample_weight_in) {
  auto [values, sample_weight] = reduce_to_samplewise_values(values_in, sample_weight_in, /*use_sum=*/false);
  Tensor num_samples;
  if (sample_weight.defined()) num_samples = ops::sum(sample_weight);
  else if (values.rank() >= 1) num_samples = known(values) ? count_like(values, total_) : ops::sum(ops::ones_like(values));
  else num_samples = Tensor::scalar(1.0, DType::float32);
  ops::assign(total_, ops::add(total_, ops::sum(values)));
  ops::assign(count_, ops::add(count_, num_samples));
}

Tensor Mean::result() const { return divide_no_nan(total_, count_); }

Sum::Sum(std::string name) : Metric(std::move(name)) { total_ = add_variable(Shape{}, "total"); }

void Sum::update_state(const Tensor& values_in, const Tensor& sample_weight) {
  Tensor values = reduce_to_samplewise_values(values_in, sample_weight, /*use_sum=*/true).first;
  ops::assign(total_, ops::add(total_, ops::sum(values)));
}

Tensor Sum::result() const { return total_; }

MeanMetricWrapper::MeanMetricWrapper(MetricFunction fn, std::string name, Direction direction)
    : Mean(std::move(name)), fn_(std::move(fn)), direction_(direction) {
  if (!fn_) throw ValueError("MeanMetricWrapper needs a function. Received: an empty std::function");
}

void MeanMetricWrapper::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Mean::update_state(fn_(y_true, y_pred), sample_weight);
}

// ---- accuracy functions ----------------------------------------------------------------------

Tensor accuracy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor p = float_pred(y_pred);
  auto [t, p2] = squeeze_or_expand_to_same_rank(to_float(y_true, p.dtype()), p);
  return float_equal(t, p2);
}

Tensor binary_accuracy(const Tensor& y_true, const Tensor& y_pred, double threshold) {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, float_pred(y_pred));
  Tensor predicted = ops::cast(ops::greater(p, scalar_like(threshold, p)), t.dtype());
  return float_equal(t, predicted);
}

Tensor categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor true_index = ops::argmax(y_true, -1);
  Tensor pred_index = ops::argmax(y_pred, -1);
  const Shape original = true_index.shape();
  bool reshape_matches = false;
  if (true_index.rank() == y_pred.rank()) {
    true_index = ops::squeeze(true_index, ops::Axes{-1});
    reshape_matches = true;
  }
  Tensor matches = float_equal(true_index, pred_index);
  return reshape_matches ? ops::reshape(matches, original) : matches;
}

Tensor sparse_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor p = float_pred(y_pred);
  Tensor t = to_float(y_true, p.dtype());
  const Shape original = t.shape();
  bool reshape_matches = false;
  if (t.rank() == p.rank() && t.shape()[-1] == 1) {
    t = ops::squeeze(t, ops::Axes{-1});
    reshape_matches = true;
  }
  Tensor pred_index = ops::cast(ops::argmax(p, -1), t.dtype());
  Tensor matches = float_equal(t, pred_index);
  if (reshape_matches) matches = ops::reshape(matches, original);
  if (matches.rank() > 1 && matches.shape()[-1] == 1) matches = ops::squeeze(matches, ops::Axes{-1});
  return matches;
}

namespace {
Tensor top_k_impl(Tensor targets, Tensor predictions, int k) {
  const Shape original = targets.shape();
  bool reshape_matches = false;
  if (predictions.rank() > 2) predictions = ops::reshape(predictions, Shape{-1, predictions.shape()[-1]});
  if (targets.rank() > 1) {
    reshape_matches = true;
    targets = ops::reshape(targets, Shape{-1});
  }
  Tensor matches = in_top_k(targets, predictions, k);
  return reshape_matches ? ops::reshape(matches, original) : matches;
}
}  // namespace

Tensor top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k) {
  return top_k_impl(ops::argmax(y_true, -1), float_pred(y_pred), k);
}

Tensor sparse_top_k_categorical_accuracy(const Tensor& y_true, const Tensor& y_pred, int k) {
  Tensor t = is_integer(y_true.dtype()) ? y_true : ops::cast(y_true, DType::int32);
  return top_k_impl(t, float_pred(y_pred), k);
}

#define KERAS_WRAPPER_METRIC_IMPL(Class, fn, direction) \
  Class::Class(std::string name) : MeanMetricWrapper(fn, std::move(name), direction) {}
KERAS_WRAPPER_METRIC_IMPL(Accuracy, accuracy, Direction::up)
KERAS_WRAPPER_METRIC_IMPL(CategoricalAccuracy, categorical_accuracy, Direction::up)
KERAS_WRAPPER_METRIC_IMPL(SparseCategoricalAccuracy, sparse_categorical_accuracy, Direction::up)
KERAS_WRAPPER_METRIC_IMPL(MeanSquaredError, losses::mean_squared_error, Direction::down)
KERAS_WRAPPER_METRIC_IMPL(MeanAbsoluteError, losses::mean_absolute_error, Direction::down)
KERAS_WRAPPER_METRIC_IMPL(MeanAbsolutePercentageError, losses::mean_absolute_percentage_error, Direction::down)
KERAS_WRAPPER_METRIC_IMPL(MeanSquaredLogarithmicError, losses::mean_squared_logarithmic_error, Direction::down)
#undef KERAS_WRAPPER_METRIC_IMPL

BinaryAccuracy::BinaryAccuracy(std::string name, double threshold)
    : MeanMetricWrapper([threshold](const Tensor& t, const Tensor& p) { return binary_accuracy(t, p, threshold); },
                        std::move(name), Direction::up) {}

TopKCategoricalAccuracy::TopKCategoricalAccuracy(int k, std::string name)
    : MeanMetricWrapper([k](const Tensor& t, const Tensor& p) { return top_k_categorical_accuracy(t, p, k); },
                        std::move(name), Direction::up) {}

SparseTopKCategoricalAccuracy::SparseTopKCategoricalAccuracy(int k, std::string name)
    : MeanMetricWrapper([k](const Tensor& t, const Tensor& p) { return sparse_top_k_categorical_accuracy(t, p, k); },
                        std::move(name), Direction::up) {}

// ---- regression ------------------------------------------------------------------------------

RootMeanSquaredError::RootMeanSquaredError(std::string name) : Mean(std::move(name)) {}

void RootMeanSquaredError::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  auto [t, p] = squeeze_or_expand_to_same_rank(to_float(y_true), to_float(y_pred));
  Mean::update_state(ops::square(ops::subtract(p, t)), sample_weight);
}

Tensor RootMeanSquaredError::result() const { return ops::sqrt(Mean::result()); }

R2Score::R2Score(std::string class_aggregation, int num_regressors, std::string name)
    : Metric(std::move(name)), class_aggregation_(std::move(class_aggregation)), num_regressors_(num_regressors) {
  if (class_aggregation_ != "uniform_average" && class_aggregation_ != "variance_weighted_average" &&
      !class_aggregation_.empty())
    throw ValueError("Invalid value for argument `class_aggregation`. Expected one of {'', 'uniform_average', "
                     "'variance_weighted_average'}. Received: class_aggregation=" + class_aggregation_);
  if (num_regressors < 0)
    throw ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors=" +
                     std::to_string(num_regressors));
  num_samples_ = add_variable(Shape{}, "num_samples");
}

void R2Score::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  auto [t, p] = squeeze_or_expand_to_same_rank(to_float(y_true), to_float(y_pred));
  if (!built_) {
    if (t.rank() != 2 || p.rank() != 2 || p.shape()[-1] < 0)
      throw ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim fully defined. "
                       "Received input shapes: y_pred.shape=" + p.shape().to_string() +
                       " and y_true.shape=" + t.shape().to_string() + ".");
    const Shape per_class{p.shape()[-1]};
    squared_sum_ = add_variable(per_class, "squared_sum");
    sum_ = add_variable(per_class, "sum");
    total_mse_ = add_variable(per_class, "residual");
    count_ = add_variable(per_class, "count");
    built_ = true;
  }
  require_same_shape(t, p, "metric '" + name() + "'");
  Tensor w = sample_weight.defined() ? to_float(sample_weight) : Tensor::scalar(1.0, DType::float32);
  if (w.rank() == 1) w = ops::expand_dims(w, 1);
  w = ops::multiply(w, ops::ones_like(t));
  Tensor weighted = ops::multiply(t, w);
  ops::assign(sum_, ops::add(sum_, ops::sum(weighted, 0)));
  ops::assign(squared_sum_, ops::add(squared_sum_, ops::sum(ops::multiply(t, weighted), 0)));
  ops::assign(total_mse_, ops::add(total_mse_, ops::sum(ops::multiply(ops::square(ops::subtract(t, p)), w), 0)));
  ops::assign(count_, ops::add(count_, ops::sum(w, 0)));
  Tensor size = known(t) ? count_like(t, num_samples_) : ops::sum(ops::ones_like(t));
  ops::assign(num_samples_, ops::add(num_samples_, size));
}

Tensor R2Score::result() const {
  if (!built_) return Tensor::scalar(0.0, DType::float32);
  Tensor mean = ops::divide(sum_, count_);
  Tensor total = ops::subtract(squared_sum_, ops::multiply(sum_, mean));
  Tensor raw = ops::subtract(scalar_like(1.0, total), ops::divide(total_mse_, total));
  Tensor is_inf = ops::equal(ops::abs(raw), scalar_like(INFINITY, raw));
  raw = ops::where(is_inf, ops::zeros_like(raw), raw);
  Tensor score;
  if (class_aggregation_ == "uniform_average") score = ops::mean(raw);
  else if (class_aggregation_ == "variance_weighted_average")
    score = ops::divide(ops::sum(ops::multiply(total, raw)), ops::sum(total));
  else score = raw;
  if (num_regressors_ != 0) {
    const double n = num_samples_.item();
    const double k = num_regressors_;
    // Like Keras, the adjustment is skipped when it would divide by zero or flip sign.
    if (k < n - 1)
      score = ops::subtract(scalar_like(1.0, score), ops::divide(ops::multiply(ops::subtract(scalar_like(1.0, score), score),
                                                                                scalar_like(n - 1, score)),
                                                                 scalar_like(n - k - 1, score)));
  }
  return score;
}

// ---- registry ----------------------------------------------------------------------------------

namespace {
using Factory = std::function<std::shared_ptr<Metric>()>;

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    auto add = [&t](std::initializer_list<const char*> names, Factory f) {
      for (const char* n : names) t[n] = f;
    };
    add({"Accuracy", "accuracy", "acc"}, [] { return std::make_shared<Accuracy>(); });
    add({"BinaryAccuracy", "binary_accuracy"}, [] { return std::make_shared<BinaryAccuracy>(); });
    add({"CategoricalAccuracy", "categorical_accuracy"}, [] { return std::make_shared<CategoricalAccuracy>(); });
    add({"SparseCategoricalAccuracy", "sparse_categorical_accuracy"},
        [] { return std::make_shared<SparseCategoricalAccuracy>(); });
    add({"TopKCategoricalAccuracy", "top_k_categorical_accuracy"},
        [] { return std::make_shared<TopKCategoricalAccuracy>(); });
    add({"SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy"},
        [] { return std::make_shared<SparseTopKCategoricalAccuracy>(); });
    add({"MeanSquaredError", "mean_squared_error", "mse", "MSE"}, [] { return std::make_shared<MeanSquaredError>(); });
    add({"MeanAbsoluteError", "mean_absolute_error", "mae", "MAE"}, [] { return std::make_shared<MeanAbsoluteError>(); });
    add({"MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mape", "MAPE"},
        [] { return std::make_shared<MeanAbsolutePercentageError>(); });
    add({"MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "msle", "MSLE"},
        [] { return std::make_shared<MeanSquaredLogarithmicError>(); });
    add({"RootMeanSquaredError", "root_mean_squared_error"}, [] { return std::make_shared<RootMeanSquaredError>(); });
    add({"R2Score", "r2_score"}, [] { return std::make_shared<R2Score>(); });
    add({"AUC", "auc"}, [] { return std::make_shared<AUC>(); });
    add({"Precision", "precision"}, [] { return std::make_shared<Precision>(); });
    add({"Recall", "recall"}, [] { return std::make_shared<Recall>(); });
    add({"F1Score", "f1_score"}, [] { return std::make_shared<F1Score>(); });
    add({"FBetaScore", "f_beta_score"}, [] { return std::make_shared<FBetaScore>(); });
    add({"Mean", "mean"}, [] { return std::make_shared<Mean>(); });
    add({"Sum", "sum"}, [] { return std::make_shared<Sum>(); });
    return t;
  }();
  return table;
}
}  // namespace

std::shared_ptr<Metric> get(const std::string& identifier) {
  const auto& table = registry();
  auto it = table.find(identifier);
  std::shared_ptr<Metric> metric;
  if (it != table.end()) {
    metric = it->second();
  } else {
    // Loss names work as metrics too (keras.metrics has a class for each loss): the mean of
    // the per-sample loss.
    std::shared_ptr<losses::Loss> loss;
    try {
      loss = losses::get(identifier);
    } catch (const ValueError&) {
      std::string known;
      for (const auto& [name, factory] : table) known += (known.empty() ? "" : ", ") + name;
      throw ValueError("Could not interpret metric identifier: " + identifier + ". Expected one of: " + known +
                       ", or a loss name. Received: metric='" + identifier + "'");
    }
    metric = std::make_shared<MeanMetricWrapper>(
        [loss](const Tensor& t, const Tensor& p) { return loss->call_with_mask(to_float(t), to_float(p)).values; },
        identifier, Direction::down);
  }
  metric->set_name(identifier);
  return metric;
}

AccuracyKind resolve_accuracy(const Shape& y_true_shape, const Shape& y_pred_shape) {
  if (y_true_shape.rank() == 0 || y_pred_shape.rank() == 0)
    throw ValueError("Cannot resolve 'accuracy' for scalar targets or outputs. Received: y_true.shape=" +
                     y_true_shape.to_string() + ", y_pred.shape=" + y_pred_shape.to_string());
  const bool is_binary = y_pred_shape[-1] == 1;
  const bool is_sparse = y_true_shape.rank() < y_pred_shape.rank() || (y_true_shape[-1] == 1 && y_pred_shape[-1] > 1);
  if (is_binary) return AccuracyKind::binary;
  if (is_sparse) return AccuracyKind::sparse_categorical;
  return AccuracyKind::categorical;
}

std::shared_ptr<Metric> get_metric(const std::string& identifier, const Shape& y_true_shape,
                                   const Shape& y_pred_shape) {
  std::string lower = identifier;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower != "accuracy" && lower != "acc") return get(identifier);
  switch (resolve_accuracy(y_true_shape, y_pred_shape)) {
    case AccuracyKind::binary: return std::make_shared<BinaryAccuracy>(identifier);
    case AccuracyKind::sparse_categorical: return std::make_shared<SparseCategoricalAccuracy>(identifier);
    case AccuracyKind::categorical: return std::make_shared<CategoricalAccuracy>(identifier);
  }
  return get(identifier);
}

double result_to_double(const Tensor& result) {
  if (result.size() == 1) return result.item();
  const std::vector<double> values = result.to_vector<double>();
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace keras::metrics
