#pragma once
/// keras::losses — Keras 3's losses, as functions and as Loss objects.
///
/// The functions (`mean_squared_error`, `categorical_crossentropy`, ...) return one value per
/// sample (the last axis reduced), exactly as `keras.losses.<fn>` does. A Loss object adds
/// what `keras.losses.Loss.__call__` adds: both operands cast to float32, the ranks of
/// y_true/y_pred aligned (`(B,)` vs `(B, 1)`), sample weights, a mask, and the reduction
/// ("sum_over_batch_size" by default: the mean over every per-sample value).
///
/// Everything is written with keras::ops, so it runs eagerly on concrete tensors and records
/// graph nodes on symbolic ones (inside a traced train step).
///
/// Requires: y_true and y_pred have the same shape once ranks are aligned (unknown dims
/// match anything); otherwise ValueError naming both shapes. Sparse categorical labels must
/// lie in [0, num_classes) — checked when the labels are concrete.
///
///   keras::losses::MeanSquaredError mse;
///   keras::Tensor loss = mse(y_true, y_pred);                 // scalar
///   auto loss_fn = keras::losses::get("categorical_crossentropy");
///   keras::Tensor per_sample = keras::losses::huber(y_true, y_pred, 1.0);
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::losses {

using Config = nlohmann::ordered_json;

/// How a Loss object reduces per-sample values (Keras's `reduction` argument).
enum class Reduction {
  sum_over_batch_size,      // sum / number of values (Keras's default)
  sum,                      // sum
  none,                     // no reduction
  mean,                     // same as sum_over_batch_size
  mean_with_sample_weight,  // sum / sum(sample_weight)
};
/// "sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"; ValueError otherwise.
Reduction reduction_from_string(const std::string& name);
std::string to_string(Reduction reduction);

// ---- loss functions (one value per sample) ---------------------------------------------------
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_percentage_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_squared_logarithmic_error(const Tensor& y_true, const Tensor& y_pred);
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);
Tensor log_cosh(const Tensor& y_true, const Tensor& y_pred);
/// Clips probabilities to [1e-7, 1 - 1e-7]; with from_logits, the stable logits form.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0, int axis = -1);
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                double label_smoothing = 0.0, int axis = -1);
/// y_true holds class indices (any numeric dtype), shaped like y_pred without the class axis
/// (a trailing axis of size 1 is squeezed). Labels equal to `ignore_class` contribute 0.
Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                       std::optional<int> ignore_class = std::nullopt, int axis = -1);
Tensor binary_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool apply_class_balancing = false,
                                 double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                 double label_smoothing = 0.0, int axis = -1);
Tensor categorical_focal_crossentropy(const Tensor& y_true, const Tensor& y_pred, double alpha = 0.25,
                                      double gamma = 2.0, bool from_logits = false, double label_smoothing = 0.0,
                                      int axis = -1);
Tensor kl_divergence(const Tensor& y_true, const Tensor& y_pred);
Tensor poisson(const Tensor& y_true, const Tensor& y_pred);
/// Labels in {0, 1} are mapped to {-1, 1} first (decided on the data, as Keras does).
Tensor hinge(const Tensor& y_true, const Tensor& y_pred);
Tensor squared_hinge(const Tensor& y_true, const Tensor& y_pred);
Tensor categorical_hinge(const Tensor& y_true, const Tensor& y_pred);
/// Negative cosine similarity along `axis` (-1 is most similar).
Tensor cosine_similarity(const Tensor& y_true, const Tensor& y_pred, int axis = -1);

// ---- building blocks (keras/src/losses/loss.py) ----------------------------------------------
/// If the ranks differ by one and the longer one ends in 1: expand a rank-1 operand
/// (expand_rank_1) or squeeze the trailing 1. Otherwise unchanged.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& x1, const Tensor& x2,
                                                         bool expand_rank_1 = true);
