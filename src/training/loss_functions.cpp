// keras.losses functions: one value per sample, written with ops (eager and traced).
// Formulas follow keras/src/losses/losses.py and the torch backend's nn.py (the backend
// that wrote the fixtures), including the epsilon clipping of probabilities.
#include <cmath>
#include <cstdio>

#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "training_utils.h"

namespace keras::losses {

using namespace keras::training_detail;

namespace {

// y_pred as floating point, y_true cast to its dtype, ranks aligned, shapes checked.
std::pair<Tensor, Tensor> prepare(const Tensor& y_true, const Tensor& y_pred, const std::string& fn) {
  Tensor p = is_floating(y_pred.dtype()) ? y_pred : ops::cast(y_pred, DType::float32);
  Tensor t = to_float(y_true, p.dtype());
  auto [t2, p2] = squeeze_or_expand_to_same_rank(t, p);
  require_same_shape(t2, p2, "loss '" + fn + "'");
  return {t2, p2};
}

// Same without rank alignment (functions that Keras does not align).
std::pair<Tensor, Tensor> prepare_unaligned(const Tensor& y_true, const Tensor& y_pred, const std::string& fn) {
  Tensor p = is_floating(y_pred.dtype()) ? y_pred : ops::cast(y_pred, DType::float32);
  Tensor t = to_float(y_true, p.dtype());
  require_same_shape(t, p, "loss '" + fn + "'");
  return {t, p};
}

// Labels in {0, 1} become {-1, 1}; other labels stay. Decided on the data with a select,
// so that it also works inside a traced step.
Tensor convert_binary_labels_to_hinge(const Tensor& y) {
  Tensor is01 = ops::logical_or(ops::equal(y, scalar_like(0.0, y)), ops::equal(y, scalar_like(1.0, y)));
  Tensor all_binary = ops::equal(ops::min(ops::cast(is01, y.dtype())), scalar_like(1.0, y));
  Tensor converted = ops::subtract(ops::multiply(y, scalar_like(2.0, y)), scalar_like(1.0, y));
  return ops::where(all_binary, converted, y);
}

// x * min(rsqrt(sum(x^2)), 1/eps): Keras's L2 normalize.
Tensor l2_normalize(const Tensor& x, int axis) {
  Tensor square_sum = ops::sum(ops::square(x), ops::Axes{axis}, /*keepdims=*/true);
  Tensor inv_norm = ops::minimum(ops::rsqrt(square_sum), scalar_like(1.0 / kEpsilon, x));
  return ops::multiply(x, inv_norm);
}

// log of probabilities along `axis`: log_softmax of logits, or the clipped log of
// probabilities renormalized to sum to 1 (torch backend's categorical_crossentropy).
Tensor log_probabilities(const Tensor& y_pred, bool from_logits, int axis) {
  if (from_logits) return ops::log_softmax(y_pred, axis);
  Tensor output = ops::divide(y_pred, ops::sum(y_pred, ops::Axes{axis}, /*keepdims=*/true));
  output = ops::clip(output, kEpsilon, 1.0 - kEpsilon);
  return ops::log(output);
}

Tensor smooth_categorical(const Tensor& y_true, double label_smoothing, int axis) {
  if (label_smoothing == 0.0) return y_true;
  const std::int64_t num_classes = y_true.shape()[axis];
  if (num_classes < 0)
    throw ValueError("label_smoothing needs a known number of classes. Received: y_true.shape=" +
                     y_true.shape().to_string());
  return ops::add(ops::multiply(y_true, scalar_like(1.0 - label_smoothing, y_true)),
                  scalar_like(label_smoothing / static_cast<double>(num_classes), y_true));
}

Tensor smooth_binary(const Tensor& y_true, double label_smoothing) {
  if (label_smoothing == 0.0) return y_true;
  return ops::add(ops::multiply(y_true, scalar_like(1.0 - label_smoothing, y_true)),
                  scalar_like(0.5 * label_smoothing, y_true));
}

// Elementwise binary cross-entropy of probabilities (clipped) or logits (stable form).
Tensor elementwise_bce(const Tensor& target, const Tensor& output, bool from_logits) {
  if (from_logits) {
    // max(x, 0) - x*t + log(1 + exp(-|x|)): never overflows.
    Tensor relu_x = ops::maximum(output, scalar_like(0.0, output));
    Tensor log_term = ops::log1p(ops::exp(ops::negative(ops::abs(output))));
    return ops::add(ops::subtract(relu_x, ops::multiply(output, target)), log_term);
  }
  Tensor o = ops::clip(output, kEpsilon, 1.0 - kEpsilon);
  Tensor one = scalar_like(1.0, o);
  Tensor pos = ops::multiply(target, ops::log(o));
  Tensor neg = ops::multiply(ops::subtract(one, target), ops::log(ops::subtract(one, o)));
  return ops::negative(ops::add(pos, neg));
}

int normalized_axis(const Tensor& x, int axis, const std::string& fn) {
  if (x.rank() < 1)
    throw ValueError("Loss '" + fn + "' expects y_pred of rank >= 1. Received: y_pred.shape=" +
                     x.shape().to_string());
  return x.shape().normalize_axis(axis);
}

// Moves the last axis to position `axis` (one_hot appends the class axis last).
Tensor move_last_axis_to(const Tensor& x, int axis) {
  const int rank = x.rank();
  if (axis == rank - 1) return x;
  std::vector<int> perm;
  for (int i = 0; i < rank - 1; ++i) {
    if (i == axis) perm.push_back(rank - 1);
    perm.push_back(i);
  }
  return ops::transpose(x, perm);
}

}  // namespace

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2, bool expand_rank_1) {
  const int r1 = x1.rank(), r2 = x2.rank();
  Tensor a = x1, b = x2;
  if (r1 == r2) return {a, b};
  if (r1 == r2 + 1 && x1.shape()[-1] == 1) {
    if (r2 == 1 && expand_rank_1) b = ops::expand_dims(b, -1);
    else a = ops::squeeze(a, ops::Axes{-1});
  }
  if (r2 == r1 + 1 && x2.shape()[-1] == 1) {
    if (r1 == 1 && expand_rank_1) a = ops::expand_dims(a, -1);
    else b = ops::squeeze(b, ops::Axes{-1});
  }
  return {a, b};
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare(y_true, y_pred, "mean_squared_error");
  return ops::mean(ops::square(ops::subtract(t, p)), -1);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare(y_true, y_pred, "mean_absolute_error");
  return ops::mean(ops::abs(ops::subtract(t, p)), -1);
}

Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare(y_true, y_pred, "mean_absolute_percentage_error");
  Tensor denom = ops::maximum(ops::abs(t), scalar_like(kEpsilon, t));
  Tensor diff = ops::abs(ops::divide(ops::subtract(t, p), denom));
  return ops::multiply(scalar_like(100.0, p), ops::mean(diff, -1));
}

Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare(y_true, y_pred, "mean_squared_logarithmic_error");
  Tensor eps = scalar_like(kEpsilon, p), one = scalar_like(1.0, p);
  Tensor first_log = ops::log(ops::add(ops::maximum(p, eps), one));
  Tensor second_log = ops::log(ops::add(ops::maximum(t, eps), one));
  return ops::mean(ops::square(ops::subtract(first_log, second_log)), -1);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  auto [t, p] = prepare(y_true, y_pred, "huber");
  Tensor d = scalar_like(delta, p), half = scalar_like(0.5, p);
  Tensor error = ops::subtract(p, t);
  Tensor abs_error = ops::abs(error);
  Tensor quadratic = ops::multiply(half, ops::square(error));
  Tensor linear = ops::subtract(ops::multiply(d, abs_error), ops::multiply(half, ops::square(d)));
  return ops::mean(ops::where(ops::less_equal(abs_error, d), quadratic, linear), -1);
}

Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare(y_true, y_pred, "log_cosh");
  Tensor x = ops::subtract(p, t);
  // log(cosh(x)) = x + softplus(-2x) - log(2), stable for large |x|.
  Tensor value = ops::subtract(ops::add(x, ops::softplus(ops::multiply(x, scalar_like(-2.0, x)))),
                               scalar_like(std::log(2.0), x));
  return ops::mean(value, -1);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                           int axis) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "binary_crossentropy");
  t = smooth_binary(t, label_smoothing);
  return ops::mean(elementwise_bce(t, p, from_logits), axis);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                                int axis) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "categorical_crossentropy");
  const int ax = normalized_axis(p, axis, "categorical_crossentropy");
  t = smooth_categorical(t, label_smoothing, ax);
  return ops::negative(ops::sum(ops::multiply(t, log_probabilities(p, from_logits, ax)), ops::Axes{ax}));
}

