// keras.losses.Loss objects: reduction, sample weights, masks, and the name registry.
#include <algorithm>
#include <map>

#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "training_utils.h"

namespace keras::losses {

using namespace keras::training_detail;

namespace detail {
Tensor sparse_categorical_crossentropy_impl(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                            std::optional<int> ignore_class, int axis, Tensor* valid_mask);
}

Reduction reduction_from_string(const std::string& name) {
  if (name == "sum_over_batch_size") return Reduction::sum_over_batch_size;
  if (name == "sum") return Reduction::sum;
  if (name == "none" || name == "None") return Reduction::none;
  if (name == "mean") return Reduction::mean;
  if (name == "mean_with_sample_weight") return Reduction::mean_with_sample_weight;
  throw ValueError("Invalid value for argument `reduction`. Expected one of {'sum_over_batch_size', 'sum', 'none', "
                   "'mean', 'mean_with_sample_weight'}. Received: reduction=" + name);
}

std::string to_string(Reduction reduction) {
  switch (reduction) {
    case Reduction::sum_over_batch_size: return "sum_over_batch_size";
    case Reduction::sum: return "sum";
    case Reduction::none: return "none";
    case Reduction::mean: return "mean";
    case Reduction::mean_with_sample_weight: return "mean_with_sample_weight";
  }
  return "sum_over_batch_size";
}

namespace {

// Number of elements of x as a scalar of x's dtype, in-graph when the shape is not known.
Tensor element_count(const Tensor& x) {
  if (known(x)) return count_like(x, x);
  return ops::sum(ops::ones_like(x));
}

// keras/src/losses/loss.py apply_mask: merges a mask into the sample weights.
Tensor apply_mask(const Tensor& sample_weight, const Tensor& mask, DType dtype, Reduction reduction) {
  if (!mask.defined()) return sample_weight;
  Tensor float_mask = to_float(mask, dtype);
  if (reduction == Reduction::mean || reduction == Reduction::sum_over_batch_size) {
    // Valid entries weigh total/valid, so that the mean over all entries equals the mean
    // over the valid ones.
    Tensor total = element_count(float_mask);
    Tensor valid = ops::sum(float_mask);
    float_mask = ops::multiply(float_mask, divide_no_nan(total, valid));
  }
  if (!sample_weight.defined()) return float_mask;
  auto [m, sw] = squeeze_or_expand_to_same_rank(float_mask, to_float(sample_weight, dtype));
  return ops::multiply(sw, m);
}

}  // namespace

Tensor reduce_weighted_values(const Tensor& values_in, const Tensor& sample_weight_in, const Tensor& mask,
                              Reduction reduction) {
  Tensor values = is_floating(values_in.dtype()) ? values_in : ops::cast(values_in, DType::float32);
  Tensor sample_weight = apply_mask(sample_weight_in, mask, values.dtype(), reduction);
  if (sample_weight.defined()) {
    auto [v, sw] = squeeze_or_expand_to_same_rank(values, to_float(sample_weight, values.dtype()));
    values = ops::multiply(v, sw);
    sample_weight = sw;
  }
  if (reduction == Reduction::none || values.rank() == 0 ||
      (values.rank() == 1 && values.shape()[0] == 0))
    return values;
  Tensor loss = ops::sum(values);
  if (reduction == Reduction::sum) return loss;
  Tensor divisor = (reduction == Reduction::mean_with_sample_weight && sample_weight.defined())
                       ? ops::sum(sample_weight)
                       : element_count(values);
  return divide_no_nan(loss, divisor);
}

// ---- Loss ------------------------------------------------------------------------------------

Loss::Loss(std::string name, Reduction reduction) : name_(std::move(name)), reduction_(reduction) {}

LossValues Loss::call_with_mask(const Tensor& y_true, const Tensor& y_pred) const {
  return {call(y_true, y_pred), Tensor()};
}

void Loss::check_targets(const Tensor&, const Shape&) const {}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  if (!y_true.defined() || !y_pred.defined())
    throw ValueError("Loss '" + name_ + "' received an undefined y_true or y_pred.");
  const Tensor t = to_float(y_true), p = to_float(y_pred);
  LossValues lv = call_with_mask(t, p);
  return reduce_weighted_values(lv.values, sample_weight, lv.mask, reduction_);
}