/// Weights `values` by `sample_weight` (optional) and `mask` (optional, bool or 0/1), then
/// reduces. A mask under sum_over_batch_size/mean rescales so that the mean is over the
/// unmasked entries only.
Tensor reduce_weighted_values(const Tensor& values, const Tensor& sample_weight = Tensor(),
                              const Tensor& mask = Tensor(), Reduction reduction = Reduction::sum_over_batch_size);
/// ValueError unless every concrete label is an integer in [0, num_classes) or equals
/// ignore_class. Symbolic labels are not checked (the trainer checks the data instead).
void check_sparse_labels(const Tensor& labels, std::int64_t num_classes,
                         std::optional<int> ignore_class = std::nullopt,
                         const std::string& loss_name = "sparse_categorical_crossentropy");

// ---- Loss objects ------------------------------------------------------------------------------
/// Per-sample values plus an optional mask (undefined when there is none).
struct LossValues {
  Tensor values;
  Tensor mask;
};

/// keras.losses.Loss. Subclasses implement `call` (per-sample values, no reduction).
class Loss {
 public:
  explicit Loss(std::string name, Reduction reduction = Reduction::sum_over_batch_size);
  virtual ~Loss() = default;

  /// Casts both operands to float32, computes per-sample values, weights and reduces.
  /// `sample_weight` (optional) broadcasts against the per-sample values.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) const;
  /// Per-sample values on float32 operands.
  virtual Tensor call(const Tensor& y_true, const Tensor& y_pred) const = 0;
  /// `call` plus a mask; only losses with an ignore_class produce one.
  virtual LossValues call_with_mask(const Tensor& y_true, const Tensor& y_pred) const;
  /// Checks concrete targets against the model output's shape before training (e.g. label
  /// ranges of sparse categorical cross-entropy). Default: nothing to check.
  virtual void check_targets(const Tensor& y_true, const Shape& y_pred_shape) const;

  /// Keras's class name, e.g. "MeanSquaredError" ("LossFunctionWrapper" for get("mse")).
  virtual std::string class_name() const = 0;
  /// Keras's get_config(): {"name", "reduction"} plus the class's own arguments.
  virtual Config get_config() const;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  Reduction reduction() const { return reduction_; }

 private:
  std::string name_;
  Reduction reduction_;
};

using LossFunction = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

/// Wraps a per-sample function: aligns ranks (squeeze_or_expand_to_same_rank), then calls it.
class LossFunctionWrapper : public Loss {
 public:
  LossFunctionWrapper(LossFunction fn, std::string name, Reduction reduction = Reduction::sum_over_batch_size);
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string class_name() const override { return "LossFunctionWrapper"; }

 private:
  LossFunction fn_;
};