namespace detail {
// Sparse categorical cross-entropy; `valid_mask` (optional) receives the positions that are
// not ignore_class.
Tensor sparse_categorical_crossentropy_impl(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                            std::optional<int> ignore_class, int axis, Tensor* valid_mask) {
  const std::string fn = "sparse_categorical_crossentropy";
  Tensor p = is_floating(y_pred.dtype()) ? y_pred : ops::cast(y_pred, DType::float32);
  const int ax = normalized_axis(p, axis, fn);
  Tensor t = y_true;
  if (t.rank() == p.rank() && t.shape()[ax] == 1) t = ops::squeeze(t, ops::Axes{ax});
  std::vector<std::int64_t> expected;
  for (int i = 0; i < p.rank(); ++i)
    if (i != ax) expected.push_back(p.shape().dims()[i]);
  if (!shapes_compatible(t.shape(), Shape(expected)))
    throw ValueError("Arguments `y_true` and `y_pred` of loss '" + fn +
                     "' must have the same shape up until the class axis: y_true holds one class index per "
                     "sample. Received: y_true.shape=" + y_true.shape().to_string() +
                     ", y_pred.shape=" + y_pred.shape().to_string());
  const std::int64_t num_classes = p.shape()[ax];
  if (num_classes < 0)
    throw ValueError("Loss '" + fn + "' needs a known number of classes. Received: y_pred.shape=" +
                     y_pred.shape().to_string());
  check_sparse_labels(t, num_classes, ignore_class, fn);

  Tensor valid;
  if (ignore_class) {
    valid = ops::not_equal(t, Tensor::scalar(*ignore_class, t.dtype()));
    t = ops::where(valid, t, ops::zeros_like(t));
    // Keras zeroes the ignored rows of y_pred; ones give the same (masked-out) loss values
    // without a 0/0 whose NaN would leak into the gradient.
    p = ops::where(ops::expand_dims(valid, ax), p, ops::ones_like(p));
  }
  Tensor labels = is_integer(t.dtype()) ? t : ops::cast(t, DType::int32);
  Tensor one_hot = move_last_axis_to(ops::one_hot(labels, static_cast<int>(num_classes), p.dtype()), ax);
  Tensor res = ops::negative(ops::sum(ops::multiply(one_hot, log_probabilities(p, from_logits, ax)), ops::Axes{ax}));
  if (ignore_class) {
    res = ops::where(valid, res, ops::zeros_like(res));
    if (valid_mask) *valid_mask = valid;
  }
  return res;
}
}  // namespace detail

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                       std::optional<int> ignore_class, int axis) {
  return detail::sparse_categorical_crossentropy_impl(y_true, y_pred, from_logits, ignore_class, axis, nullptr);
}

Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing,
                                 double alpha, double gamma, bool from_logits, double label_smoothing, int axis) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "binary_focal_crossentropy");
  t = smooth_binary(t, label_smoothing);
  if (from_logits) p = ops::sigmoid(p);
  Tensor bce = elementwise_bce(t, p, /*from_logits=*/false);
  Tensor one = scalar_like(1.0, p);
  Tensor p_t = ops::add(ops::multiply(t, p), ops::multiply(ops::subtract(one, t), ops::subtract(one, p)));
  Tensor focal = ops::multiply(ops::power(ops::subtract(one, p_t), scalar_like(gamma, p)), bce);
  if (apply_class_balancing) {
    Tensor weight = ops::add(ops::multiply(t, scalar_like(alpha, p)),
                             ops::multiply(ops::subtract(one, t), scalar_like(1.0 - alpha, p)));
    focal = ops::multiply(weight, focal);
  }
  return ops::mean(focal, axis);
}

Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha, double gamma,
                                      bool from_logits, double label_smoothing, int axis) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "categorical_focal_crossentropy");
  const int ax = normalized_axis(p, axis, "categorical_focal_crossentropy");
  t = smooth_categorical(t, label_smoothing, ax);
  if (from_logits) p = ops::softmax(p, ax);
  Tensor output = ops::divide(p, ops::sum(p, ops::Axes{ax}, /*keepdims=*/true));
  output = ops::clip(output, kEpsilon, 1.0 - kEpsilon);
  Tensor cce = ops::negative(ops::multiply(t, ops::log(output)));
  Tensor modulating = ops::power(ops::subtract(scalar_like(1.0, output), output), scalar_like(gamma, output));
  Tensor focal = ops::multiply(ops::multiply(modulating, scalar_like(alpha, output)), cce);
  return ops::sum(focal, ops::Axes{ax});
}

Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "kl_divergence");
  t = ops::clip(t, kEpsilon, 1.0);
  p = ops::clip(p, kEpsilon, 1.0);
  return ops::sum(ops::multiply(t, ops::log(ops::divide(t, p))), -1);
}