LossFunctionWrapper::LossFunctionWrapper(LossFunction fn, std::string name, Reduction reduction)
    : Loss(std::move(name), reduction), fn_(std::move(fn)) {
  if (!fn_) throw ValueError("LossFunctionWrapper needs a function. Received: an empty std::function");
}

Tensor LossFunctionWrapper::call(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  return fn_(t, p);
}

// ---- concrete losses ---------------------------------------------------------------------------

#define KERAS_SIMPLE_LOSS_IMPL(Class, fn) \
  Class::Class(Reduction reduction, std::string name) : LossFunctionWrapper(fn, std::move(name), reduction) {}
KERAS_SIMPLE_LOSS_IMPL(MeanSquaredError, mean_squared_error)
KERAS_SIMPLE_LOSS_IMPL(MeanAbsoluteError, mean_absolute_error)
KERAS_SIMPLE_LOSS_IMPL(MeanAbsolutePercentageError, mean_absolute_percentage_error)
KERAS_SIMPLE_LOSS_IMPL(MeanSquaredLogarithmicError, mean_squared_logarithmic_error)
KERAS_SIMPLE_LOSS_IMPL(LogCosh, log_cosh)
KERAS_SIMPLE_LOSS_IMPL(Hinge, hinge)
KERAS_SIMPLE_LOSS_IMPL(SquaredHinge, squared_hinge)
KERAS_SIMPLE_LOSS_IMPL(CategoricalHinge, categorical_hinge)
KERAS_SIMPLE_LOSS_IMPL(KLDivergence, kl_divergence)
KERAS_SIMPLE_LOSS_IMPL(Poisson, poisson)
#undef KERAS_SIMPLE_LOSS_IMPL

Huber::Huber(double delta, Reduction reduction, std::string name)
    : LossFunctionWrapper([delta](const Tensor& t, const Tensor& p) { return huber(t, p, delta); }, std::move(name),
                          reduction),
      delta_(delta) {}

CosineSimilarity::CosineSimilarity(int axis, Reduction reduction, std::string name)
    : LossFunctionWrapper([axis](const Tensor& t, const Tensor& p) { return cosine_similarity(t, p, axis); },
                          std::move(name), reduction) {}

BinaryCrossentropy::BinaryCrossentropy(bool from_logits, double label_smoothing, int axis, Reduction reduction,
                                       std::string name)
    : LossFunctionWrapper(
          [=](const Tensor& t, const Tensor& p) { return binary_crossentropy(t, p, from_logits, label_smoothing, axis); },
          std::move(name), reduction),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing),
      axis_(axis) {}

BinaryFocalCrossentropy::BinaryFocalCrossentropy(bool apply_class_balancing, double alpha, double gamma,
                                                 bool from_logits, double label_smoothing, int axis,
                                                 Reduction reduction, std::string name)
    : LossFunctionWrapper(
          [=](const Tensor& t, const Tensor& p) {
            return binary_focal_crossentropy(t, p, apply_class_balancing, alpha, gamma, from_logits, label_smoothing,
                                             axis);
          },
          std::move(name), reduction),
      apply_class_balancing_(apply_class_balancing),
      alpha_(alpha),
      gamma_(gamma),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing),
      axis_(axis) {}

CategoricalCrossentropy::CategoricalCrossentropy(bool from_logits, double label_smoothing, int axis,
                                                 Reduction reduction, std::string name)
    : LossFunctionWrapper(
          [=](const Tensor& t, const Tensor& p) {
            return categorical_crossentropy(t, p, from_logits, label_smoothing, axis);
          },
          std::move(name), reduction),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing),
      axis_(axis) {}

CategoricalFocalCrossentropy::CategoricalFocalCrossentropy(double alpha, double gamma, bool from_logits,
                                                           double label_smoothing, int axis, Reduction reduction,
                                                           std::string name)
    : LossFunctionWrapper(
          [=](const Tensor& t, const Tensor& p) {
            return categorical_focal_crossentropy(t, p, alpha, gamma, from_logits, label_smoothing, axis);
          },
          std::move(name), reduction),
      alpha_(alpha),
      gamma_(gamma),
      from_logits_(from_logits),
      label_smoothing_(label_smoothing),
      axis_(axis) {}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(bool from_logits, std::optional<int> ignore_class,
                                                             Reduction reduction, int axis, std::string name)
    : Loss(std::move(name), reduction), from_logits_(from_logits), ignore_class_(ignore_class), axis_(axis) {}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return call_with_mask(y_true, y_pred).values;
}

