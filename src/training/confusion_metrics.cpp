// Confusion-matrix metrics: Precision, Recall, AUC (keras/src/metrics/confusion_metrics.py,
// metrics_utils.update_confusion_matrix_variables) and F-beta (f_score_metrics.py).
#include <cmath>

#include "keras/layers/layer.h"
#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "keras/training/metrics.h"
#include "training_utils.h"

namespace keras::metrics {

using namespace keras::training_detail;
using losses::squeeze_or_expand_to_same_rank;

namespace {

constexpr double kNegInf = -1e10;  // Keras's metrics_utils.NEG_INF

struct ConfusionVariables {
  Variable* tp = nullptr;
  Variable* fp = nullptr;
  Variable* tn = nullptr;
  Variable* fn = nullptr;
};

std::string auto_name(std::string name, const char* prefix) {
  return name.empty() ? layers::unique_name(prefix) : name;
}

std::vector<double> parse_thresholds(std::vector<double> thresholds, bool has_top_k, const std::string& metric) {
  if (thresholds.empty()) return {has_top_k ? kNegInf : 0.5};
  for (double t : thresholds)
    if (!(t >= 0.0 && t <= 1.0))
      throw ValueError("Threshold values must be in [0, 1]. Received: " + std::to_string(t) + " for metric '" +
                       metric + "'");
  return thresholds;
}

// Keras's is_evenly_distributed_thresholds: 0, 1/(n-1), ..., 1 within epsilon.
bool evenly_distributed(const std::vector<double>& thresholds) {
  const std::size_t n = thresholds.size();
  if (n < 3) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const double even = static_cast<float>(i) / static_cast<float>(n - 1);
    if (std::abs(thresholds[i] - even) > kEpsilon + 1e-5 * std::abs(even)) return false;
  }
  return true;
}

// Keeps each row's k largest entries and sets the others to NEG_INF. Ties go to the lower
// index, as top_k picks them, so exactly k entries survive.
Tensor filter_top_k(const Tensor& x, int k) {
  const std::int64_t n = x.shape()[-1];
  Tensor row = ops::expand_dims(x, -2), col = ops::expand_dims(x, -1);  // [.., 1, n] (x_j), [.., n, 1] (x_i)
  std::vector<bool> earlier(static_cast<std::size_t>(n * n));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) earlier[static_cast<std::size_t>(i * n + j)] = j < i;
  Tensor ahead = ops::logical_or(ops::greater(row, col),
                                 ops::logical_and(ops::equal(row, col), Tensor::from_bools(earlier, Shape{n, n})));
  Tensor rank = ops::sum(ops::cast(ahead, x.dtype()), -1);  // entries ranked before x_i
  Tensor keep = ops::less(rank, scalar_like(k, rank));
  return ops::where(keep, x, ops::full_like(x, kNegInf));
}