#define KERAS_SIMPLE_LOSS(Class, default_name)                                                     \
  class Class : public LossFunctionWrapper {                                                       \
   public:                                                                                         \
    explicit Class(Reduction reduction = Reduction::sum_over_batch_size, std::string name = default_name); \
    std::string class_name() const override { return #Class; }                                    \
  };
KERAS_SIMPLE_LOSS(MeanSquaredError, "mean_squared_error")
KERAS_SIMPLE_LOSS(MeanAbsoluteError, "mean_absolute_error")
KERAS_SIMPLE_LOSS(MeanAbsolutePercentageError, "mean_absolute_percentage_error")
KERAS_SIMPLE_LOSS(MeanSquaredLogarithmicError, "mean_squared_logarithmic_error")
KERAS_SIMPLE_LOSS(LogCosh, "log_cosh")
KERAS_SIMPLE_LOSS(Hinge, "hinge")
KERAS_SIMPLE_LOSS(SquaredHinge, "squared_hinge")
KERAS_SIMPLE_LOSS(CategoricalHinge, "categorical_hinge")
KERAS_SIMPLE_LOSS(KLDivergence, "kl_divergence")
KERAS_SIMPLE_LOSS(Poisson, "poisson")
#undef KERAS_SIMPLE_LOSS

class Huber : public LossFunctionWrapper {
 public:
  explicit Huber(double delta = 1.0, Reduction reduction = Reduction::sum_over_batch_size,
                 std::string name = "huber_loss");
  std::string class_name() const override { return "Huber"; }
  double delta() const { return delta_; }

 private:
  double delta_;
};

class CosineSimilarity : public LossFunctionWrapper {
 public:
  explicit CosineSimilarity(int axis = -1, Reduction reduction = Reduction::sum_over_batch_size,
                            std::string name = "cosine_similarity");
  std::string class_name() const override { return "CosineSimilarity"; }
};

class BinaryCrossentropy : public LossFunctionWrapper {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0.0, int axis = -1,
                              Reduction reduction = Reduction::sum_over_batch_size,
                              std::string name = "binary_crossentropy");
  std::string class_name() const override { return "BinaryCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }
  double label_smoothing() const { return label_smoothing_; }

 private:
  bool from_logits_;
  double label_smoothing_;
  int axis_;
};

class BinaryFocalCrossentropy : public LossFunctionWrapper {
 public:
  explicit BinaryFocalCrossentropy(bool apply_class_balancing = false, double alpha = 0.25, double gamma = 2.0,
                                   bool from_logits = false, double label_smoothing = 0.0, int axis = -1,
                                   Reduction reduction = Reduction::sum_over_batch_size,
                                   std::string name = "binary_focal_crossentropy");
  std::string class_name() const override { return "BinaryFocalCrossentropy"; }
  Config get_config() const override;

 private:
  bool apply_class_balancing_;
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
  int axis_;
};

class CategoricalCrossentropy : public LossFunctionWrapper {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0.0, int axis = -1,
                                   Reduction reduction = Reduction::sum_over_batch_size,
                                   std::string name = "categorical_crossentropy");
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }

 private:
  bool from_logits_;
  double label_smoothing_;
  int axis_;
};

class CategoricalFocalCrossentropy : public LossFunctionWrapper {
 public:
  explicit CategoricalFocalCrossentropy(double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
                                        double label_smoothing = 0.0, int axis = -1,
                                        Reduction reduction = Reduction::sum_over_batch_size,
                                        std::string name = "categorical_focal_crossentropy");
  std::string class_name() const override { return "CategoricalFocalCrossentropy"; }
  Config get_config() const override;

 private:
  double alpha_, gamma_;
  bool from_logits_;
  double label_smoothing_;
  int axis_;
};

/// With ignore_class, the ignored positions are masked out of the reduction (the mean is
/// over the other positions), as in Keras.
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false, std::optional<int> ignore_class = std::nullopt,
                                         Reduction reduction = Reduction::sum_over_batch_size, int axis = -1,
                                         std::string name = "sparse_categorical_crossentropy");
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override;
  LossValues call_with_mask(const Tensor& y_true, const Tensor& y_pred) const override;
  void check_targets(const Tensor& y_true, const Shape& y_pred_shape) const override;
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  Config get_config() const override;
  bool from_logits() const { return from_logits_; }
  std::optional<int> ignore_class() const { return ignore_class_; }

 private:
  bool from_logits_;
  std::optional<int> ignore_class_;
  int axis_;
};

/// keras.losses.get: a class name ("MeanSquaredError" -> that class with its defaults and
/// default name), a function name ("mean_squared_error") or alias ("mse", "MSE", "mae",
/// "mape", "msle", "bce", "kld", ...) -> a LossFunctionWrapper named like the identifier.
/// Unknown identifiers: ValueError listing the known names.
std::shared_ptr<Loss> get(const std::string& identifier);
/// Same as get (the brief's spelling).
inline std::shared_ptr<Loss> get_loss(const std::string& identifier) { return get(identifier); }
/// compile()'s resolution (keras/src/trainers/compile_utils.py get_loss): "crossentropy"
/// and "ce" become binary, sparse categorical or categorical cross-entropy from the shapes;
/// everything else as `get`.
std::shared_ptr<Loss> resolve(const std::string& identifier, const Shape& y_true_shape, const Shape& y_pred_shape);
/// Every name `get` accepts, sorted.
std::vector<std::string> registered_names();

}  // namespace keras::losses