LossValues SparseCategoricalCrossentropy::call_with_mask(const Tensor& y_true, const Tensor& y_pred) const {
  auto [t, p] = squeeze_or_expand_to_same_rank(y_true, y_pred);
  LossValues out;
  out.values = detail::sparse_categorical_crossentropy_impl(t, p, from_logits_, ignore_class_, axis_, &out.mask);
  return out;
}

void SparseCategoricalCrossentropy::check_targets(const Tensor& y_true, const Shape& y_pred_shape) const {
  if (y_pred_shape.rank() < 1) return;
  const std::int64_t num_classes = y_pred_shape[y_pred_shape.normalize_axis(axis_)];
  if (num_classes > 0) check_sparse_labels(y_true, num_classes, ignore_class_, name());
}

// ---- configs (Keras's get_config keys, in Keras's order) -------------------------------------------

Config Loss::get_config() const {
  Config c;
  c["name"] = name_;
  c["reduction"] = to_string(reduction_);
  return c;
}

Config BinaryCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
  return c;
}

Config BinaryFocalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
  c["apply_class_balancing"] = apply_class_balancing_;
  c["alpha"] = alpha_;
  c["gamma"] = gamma_;
  return c;
}

Config CategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
  return c;
}

Config CategoricalFocalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["label_smoothing"] = label_smoothing_;
  c["axis"] = axis_;
  c["alpha"] = alpha_;
  c["gamma"] = gamma_;
  return c;
}

Config SparseCategoricalCrossentropy::get_config() const {
  Config c = Loss::get_config();
  c["from_logits"] = from_logits_;
  c["ignore_class"] = ignore_class_ ? Config(*ignore_class_) : Config(nullptr);
  return c;
}

// ---- registry --------------------------------------------------------------------------------

namespace {

using Factory = std::function<std::shared_ptr<Loss>(const std::string& identifier)>;

template <typename T>
Factory class_factory() {
  return [](const std::string&) { return std::make_shared<T>(); };
}

Factory function_factory(LossFunction fn) {
  return [fn](const std::string& identifier) { return std::make_shared<LossFunctionWrapper>(fn, identifier); };
}

// Keras's losses.ALL_OBJECTS_DICT: class names, function names and the short aliases.
const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    t["MeanSquaredError"] = class_factory<MeanSquaredError>();
    t["MeanAbsoluteError"] = class_factory<MeanAbsoluteError>();
    t["MeanAbsolutePercentageError"] = class_factory<MeanAbsolutePercentageError>();
    t["MeanSquaredLogarithmicError"] = class_factory<MeanSquaredLogarithmicError>();
    t["CosineSimilarity"] = class_factory<CosineSimilarity>();
    t["LogCosh"] = class_factory<LogCosh>();
    t["Huber"] = class_factory<Huber>();
    t["Hinge"] = class_factory<Hinge>();
    t["SquaredHinge"] = class_factory<SquaredHinge>();
    t["CategoricalHinge"] = class_factory<CategoricalHinge>();
    t["KLDivergence"] = class_factory<KLDivergence>();
    t["Poisson"] = class_factory<Poisson>();
    t["BinaryCrossentropy"] = class_factory<BinaryCrossentropy>();
    t["BinaryFocalCrossentropy"] = class_factory<BinaryFocalCrossentropy>();
    t["CategoricalCrossentropy"] = class_factory<CategoricalCrossentropy>();
    t["CategoricalFocalCrossentropy"] = class_factory<CategoricalFocalCrossentropy>();
    t["SparseCategoricalCrossentropy"] = class_factory<SparseCategoricalCrossentropy>();