// Adds this batch's confusion counts at every threshold (prediction > threshold counts as
// positive) to the given variables. Written as one (thresholds, samples) comparison, so it
// runs the same eagerly and in a traced step.
void update_confusion_matrix(const ConfusionVariables& vars, const Tensor& y_true_in, const Tensor& y_pred_in,
                             const std::vector<double>& thresholds, bool evenly, std::optional<int> top_k,
                             std::optional<int> class_id, const Tensor& sample_weight_in) {
  auto [y_pred, y_true] = squeeze_or_expand_to_same_rank(to_float(y_pred_in), to_float(y_true_in));
  Tensor sample_weight;
  if (sample_weight_in.defined()) {
    sample_weight = ops::expand_dims(to_float(sample_weight_in), -1);
    sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, /*expand_rank_1=*/false).second;
  }
  if (top_k) y_pred = filter_top_k(y_pred, *top_k);
  if (class_id) {
    if (y_pred.rank() < 2)
      throw ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), "
                       "found shape: " + y_pred.shape().to_string());
    auto column = [&](const Tensor& x) {
      std::vector<std::int64_t> start(static_cast<std::size_t>(x.rank()), 0), sizes(static_cast<std::size_t>(x.rank()), -1);
      start.back() = *class_id;
      sizes.back() = 1;
      return ops::slice(x, start, sizes);
    };
    y_true = column(y_true);
    y_pred = column(y_pred);
  }
  if (!shapes_compatible(y_true.shape(), y_pred.shape()))
    throw ValueError("y_true and y_pred must have the same shape for confusion-matrix metrics. Received: "
                     "y_true.shape=" + y_true.shape().to_string() + ", y_pred.shape=" + y_pred.shape().to_string());
  if (evenly) y_pred = ops::clip(y_pred, 0.0, 1.0);

  std::vector<float> th(thresholds.begin(), thresholds.end());
  Tensor thresh = Tensor::from_vector(th, Shape{static_cast<std::int64_t>(th.size()), 1});
  Tensor preds = ops::reshape(y_pred, Shape{1, -1});
  Tensor pred_is_pos = ops::greater(preds, thresh);                                          // (T, N)
  Tensor label_is_pos = ops::not_equal(ops::reshape(y_true, Shape{1, -1}), scalar_like(0.0, y_true));  // (1, N)
  Tensor weights;
  if (sample_weight.defined())
    weights = ops::reshape(ops::multiply(sample_weight, ops::ones_like(y_pred)), Shape{1, -1});

  auto accumulate = [&](Variable* var, const Tensor& label, const Tensor& pred) {
    if (!var) return;
    Tensor both = ops::logical_and(label, pred);
    Tensor counts = weights.defined() ? ops::where(both, ops::multiply(weights, ops::ones_like(thresh)), ops::zeros_like(thresh))
                                      : ops::cast(both, DType::float32);
    ops::assign(*var, ops::add(*var, ops::sum(counts, 1)));
  };
  Tensor pred_is_neg = ops::logical_not(pred_is_pos);
  Tensor label_is_neg = ops::logical_not(label_is_pos);
  accumulate(vars.tp, label_is_pos, pred_is_pos);
  accumulate(vars.fp, label_is_neg, pred_is_pos);
  accumulate(vars.tn, label_is_neg, pred_is_neg);
  accumulate(vars.fn, label_is_pos, pred_is_neg);
}

Tensor head(const Tensor& x, std::int64_t n) { return ops::slice(x, {0}, {n}); }
Tensor tail(const Tensor& x, std::int64_t n) { return ops::slice(x, {1}, {n}); }

Tensor scalar_if_single(const Tensor& x) { return x.shape().num_elements() == 1 ? ops::reshape(x, Shape{}) : x; }

}  // namespace

// ---- Precision / Recall -----------------------------------------------------------------------

Precision::Precision(std::vector<double> thresholds, std::optional<int> top_k, std::optional<int> class_id,
                     std::string name)
    : Metric(auto_name(std::move(name), "precision")), top_k_(top_k), class_id_(class_id) {
  thresholds_ = parse_thresholds(std::move(thresholds), top_k.has_value(), this->name());
  const Shape shape{static_cast<std::int64_t>(thresholds_.size())};
  true_positives_ = add_variable(shape, "true_positives");
  false_positives_ = add_variable(shape, "false_positives");
}

void Precision::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  ConfusionVariables vars;
  vars.tp = &true_positives_;
  vars.fp = &false_positives_;
  update_confusion_matrix(vars, y_true, y_pred, thresholds_, evenly_distributed(thresholds_), top_k_, class_id_,
                          sample_weight);
}

Tensor Precision::result() const {
  return scalar_if_single(divide_no_nan(true_positives_, ops::add(true_positives_, false_positives_)));
}

Recall::Recall(std::vector<double> thresholds, std::optional<int> top_k, std::optional<int> class_id,
               std::string name)
    : Metric(auto_name(std::move(name), "recall")), top_k_(top_k), class_id_(class_id) {
  thresholds_ = parse_thresholds(std::move(thresholds), top_k.has_value(), this->name());
  const Shape shape{static_cast<std::int64_t>(thresholds_.size())};
  true_positives_ = add_variable(shape, "true_positives");
  false_negatives_ = add_variable(shape, "false_negatives");
}

void Recall::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  ConfusionVariables vars;
  vars.tp = &true_positives_;
  vars.fn = &false_negatives_;
  update_confusion_matrix(vars, y_true, y_pred, thresholds_, evenly_distributed(thresholds_), top_k_, class_id_,
                          sample_weight);
}

Tensor Recall::result() const {
  return scalar_if_single(divide_no_nan(true_positives_, ops::add(true_positives_, false_negatives_)));
}

// ---- AUC -----------------------------------------------------------------------------------------