Tensor poisson(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "poisson");
  Tensor value = ops::subtract(p, ops::multiply(t, ops::log(ops::add(p, scalar_like(kEpsilon, p)))));
  return ops::mean(value, -1);
}

Tensor hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "hinge");
  t = convert_binary_labels_to_hinge(t);
  Tensor margin = ops::subtract(scalar_like(1.0, p), ops::multiply(t, p));
  return ops::mean(ops::maximum(margin, scalar_like(0.0, p)), -1);
}

Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "squared_hinge");
  t = convert_binary_labels_to_hinge(t);
  Tensor margin = ops::subtract(scalar_like(1.0, p), ops::multiply(t, p));
  return ops::mean(ops::square(ops::maximum(margin, scalar_like(0.0, p))), -1);
}

Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred) {
  auto [t, p] = prepare_unaligned(y_true, y_pred, "categorical_hinge");
  Tensor pos = ops::sum(ops::multiply(t, p), -1);
  Tensor neg = ops::max(ops::multiply(ops::subtract(scalar_like(1.0, t), t), p), -1);
  return ops::maximum(ops::add(ops::subtract(neg, pos), scalar_like(1.0, p)), scalar_like(0.0, p));
}

Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int axis) {
  auto [t, p] = prepare(y_true, y_pred, "cosine_similarity");
  return ops::negative(ops::sum(ops::multiply(l2_normalize(t, axis), l2_normalize(p, axis)), ops::Axes{axis}));
}

void check_sparse_labels(const Tensor& labels, std::int64_t num_classes, std::optional<int> ignore_class,
                         const std::string& loss_name) {
  if (!labels.defined() || labels.is_symbolic()) return;
  const std::vector<double> values = labels.to_vector<double>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (ignore_class && v == static_cast<double>(*ignore_class)) continue;
    if (!(v >= 0.0 && v < static_cast<double>(num_classes))) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%g", v);
      throw ValueError("Received a label value of " + std::string(buf) + " (at flat index " + std::to_string(i) +
                       ") which is outside the valid range of [0, " + std::to_string(num_classes) + ") in " +
                       loss_name + ": y_pred has " + std::to_string(num_classes) +
                       " classes. Received: labels of shape " + labels.shape().to_string());
    }
  }
}

}  // namespace keras::losses