    const LossFunction mse = [](const Tensor& a, const Tensor& b) { return mean_squared_error(a, b); };
    const LossFunction mae = [](const Tensor& a, const Tensor& b) { return mean_absolute_error(a, b); };
    const LossFunction mape = [](const Tensor& a, const Tensor& b) { return mean_absolute_percentage_error(a, b); };
    const LossFunction msle = [](const Tensor& a, const Tensor& b) { return mean_squared_logarithmic_error(a, b); };
    const LossFunction bce = [](const Tensor& a, const Tensor& b) { return binary_crossentropy(a, b); };
    const LossFunction kld = [](const Tensor& a, const Tensor& b) { return kl_divergence(a, b); };
    for (const char* n : {"mean_squared_error", "mse", "MSE"}) t[n] = function_factory(mse);
    for (const char* n : {"mean_absolute_error", "mae", "MAE"}) t[n] = function_factory(mae);
    for (const char* n : {"mean_absolute_percentage_error", "mape", "MAPE"}) t[n] = function_factory(mape);
    for (const char* n : {"mean_squared_logarithmic_error", "msle", "MSLE"}) t[n] = function_factory(msle);
    for (const char* n : {"binary_crossentropy", "bce", "BCE"}) t[n] = function_factory(bce);
    for (const char* n : {"kl_divergence", "kld", "KLD"}) t[n] = function_factory(kld);
    t["categorical_crossentropy"] = function_factory([](const Tensor& a, const Tensor& b) {
      return categorical_crossentropy(a, b);
    });
    // The sparse function keeps the Loss subclass so that label ranges are checked before
    // training; values and name are those of the wrapped function.
    t["sparse_categorical_crossentropy"] = [](const std::string& identifier) {
      return std::make_shared<SparseCategoricalCrossentropy>(false, std::nullopt, Reduction::sum_over_batch_size, -1,
                                                             identifier);
    };
    t["binary_focal_crossentropy"] = function_factory([](const Tensor& a, const Tensor& b) {
      return binary_focal_crossentropy(a, b);
    });
    t["categorical_focal_crossentropy"] = function_factory([](const Tensor& a, const Tensor& b) {
      return categorical_focal_crossentropy(a, b);
    });
    t["poisson"] = function_factory([](const Tensor& a, const Tensor& b) { return poisson(a, b); });
    t["hinge"] = function_factory([](const Tensor& a, const Tensor& b) { return hinge(a, b); });
    t["squared_hinge"] = function_factory([](const Tensor& a, const Tensor& b) { return squared_hinge(a, b); });
    t["categorical_hinge"] = function_factory([](const Tensor& a, const Tensor& b) { return categorical_hinge(a, b); });
    t["huber"] = function_factory([](const Tensor& a, const Tensor& b) { return huber(a, b); });
    t["log_cosh"] = function_factory([](const Tensor& a, const Tensor& b) { return log_cosh(a, b); });
    t["cosine_similarity"] = function_factory([](const Tensor& a, const Tensor& b) { return cosine_similarity(a, b); });
    return t;
  }();
  return table;
}

}  // namespace

std::vector<std::string> registered_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

std::shared_ptr<Loss> get(const std::string& identifier) {
  const auto& table = registry();
  auto it = table.find(identifier);
  if (it == table.end()) {
    std::string known;
    for (const auto& [name, factory] : table) known += (known.empty() ? "" : ", ") + name;
    throw ValueError("Could not interpret loss identifier: " + identifier + ". Expected one of: " + known +
                     ". Received: loss='" + identifier + "'");
  }
  return it->second(identifier);
}

std::shared_ptr<Loss> resolve(const std::string& identifier, const Shape& y_true_shape, const Shape& y_pred_shape) {
  std::string lower = identifier;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower != "crossentropy" && lower != "ce") return get(identifier);
  if (y_true_shape.rank() == 0 || y_pred_shape.rank() == 0)
    throw ValueError("Cannot resolve loss '" + identifier + "' for scalar targets or outputs. Received: y_true.shape=" +
                     y_true_shape.to_string() + ", y_pred.shape=" + y_pred_shape.to_string());
  const bool is_binary = y_pred_shape[-1] == 1;
  const bool is_sparse = y_true_shape.rank() < y_pred_shape.rank() || (y_true_shape[-1] == 1 && y_pred_shape[-1] > 1);
  if (is_binary) return std::make_shared<LossFunctionWrapper>(
                     [](const Tensor& a, const Tensor& b) { return binary_crossentropy(a, b); }, identifier);
  if (is_sparse)
    return std::make_shared<SparseCategoricalCrossentropy>(false, std::nullopt, Reduction::sum_over_batch_size, -1,
                                                           identifier);
  return std::make_shared<LossFunctionWrapper>(
      [](const Tensor& a, const Tensor& b) { return categorical_crossentropy(a, b); }, identifier);
}

}  // namespace keras::losses
