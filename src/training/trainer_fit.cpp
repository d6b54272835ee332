// The loops: fit, evaluate, predict and the *_on_batch methods (the torch backend's
// trainer.py): arrays are checked and converted once, then every batch is one run of a
// compiled plan fed with pointers into the arrays, followed by the callbacks' hooks with the
// metrics' running values.
#include <cstring>
#include <limits>
#include <numeric>

#include "keras/ops/ops.h"
#include "trainer_internal.h"

namespace keras::training {
namespace {

using callbacks::CallbackList;
using callbacks::Logs;
using callbacks::Params;

// class_weight becomes the sample weights of the (training) data.
void apply_class_weight(PreparedData& d, const std::map<int, double>& class_weight) {
  if (class_weight.empty()) return;
  if (d.ys.size() != 1)
    throw ValueError("`class_weight` is only supported for Models with a single output. Received: a model with " +
                     std::to_string(d.ys.size()) + " outputs");
  d.sample_weight = detail::class_weight_to_sample_weights(d.ys[0], class_weight);
}

}  // namespace

PreparedData Trainer::Impl::prepare(const Arrays& x, const Arrays* y, const Tensor& sample_weight,
                                    const std::map<int, double>& class_weight) {
  Impl& s = *this;
  if (!class_weight.empty() && sample_weight.defined())
    throw ValueError("Arguments `sample_weight` and `class_weight` cannot be specified at the same time.");
  s.ensure_model_built(x);
  PreparedData d;
  d.xs = s.prepare_x(x);
  if (y) d.ys = s.prepare_y(*y);
  d.sample_weight = s.prepare_sample_weight(sample_weight);
  d.num_samples = detail::check_cardinality({{"x", d.xs}, {"y", d.ys}, {"sample_weight", {d.sample_weight}}});
  if (d.num_samples == 0) throw ValueError("Expected at least one sample. Received: arrays with 0 samples");
  apply_class_weight(d, class_weight);
  return d;
}

namespace {

void check_batch_size(std::int64_t batch_size, const char* argument = "batch_size") {
  if (batch_size <= 0)
    throw ValueError("`" + std::string(argument) + "` must be a positive integer. Received: " + argument + "=" +
                     std::to_string(batch_size));
}

// Fisher-Yates with unbiased bounded draws: the same order for a seed on every platform
// (std::shuffle's algorithm is implementation-defined).
void shuffle_in_place(std::vector<std::int64_t>& order, std::mt19937_64& rng) {
  for (std::size_t i = order.size(); i > 1; --i) {
    const std::uint64_t bound = i, limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t r;
    do r = rng();
    while (r >= limit);
    std::swap(order[i - 1], order[static_cast<std::size_t>(r % bound)]);
  }
}

// The compiled plan for each batch size of an epoch (all full batches share one).
class PlanPair {
 public:
  PlanPair(Function& fn, detail::BatchFeeder& feeder, const std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
    full_size_ = ranges.front().second - ranges.front().first;
    full_ = &fn.get_plan(feeder.specs(full_size_));
    const std::int64_t last = ranges.back().second - ranges.back().first;
    last_ = last == full_size_ ? full_ : &fn.get_plan(feeder.specs(last));
  }
  Plan& for_batch(std::int64_t size) const { return size == full_size_ ? *full_ : *last_; }

