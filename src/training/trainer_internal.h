#pragma once
// The Trainer's state and the helpers its source files share (internal to keras_training):
// trainer.cpp (compile, resolving losses and metrics, the step bodies), trainer_fit.cpp (the
// loops), trainer_data.cpp (arrays: checks, splits, class weights, batch feeding).
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "keras/graph/function.h"
#include "keras/models/model.h"
#include "keras/training/trainer.h"

namespace keras::training {

namespace detail {

/// Keras's check_data_cardinality over named groups ("x", "y", "sample_weight"): the common
/// number of samples, or ValueError listing each group's sizes.
std::int64_t check_cardinality(const std::vector<std::pair<std::string, std::vector<Tensor>>>& groups);

/// class_weight -> one float32 weight per sample from labels (N,), (N, 1) or one-hot (N, C)
/// (argmax), rounded to the nearest class; classes not in the map weigh 1.
Tensor class_weight_to_sample_weights(const Tensor& y, const std::map<int, double>& class_weight);

/// Rows [begin, end) of a concrete tensor (undefined stays undefined).
Tensor rows(const Tensor& x, std::int64_t begin, std::int64_t end);

/// Keras's train_validation_split: samples from floor(n * (1 - split)) on validate, the
/// others train (undefined arrays stay undefined); ValueError when a part would be empty.
std::pair<std::vector<Tensor>, std::vector<Tensor>> split_validation(const std::vector<Tensor>& arrays,
                                                                     double validation_split);

/// Feeds a compiled plan with batches: pointers to rows of the arrays (in place when the
/// order is sequential, else gathered into staging buffers).
class BatchFeeder {
 public:
  /// Concrete arrays sharing their first dimension.
  explicit BatchFeeder(std::vector<Tensor> arrays);
  std::int64_t num_samples() const { return num_samples_; }
  const std::vector<Tensor>& arrays() const { return arrays_; }
  /// The plan signature of a batch of `size` samples.
  std::vector<TensorSpec> specs(std::int64_t size) const;
  /// Rows [begin, end) of the (optionally permuted) sample order; valid until the next call.
  const void* const* batch(const std::vector<std::int64_t>* order, std::int64_t begin, std::int64_t end);

 private:
  std::vector<Tensor> arrays_;
  std::int64_t num_samples_ = 0;
  std::vector<std::size_t> row_bytes_;
  std::vector<std::vector<unsigned char>> staging_;
  std::vector<const void*> ptrs_;
};

/// [begin, end) ranges of `batch_size` samples; the last may be shorter.
std::vector<std::pair<std::int64_t, std::int64_t>> batch_ranges(std::int64_t num_samples, std::int64_t batch_size);

/// Plan outputs (scalars or arrays) as numbers for logs: the mean of each output.
double output_as_double(const Plan& plan, int index);

}  // namespace detail

/// x, y and sample weights checked and converted, in the step functions' input order.
struct PreparedData {
  std::vector<Tensor> xs, ys;
  Tensor sample_weight;
  std::int64_t num_samples = 0;
  std::vector<Tensor> arrays() const {
    std::vector<Tensor> out = xs;
    out.insert(out.end(), ys.begin(), ys.end());
    if (sample_weight.defined()) out.push_back(sample_weight);
    return out;
  }
};

/// One model output as compiled: its loss, weight, loss tracker and metrics.
struct CompiledOutput {
  std::string name;  // the output layer's name
  std::shared_ptr<losses::Loss> loss;  // null: the output has no loss
  std::optional<double> loss_weight;
  std::shared_ptr<metrics::Mean> loss_tracker;  // "<name>_loss", only with several losses
  std::vector<std::shared_ptr<metrics::Metric>> metrics, weighted_metrics;
};

struct Trainer::Impl {
  Impl(Model& m, Trainer& t) : model(m), self(t) {}

  Model& model;
  Trainer& self;
  bool is_compiled = false;
  CompileOptions options;
  std::shared_ptr<optimizers::Optimizer> optimizer;
  std::shared_ptr<metrics::Mean> loss_tracker;
  bool built = false;  // losses and metrics resolved against the data's shapes
  std::vector<CompiledOutput> outputs;
  // Keras's model.metrics order, with each metric's log name.
  std::vector<std::pair<std::string, std::shared_ptr<metrics::Metric>>> logged;
  std::unique_ptr<Function> train_fn, test_fn, predict_fn, results_fn;
  // predict_on_batch remembers its last plan and input signature: a call with arrays of the
  // same shapes and dtypes (the serving loop) runs the plan directly.
  Plan* repeat_predict_plan = nullptr;
  std::vector<TensorSpec> repeat_predict_signature;
  // The last repeat call's results: a result the caller has let go of (this is its only
  // holder) is refilled by the next call instead of allocating a new tensor.
  std::vector<Tensor> repeat_predict_results;
  /// Runs the remembered plan when `count` arrays match its signature; false otherwise.
  bool repeat_predict(const Tensor* x, std::size_t count, Outputs& out);
  std::mt19937_64 shuffle_rng{std::random_device{}()};

  // ---- compile and build (trainer.cpp) ----
  std::size_t num_inputs() const { return model.inputs().size(); }
  std::size_t num_outputs() const { return model.outputs().size(); }
  void require_compiled() const;
  std::vector<std::string> output_names() const;
  /// Builds an unbuilt model (a Sequential without an Input) from the data's shapes.
  void ensure_model_built(const std::vector<Tensor>& xs);
  std::vector<Tensor> prepare_x(const Arrays& x) const;
  std::vector<Tensor> prepare_y(const Arrays& y) const;
  Tensor prepare_sample_weight(const Tensor& sample_weight) const;
  /// Resolves losses and metrics on the first data (idempotent), checks targets.
  void build(const std::vector<Tensor>& ys);
  void build_optimizer();
  void check_targets(const std::vector<Tensor>& ys) const;
  bool has_loss() const;

  // ---- the traced bodies (trainer.cpp) ----
  Tensor compute_loss(const std::vector<Tensor>& ys, const Outputs& preds, const Tensor& sample_weight);
  void update_metrics(const std::vector<Tensor>& ys, const Outputs& preds, const Tensor& sample_weight);
  std::vector<Tensor> train_step(const std::vector<Tensor>& in);
  std::vector<Tensor> test_step(const std::vector<Tensor>& in);
  std::vector<Tensor> predict_step(const std::vector<Tensor>& in);
  void make_functions();
  /// Every logged metric's current value ("loss", "accuracy", ...), via a compiled plan.
  callbacks::Logs results();
  void reset_metrics();

  // ---- loops (trainer_fit.cpp) ----
  /// Checks and converts the arrays (y may be null: predict); class_weight becomes sample
  /// weights.
  PreparedData prepare(const Arrays& x, const Arrays* y, const Tensor& sample_weight,
                       const std::map<int, double>& class_weight);
  /// Runs the test plan over `feeder` with `callbacks`' test hooks; returns the final logs.
  callbacks::Logs run_evaluation(detail::BatchFeeder& feeder, std::int64_t batch_size, callbacks::CallbackList& cbs);
};

}  // namespace keras::training