AUC::AUC(int num_thresholds, std::string curve, std::string summation_method, std::string name, bool from_logits)
    : Metric(auto_name(std::move(name), "auc")),
      num_thresholds_(num_thresholds),
      curve_(std::move(curve)),
      summation_method_(std::move(summation_method)),
      from_logits_(from_logits) {
  if (num_thresholds <= 1)
    throw ValueError("Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=" +
                     std::to_string(num_thresholds));
  if (curve_ != "ROC" && curve_ != "PR")
    throw ValueError("Invalid `curve` argument value \"" + curve_ + "\". Expected one of: ROC, PR");
  if (summation_method_ != "interpolation" && summation_method_ != "minoring" && summation_method_ != "majoring")
    throw ValueError("Invalid `summation_method` argument value \"" + summation_method_ +
                     "\". Expected one of: interpolation, minoring, majoring");
  // -eps and 1+eps at the ends so that predictions of exactly 0 and 1 are classified.
  thresholds_.push_back(0.0 - kEpsilon);
  for (int i = 0; i < num_thresholds - 2; ++i) thresholds_.push_back((i + 1) * 1.0 / (num_thresholds - 1));
  thresholds_.push_back(1.0 + kEpsilon);
  const Shape shape{num_thresholds};
  true_positives_ = add_variable(shape, "true_positives");
  false_positives_ = add_variable(shape, "false_positives");
  true_negatives_ = add_variable(shape, "true_negatives");
  false_negatives_ = add_variable(shape, "false_negatives");
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  ConfusionVariables vars{&true_positives_, &false_positives_, &true_negatives_, &false_negatives_};
  Tensor p = from_logits_ ? ops::sigmoid(to_float(y_pred)) : y_pred;
  update_confusion_matrix(vars, y_true, p, thresholds_, /*evenly=*/true, std::nullopt, std::nullopt, sample_weight);
}

Tensor AUC::interpolate_pr_auc() const {
  // Davis & Goadrich (2006): precision interpolated between consecutive thresholds.
  const std::int64_t n = num_thresholds_ - 1;
  Tensor dtp = ops::subtract(head(true_positives_, n), tail(true_positives_, n));
  Tensor p = ops::add(true_positives_, false_positives_);
  Tensor dp = ops::subtract(head(p, n), tail(p, n));
  Tensor zero = scalar_like(0.0, p);
  Tensor prec_slope = divide_no_nan(dtp, ops::maximum(dp, zero));
  Tensor intercept = ops::subtract(tail(true_positives_, n), ops::multiply(prec_slope, tail(p, n)));
  Tensor both_positive = ops::logical_and(ops::greater(head(p, n), zero), ops::greater(tail(p, n), zero));
  Tensor safe_p_ratio =
      ops::where(both_positive, divide_no_nan(head(p, n), ops::maximum(tail(p, n), zero)), ops::ones_like(dtp));
  Tensor increment = divide_no_nan(
      ops::multiply(prec_slope, ops::add(dtp, ops::multiply(intercept, ops::log(safe_p_ratio)))),
      ops::maximum(ops::add(tail(true_positives_, n), tail(false_negatives_, n)), zero));
  return ops::sum(increment);
}

Tensor AUC::result() const {
  if (curve_ == "PR" && summation_method_ == "interpolation") return interpolate_pr_auc();
  Tensor recall = divide_no_nan(true_positives_, ops::add(true_positives_, false_negatives_));
  Tensor x, y;
  if (curve_ == "ROC") {
    x = divide_no_nan(false_positives_, ops::add(false_positives_, true_negatives_));
    y = recall;
  } else {
    x = recall;
    y = divide_no_nan(true_positives_, ops::add(true_positives_, false_positives_));
  }
  const std::int64_t n = num_thresholds_ - 1;
  Tensor heights;
  if (summation_method_ == "interpolation") heights = ops::divide(ops::add(head(y, n), tail(y, n)), scalar_like(2.0, y));
  else if (summation_method_ == "minoring") heights = ops::minimum(head(y, n), tail(y, n));
  else heights = ops::maximum(head(y, n), tail(y, n));
  return ops::sum(ops::multiply(ops::subtract(head(x, n), tail(x, n)), heights));
}

// ---- F-beta --------------------------------------------------------------------------------------