 private:
  std::int64_t full_size_ = 0;
  Plan* full_ = nullptr;
  Plan* last_ = nullptr;
};

}  // namespace

Logs Trainer::Impl::run_evaluation(detail::BatchFeeder& feeder, std::int64_t batch_size, CallbackList& cbs) {
  const auto ranges = detail::batch_ranges(feeder.num_samples(), batch_size);
  const PlanPair plans(*test_fn, feeder, ranges);
  reset_metrics();
  cbs.on_test_begin();
  const bool batch_hooks = cbs.any_batch_hooks();
  for (std::size_t step = 0; step < ranges.size(); ++step) {
    const auto [begin, end] = ranges[step];
    if (batch_hooks) cbs.on_test_batch_begin(static_cast<std::int64_t>(step));
    plans.for_batch(end - begin).run(feeder.batch(nullptr, begin, end));
    if (batch_hooks) cbs.on_test_batch_end(static_cast<std::int64_t>(step), results());
  }
  Logs logs = results();
  cbs.on_test_end(logs);
  return logs;
}

callbacks::History Trainer::fit(const Arrays& x, const Arrays& y, const FitOptions& o) {
  Impl& s = *impl_;
  s.require_compiled();
  check_batch_size(o.batch_size);
  if (o.validation_batch_size) check_batch_size(*o.validation_batch_size, "validation_batch_size");
  if (o.epochs < 0 || o.initial_epoch < 0)
    throw ValueError("`epochs` and `initial_epoch` must be non-negative. Received: epochs=" + std::to_string(o.epochs) +
                     ", initial_epoch=" + std::to_string(o.initial_epoch));
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw ValueError("`validation_split` must be in [0, 1). Received: validation_split=" +
                     utils::python_float_repr(o.validation_split));
  if (o.validation_freq < 1)
    throw ValueError("`validation_freq` must be a positive integer. Received: validation_freq=" +
                     std::to_string(o.validation_freq));

  if (!o.class_weight.empty() && o.sample_weight.defined())
    throw ValueError("Arguments `sample_weight` and `class_weight` cannot be specified at the same time.");
  // Class weights apply to the training part only, so they are converted after the split.
  PreparedData data = s.prepare(x, &y, o.sample_weight, {});
  std::optional<PreparedData> val;
  if (o.validation_data) {
    val = s.prepare(o.validation_data->x, &o.validation_data->y, o.validation_data->sample_weight, {});
  } else if (o.validation_split > 0.0) {
    // Taken from the end of the data, before shuffling, as Keras does.
    auto [train, held_out] = detail::split_validation(data.arrays(), o.validation_split);
    const std::size_t ni = data.xs.size(), no = data.ys.size();
    PreparedData t, v;
    t.xs.assign(train.begin(), train.begin() + static_cast<std::ptrdiff_t>(ni));
    t.ys.assign(train.begin() + static_cast<std::ptrdiff_t>(ni), train.begin() + static_cast<std::ptrdiff_t>(ni + no));
    v.xs.assign(held_out.begin(), held_out.begin() + static_cast<std::ptrdiff_t>(ni));
    v.ys.assign(held_out.begin() + static_cast<std::ptrdiff_t>(ni),
                held_out.begin() + static_cast<std::ptrdiff_t>(ni + no));
    if (data.sample_weight.defined()) {
      t.sample_weight = train.back();
      v.sample_weight = held_out.back();
    }
    t.num_samples = t.xs.front().shape()[0];
    v.num_samples = v.xs.front().shape()[0];
    data = std::move(t);
    val = std::move(v);
  }
  apply_class_weight(data, o.class_weight);

  s.build(data.ys);
  if (!s.has_loss()) throw ValueError("No loss to compute. Provide a `loss` argument in `compile()`.");
  s.check_targets(data.ys);
  if (val) s.check_targets(val->ys);
  s.build_optimizer();

  detail::BatchFeeder feeder(data.arrays());
  const auto ranges = detail::batch_ranges(feeder.num_samples(), o.batch_size);
  // Tracing here makes shape errors (targets that do not fit the loss) surface before any
  // callback runs or anything is printed.
  const PlanPair plans(*s.train_fn, feeder, ranges);
  std::optional<detail::BatchFeeder> val_feeder;
  if (val) val_feeder.emplace(val->arrays());
  const std::int64_t val_batch = o.validation_batch_size.value_or(o.batch_size);

  CallbackList cbs(o.callbacks, /*add_history=*/true, /*add_progbar=*/o.verbose != 0, this,
                   Params{o.verbose, o.epochs, static_cast<std::int64_t>(ranges.size())});
  stop_training = false;
  std::mt19937_64 rng(o.seed ? *o.seed : s.shuffle_rng());
  std::vector<std::int64_t> order(static_cast<std::size_t>(feeder.num_samples()));

  cbs.on_train_begin();
  Logs training_logs;
  for (int epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    s.reset_metrics();
    cbs.on_epoch_begin(epoch);
    const std::vector<std::int64_t>* sample_order = nullptr;
    if (o.shuffle) {
      std::iota(order.begin(), order.end(), std::int64_t{0});
      shuffle_in_place(order, rng);
      sample_order = &order;
    }
    // Without callbacks that look at batches (verbose=0, History only), a step is just the
    // plan: no per-batch logs are assembled.
    const bool batch_hooks = cbs.any_batch_hooks();
    for (std::size_t step = 0; step < ranges.size(); ++step) {
      const auto [begin, end] = ranges[step];
      if (batch_hooks) cbs.on_train_batch_begin(static_cast<std::int64_t>(step));
      plans.for_batch(end - begin).run(feeder.batch(sample_order, begin, end));
      if (batch_hooks) cbs.on_train_batch_end(static_cast<std::int64_t>(step), s.results());
      if (stop_training) break;
    }
    Logs epoch_logs = s.results();
    if (val_feeder && (epoch + 1) % o.validation_freq == 0) {
      const Logs val_logs = s.run_evaluation(*val_feeder, val_batch, cbs);
      for (const auto& [name, value] : val_logs) epoch_logs["val_" + name] = value;
    }
    training_logs = cbs.on_epoch_end(epoch, epoch_logs);
    if (stop_training) break;
  }
  cbs.on_train_end(training_logs);
  return *cbs.history();
}

Logs Trainer::evaluate(const Arrays& x, const Arrays& y, const EvaluateOptions& o) {
  Impl& s = *impl_;
  s.require_compiled();
  check_batch_size(o.batch_size);
  PreparedData data = s.prepare(x, &y, o.sample_weight, {});
  s.build(data.ys);
  s.check_targets(data.ys);
  detail::BatchFeeder feeder(data.arrays());
  const auto steps = static_cast<std::int64_t>(detail::batch_ranges(data.num_samples, o.batch_size).size());
  CallbackList cbs(o.callbacks, /*add_history=*/false, /*add_progbar=*/o.verbose != 0, this, Params{o.verbose, 1, steps});
  return s.run_evaluation(feeder, o.batch_size, cbs);
}

Outputs Trainer::predict(const Arrays& x, const PredictOptions& o) {
  Impl& s = *impl_;
  check_batch_size(o.batch_size);
  PreparedData data = s.prepare(x, nullptr, Tensor(), {});
  if (!s.predict_fn)
    s.predict_fn = std::make_unique<Function>([&s](const std::vector<Tensor>& in) { return s.predict_step(in); },
                                              PlanOptions{}, s.model.name() + "_predict");
  detail::BatchFeeder feeder(data.xs);
  const auto ranges = detail::batch_ranges(data.num_samples, o.batch_size);
  const PlanPair plans(*s.predict_fn, feeder, ranges);
  CallbackList cbs(o.callbacks, /*add_history=*/false, /*add_progbar=*/o.verbose != 0, this,
                   Params{o.verbose, 1, static_cast<std::int64_t>(ranges.size())});
  std::vector<Tensor> results;
  cbs.on_predict_begin();
  const bool batch_hooks = cbs.any_batch_hooks();
  for (std::size_t step = 0; step < ranges.size(); ++step) {
    const auto [begin, end] = ranges[step];
    if (batch_hooks) cbs.on_predict_batch_begin(static_cast<std::int64_t>(step));
    Plan& plan = plans.for_batch(end - begin);
    plan.run(feeder.batch(nullptr, begin, end));
    for (int i = 0; i < plan.num_outputs(); ++i) {
      const Shape& shape = plan.output_shape(i);
      if (shape.rank() == 0 || shape[0] != end - begin)
        throw ValueError("predict expects every model output to have the batch dimension first. Received: output " +
                         std::to_string(i) + " of shape " + shape.to_string() + " for a batch of " +
                         std::to_string(end - begin));
      if (results.size() <= static_cast<std::size_t>(i)) {
        Shape full = shape;
        full[0] = data.num_samples;
        results.push_back(Tensor::empty(full, plan.output_dtype(i)));
      }
      const std::size_t row_bytes =
          static_cast<std::size_t>(shape.num_elements() / shape[0]) * dtype_size(plan.output_dtype(i));
      std::memcpy(static_cast<unsigned char*>(results[static_cast<std::size_t>(i)].raw_data()) +
                      static_cast<std::size_t>(begin) * row_bytes,
                  plan.output_data(i), static_cast<std::size_t>(end - begin) * row_bytes);
    }
    if (batch_hooks) cbs.on_predict_batch_end(static_cast<std::int64_t>(step), Logs());
  }
  cbs.on_predict_end();
  return Outputs(std::move(results));
}

Logs Trainer::train_on_batch(const Arrays& x, const Arrays& y, const BatchOptions& o) {
  Impl& s = *impl_;
  s.require_compiled();
  PreparedData data = s.prepare(x, &y, o.sample_weight, o.class_weight);
  s.build(data.ys);
  if (!s.has_loss()) throw ValueError("No loss to compute. Provide a `loss` argument in `compile()`.");
  s.check_targets(data.ys);
  s.build_optimizer();
  detail::BatchFeeder feeder(data.arrays());
  Plan& plan = s.train_fn->get_plan(feeder.specs(data.num_samples));
  s.reset_metrics();
  plan.run(feeder.batch(nullptr, 0, data.num_samples));
  return s.results();
}

Logs Trainer::test_on_batch(const Arrays& x, const Arrays& y, const BatchOptions& o) {
  Impl& s = *impl_;
  s.require_compiled();
  PreparedData data = s.prepare(x, &y, o.sample_weight, {});
  s.build(data.ys);
  s.check_targets(data.ys);
  detail::BatchFeeder feeder(data.arrays());
  Plan& plan = s.test_fn->get_plan(feeder.specs(data.num_samples));
  s.reset_metrics();
  plan.run(feeder.batch(nullptr, 0, data.num_samples));
  return s.results();
}

namespace {

// True when nobody but the trainer holds `t` or its memory (no copy of the handle, no view
// sharing the buffer): writing into it is then invisible to every caller.
bool reusable_result(const Tensor& t) {
  return t.defined() && t.node().use_count() == 1 && t.node()->value && t.node()->value.use_count() == 1;
}

}  // namespace

bool Trainer::Impl::repeat_predict(const Tensor* x, std::size_t count, Outputs& out) {
  const std::vector<TensorSpec>& signature = repeat_predict_signature;
  if (repeat_predict_plan == nullptr || count != signature.size()) return false;
  for (std::size_t i = 0; i < count; ++i)
    if (!x[i].defined() || !x[i].is_concrete() || x[i].dtype() != signature[i].dtype ||
        x[i].shape() != signature[i].shape)
      return false;
  constexpr std::size_t kInline = 8;
  const void* inline_ptrs[kInline];
  std::vector<const void*> heap_ptrs(count > kInline ? count : 0);
  const void** ptrs = count > kInline ? heap_ptrs.data() : inline_ptrs;
  for (std::size_t i = 0; i < count; ++i) ptrs[i] = x[i].raw_data();
  Plan& plan = *repeat_predict_plan;
  plan.run(ptrs);
  std::vector<Tensor>& results = repeat_predict_results;
  results.resize(static_cast<std::size_t>(plan.num_outputs()));
  for (int i = 0; i < plan.num_outputs(); ++i) {
    Tensor& t = results[static_cast<std::size_t>(i)];
    if (!reusable_result(t) || t.shape() != plan.output_shape(i) || t.dtype() != plan.output_dtype(i))
      t = Tensor::empty(plan.output_shape(i), plan.output_dtype(i));
    const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(t.dtype());
    if (bytes) std::memcpy(t.raw_data(), plan.output_data(i), bytes);
  }
  out = Outputs(results);
  return true;
}

Outputs Trainer::predict_on_batch(const Tensor& x) {
  Outputs out;
  if (impl_->repeat_predict(&x, 1, out)) return out;
  return predict_on_batch(Arrays(x));
}

Outputs Trainer::predict_on_batch(const Arrays& x) {
  Impl& s = *impl_;
  Outputs repeated;
  if (s.repeat_predict(x.data(), x.size(), repeated)) return repeated;
  Outputs out = predict(x, PredictOptions{.batch_size = std::numeric_limits<std::int64_t>::max(), .verbose = 0});
  // Remember the plan when the arrays were used as given (no dtype conversion by prepare).
  PreparedData data = s.prepare(x, nullptr, Tensor(), {});
  bool as_given = data.xs.size() == x.size();
  for (std::size_t i = 0; as_given && i < x.size(); ++i) as_given = data.xs[i].node() == x[i].node();
  if (as_given && s.predict_fn) {
    std::vector<TensorSpec> specs;
    for (const Tensor& t : x) specs.push_back({t.shape(), t.dtype()});
    s.repeat_predict_plan = &s.predict_fn->get_plan(specs);
    s.repeat_predict_results.clear();
    s.repeat_predict_signature = std::move(specs);
  }
  return out;
}

}  // namespace keras::training