FBetaScore::FBetaScore(std::string average, double beta, std::optional<double> threshold, std::string name)
    : Metric(std::move(name)), average_(std::move(average)), beta_(beta), threshold_(threshold) {
  if (average_ != "" && average_ != "micro" && average_ != "macro" && average_ != "weighted")
    throw ValueError("Invalid `average` argument value. Expected one of: {'', 'micro', 'macro', 'weighted'}. "
                     "Received: average=" + average_);
  if (!(beta > 0.0))
    throw ValueError("Invalid `beta` argument value. It should be > 0. Received: beta=" + std::to_string(beta));
  if (threshold && !(*threshold > 0.0 && *threshold <= 1.0))
    throw ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold=" +
                     std::to_string(*threshold));
}

void FBetaScore::update_state(const Tensor& y_true_in, const Tensor& y_pred_in, const Tensor& sample_weight) {
  Tensor y_true = to_float(y_true_in), y_pred = to_float(y_pred_in);
  if (!built_) {
    if (y_true.rank() != 2 || y_pred.rank() != 2 || y_pred.shape()[-1] < 0)
      throw ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim), with output_dim fully "
                       "defined. Received input shapes: y_pred.shape=" + y_pred.shape().to_string() +
                       " and y_true.shape=" + y_true.shape().to_string() + ".");
    const Shape shape = average_ == "micro" ? Shape{} : Shape{y_pred.shape()[-1]};
    true_positives_ = add_variable(shape, "true_positives");
    false_positives_ = add_variable(shape, "false_positives");
    false_negatives_ = add_variable(shape, "false_negatives");
    intermediate_weights_ = add_variable(shape, "intermediate_weights");
    built_ = true;
  }
  require_same_shape(y_true, y_pred, "metric '" + name() + "'");
  Tensor predicted;
  if (!threshold_) {
    Tensor row_max = ops::max(y_pred, -1, /*keepdims=*/true);
    predicted = ops::logical_and(ops::greater_equal(y_pred, row_max),
                                 ops::greater(ops::abs(y_pred), scalar_like(1e-9, y_pred)));
  } else {
    predicted = ops::greater(y_pred, scalar_like(*threshold_, y_pred));
  }
  Tensor p = ops::cast(predicted, DType::float32);
  Tensor one = scalar_like(1.0, p);
  auto weighted_sum = [&](const Tensor& v) {
    Tensor x = sample_weight.defined() ? ops::multiply(v, ops::expand_dims(to_float(sample_weight), 1)) : v;
    return average_ == "micro" ? ops::sum(x) : ops::sum(x, 0);
  };
  Tensor tp = weighted_sum(ops::multiply(p, y_true));
  Tensor fp = weighted_sum(ops::multiply(p, ops::subtract(one, y_true)));
  Tensor fn = weighted_sum(ops::multiply(ops::subtract(one, p), y_true));
  Tensor iw = weighted_sum(y_true);
  ops::assign(true_positives_, ops::add(true_positives_, tp));
  ops::assign(false_positives_, ops::add(false_positives_, fp));
  ops::assign(false_negatives_, ops::add(false_negatives_, fn));
  ops::assign(intermediate_weights_, ops::add(intermediate_weights_, iw));
}

Tensor FBetaScore::result() const {
  if (!built_) return Tensor::scalar(0.0, DType::float32);
  Tensor eps = Tensor::scalar(kEpsilon, DType::float32);
  Tensor precision = ops::divide(true_positives_, ops::add(ops::add(true_positives_, false_positives_), eps));
  Tensor recall = ops::divide(true_positives_, ops::add(ops::add(true_positives_, false_negatives_), eps));
  const double b2 = beta_ * beta_;
  Tensor mul_value = ops::multiply(precision, recall);
  Tensor add_value = ops::add(ops::multiply(scalar_like(b2, precision), precision), recall);
  Tensor f = ops::multiply(ops::divide(mul_value, ops::add(add_value, eps)), scalar_like(1.0 + b2, precision));
  if (average_ == "weighted") {
    Tensor weights = ops::divide(intermediate_weights_, ops::add(ops::sum(intermediate_weights_), eps));
    return ops::sum(ops::multiply(f, weights));
  }
  if (!average_.empty()) return ops::mean(f);
  return f;
}

F1Score::F1Score(std::string average, std::optional<double> threshold, std::string name)
    : FBetaScore(std::move(average), 1.0, threshold, std::move(name)) {}

}  // namespace keras::metrics
