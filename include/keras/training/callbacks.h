#pragma once
/// keras::callbacks — Keras 3's callback protocol and built-in callbacks.
///
/// A Callback overrides any of Keras's hooks (on_train_begin, on_epoch_end,
/// on_train_batch_end, on_test_*, on_predict_*, ...). Hooks receive the logs as a mutable
/// `Logs&` (name -> number, insertion-ordered like a Python dict): a callback may add
/// entries (LearningRateScheduler adds "learning_rate") and the callbacks after it see them.
/// A CallbackList drives a list of callbacks the way the trainer does: each call hands the
/// callbacks a key-sorted copy of the logs (Keras's pythonify_logs).
///
/// Callbacks reach the model through the small CallbackModel interface (weights, learning
/// rate, stop_training, save), which the trainer implements.
///
///   auto history = std::make_shared<keras::callbacks::History>();
///   keras::callbacks::CallbackList callbacks({early_stopping}, /*add_history=*/true,
///                                            /*add_progbar=*/true, &model_adapter, params);
///   callbacks.on_train_begin();
///   callbacks.on_epoch_end(0, {{"loss", 0.5}});
#include <cstdint>
#include <fstream>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.h"
#include "keras/training/metrics.h"
#include "keras/training/progbar.h"

namespace keras::callbacks {

/// Logs: string -> double in insertion order (a Python dict of floats).
class Logs {
 public:
  Logs() = default;
  Logs(std::initializer_list<std::pair<std::string, double>> items);
  /// Inserts at the end when absent.
  double& operator[](const std::string& key);
  std::optional<double> get(const std::string& key) const;
  /// KeyError when absent.
  double at(const std::string& key) const;
  bool contains(const std::string& key) const;
  void erase(const std::string& key);
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::vector<std::string> keys() const;
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }
  /// A copy with the keys sorted (what each callback call receives).
  Logs sorted() const;

 private:
  std::vector<std::pair<std::string, double>> items_;
};

/// Keras's callback `params` dict: {'verbose', 'epochs', 'steps'}.
struct Params {
  int verbose = 1;
  int epochs = 1;
  std::optional<std::int64_t> steps{};  // batches per epoch; nullopt when unknown
};

/// What callbacks may do to the model being trained. The trainer implements it.
class CallbackModel {
 public:
  virtual ~CallbackModel() = default;
  virtual std::vector<Tensor> get_weights() const = 0;
  virtual void set_weights(const std::vector<Tensor>& weights) = 0;
  /// The optimizer's current learning rate. Default: RuntimeError (no optimizer).
  virtual double learning_rate() const;
  virtual void set_learning_rate(double value);
  /// Whole-model and weights-only saving. Default: NotImplementedError.
  virtual void save(const std::string& filepath);
  virtual void save_weights(const std::string& filepath);
  /// Whether a compiled metric (by log name without "val_") improves upward or downward;
  /// MonitorCallback's "auto" mode asks. Default: unknown.
  virtual metrics::Direction metric_direction(const std::string& name) const;

  /// Set by callbacks (EarlyStopping, TerminateOnNaN); the trainer stops after the batch or
  /// epoch.
  bool stop_training = false;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void set_params(const Params& params) { params_ = params; }
  virtual void set_model(CallbackModel* model) { model_ = model; }
  const Params& params() const { return params_; }
  CallbackModel* model() const { return model_; }
  /// Where messages (print_msg) and warnings go. Defaults: std::cout, std::cerr.
  void set_streams(std::ostream* out, std::ostream* err);

  virtual void on_batch_begin(std::int64_t batch, Logs& logs) {}
  virtual void on_batch_end(std::int64_t batch, Logs& logs) {}
  virtual void on_epoch_begin(int epoch, Logs& logs) {}
  virtual void on_epoch_end(int epoch, Logs& logs) {}
  /// Default: on_batch_begin / on_batch_end, as in Keras.
  virtual void on_train_batch_begin(std::int64_t batch, Logs& logs) { on_batch_begin(batch, logs); }
  virtual void on_train_batch_end(std::int64_t batch, Logs& logs) { on_batch_end(batch, logs); }
  virtual void on_test_batch_begin(std::int64_t batch, Logs& logs) {}
  virtual void on_test_batch_end(std::int64_t batch, Logs& logs) {}
  virtual void on_predict_batch_begin(std::int64_t batch, Logs& logs) {}
  virtual void on_predict_batch_end(std::int64_t batch, Logs& logs) {}
  virtual void on_train_begin(Logs& logs) {}
  virtual void on_train_end(Logs& logs) {}
  virtual void on_test_begin(Logs& logs) {}
  virtual void on_test_end(Logs& logs) {}
  virtual void on_predict_begin(Logs& logs) {}
  virtual void on_predict_end(Logs& logs) {}
  /// Whether this callback does anything in the per-batch hooks (Keras's
  /// _implements_train_batch_hooks and friends). When no callback does, fit/evaluate/predict
  /// skip the hooks and the per-batch logs altogether. Default: true.
  virtual bool implements_batch_hooks() const { return true; }

 protected:
  /// Keras's io_utils.print_msg: the message and a newline.
  void print_msg(const std::string& message) const;
  void warn(const std::string& message) const;
  /// The model, or RuntimeError naming the callback when none is set.
  CallbackModel& require_model(const char* callback) const;

  Params params_;
  CallbackModel* model_ = nullptr;
  std::ostream* out_ = nullptr;
  std::ostream* err_ = nullptr;
};

class History;
class ProgbarLogger;

/// Calls every callback's hook in order, each time with a key-sorted copy of the logs.
class CallbackList {
 public:
  /// Appends a History and/or a ProgbarLogger unless the list already holds one.
  explicit CallbackList(std::vector<std::shared_ptr<Callback>> callbacks = {}, bool add_history = false,
                        bool add_progbar = false, CallbackModel* model = nullptr, std::optional<Params> params = {});
  void append(std::shared_ptr<Callback> callback);
  void set_model(CallbackModel* model);
  void set_params(const Params& params);
  const std::vector<std::shared_ptr<Callback>>& callbacks() const { return callbacks_; }
  std::shared_ptr<History> history() const { return history_; }
  std::shared_ptr<ProgbarLogger> progbar() const { return progbar_; }

  void on_batch_begin(std::int64_t batch, const Logs& logs = {});
  void on_batch_end(std::int64_t batch, const Logs& logs = {});
  void on_epoch_begin(int epoch, const Logs& logs = {});
  /// Returns the logs as the callbacks left them (with "learning_rate" etc. added).
  Logs on_epoch_end(int epoch, const Logs& logs = {});
  void on_train_batch_begin(std::int64_t batch, const Logs& logs = {});
  void on_train_batch_end(std::int64_t batch, const Logs& logs = {});
  void on_test_batch_begin(std::int64_t batch, const Logs& logs = {});
  void on_test_batch_end(std::int64_t batch, const Logs& logs = {});
  void on_predict_batch_begin(std::int64_t batch, const Logs& logs = {});
  void on_predict_batch_end(std::int64_t batch, const Logs& logs = {});
  /// True when some callback implements the per-batch hooks (see Callback).
  bool any_batch_hooks() const;
  void on_train_begin(const Logs& logs = {});
  void on_train_end(const Logs& logs = {});
  void on_test_begin(const Logs& logs = {});
  void on_test_end(const Logs& logs = {});
  void on_predict_begin(const Logs& logs = {});
  void on_predict_end(const Logs& logs = {});

 private:
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::shared_ptr<History> history_;
  std::shared_ptr<ProgbarLogger> progbar_;
};

/// Records the epoch logs: history["loss"][e], epoch, params. `fit` returns it.
class History : public Callback {
 public:
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  bool implements_batch_hooks() const override { return false; }
  /// Values of one log name across epochs; KeyError listing the names when absent.
  const std::vector<double>& operator[](const std::string& key) const;
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
};

/// Prints Keras's progress bar (see Progbar): per epoch at verbose 1 ("Epoch 2/10" first
/// when epochs > 1), one line per epoch at verbose 2. Validation inside fit is silent.
class ProgbarLogger : public Callback {
 public:
  /// `options` supplies the stream, clock and display mode of every bar it creates.
  explicit ProgbarLogger(utils::ProgbarOptions options = {});
  void set_params(const Params& params) override;
  void on_train_begin(Logs& logs) override;
  void on_test_begin(Logs& logs) override;
  void on_predict_begin(Logs& logs) override;
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_test_batch_end(std::int64_t batch, Logs& logs) override;
  void on_predict_batch_end(std::int64_t batch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_test_end(Logs& logs) override;
  void on_predict_end(Logs& logs) override;

 private:
  void reset_progbar();
  void maybe_init_progbar();
  void update_progbar(std::int64_t batch, const Logs& logs);
  void finalize_progbar(const Logs& logs);
  std::ostream& stream() const;

  utils::ProgbarOptions options_;
  std::unique_ptr<utils::Progbar> progbar_;
  std::int64_t seen_ = 0;
  std::optional<std::int64_t> target_;
  int verbose_ = 1;
  int epochs_ = 1;
  bool called_in_fit_ = false;
};

/// Shared by callbacks that watch one log value (EarlyStopping, ModelCheckpoint,
/// ReduceLROnPlateau): mode "min", "max" or "auto" (loss: min; a metric: its direction).
class MonitorCallback : public Callback {
 public:
  MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline, double min_delta);
  const std::string& monitor() const { return monitor_; }
  std::optional<double> best() const { return best_; }

 protected:
  void set_monitor_op();
  bool is_improvement(double value, std::optional<double> reference) const;
  std::string monitor_;
  std::string mode_;
  std::optional<double> best_;
  double min_delta_;
  int monitor_op_ = 0;  // -1: less is better, +1: greater is better, 0: not set yet
};

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline{};
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

/// Stops training when the monitored value stops improving (Keras's early_stopping.py,
/// including its patience count and restore_best_weights at the end of training).
class EarlyStopping : public MonitorCallback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;
  int stopped_epoch() const { return stopped_epoch_; }
  int best_epoch() const { return best_epoch_; }
  int wait() const { return wait_; }

 private:
  EarlyStoppingOptions options_;
  int wait_ = 0;
  int stopped_epoch_ = 0;
  int best_epoch_ = 0;
  std::optional<std::vector<Tensor>> best_weights_;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  /// 0: after every epoch ("epoch"); n > 0: every n batches.
  std::int64_t save_freq = 0;
  std::optional<double> initial_value_threshold{};
  /// Saves to the formatted path instead of CallbackModel::save / save_weights (and lifts
  /// the file-extension check), e.g. before file saving exists.
  std::function<void(const std::string& filepath)> save_fn{};
};

/// Saves the model (or its weights) after epochs or every save_freq batches; with
/// save_best_only, only when the monitored value improved. `filepath` may hold Python format
/// fields: "ckpt-{epoch:02d}-{val_loss:.2f}.keras".
class ModelCheckpoint : public MonitorCallback {
 public:
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_train_batch_end(std::int64_t batch, Logs& logs) override;
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  bool should_save_on_batch(std::int64_t batch);
  bool should_save_model(int epoch, const Logs& logs, const std::string& filepath);
  void save_model(int epoch, std::optional<std::int64_t> batch, const Logs& logs);
  std::string filepath_;
  ModelCheckpointOptions options_;
  int current_epoch_ = 0;
  std::int64_t batches_seen_since_last_saving_ = 0;
  std::optional<std::int64_t> last_batch_seen_;
};

/// Writes one CSV row per epoch: "epoch" then the sorted log names (plus val_ columns of
/// "NA" when there is no validation), Python's csv module layout with "\r\n" line ends.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs& logs) override;

 private:
  std::string filename_, separator_;
  bool append_;
  bool append_header_ = true;
  std::optional<std::vector<std::string>> keys_;
  bool header_written_ = false;
  std::ofstream file_;
};

/// Sets the learning rate at each epoch's start to schedule(epoch, current_lr) and logs
/// "learning_rate" at its end.
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<double(int epoch, double lr)> schedule, int verbose = 0);
  void on_epoch_begin(int epoch, Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  std::function<double(int, double)> schedule_;
  int verbose_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

/// Multiplies the learning rate by `factor` after `patience` epochs without improvement.
class ReduceLROnPlateau : public MonitorCallback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  bool in_cooldown() const { return cooldown_counter_ > 0; }
  ReduceLROnPlateauOptions options_;
  int cooldown_counter_ = 0;
  int wait_ = 0;
};

/// Stops training (or throws RuntimeError with raise_error) when a batch's loss is NaN or inf.
class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(bool raise_error = false) : raise_error_(raise_error) {}
  void on_batch_end(std::int64_t batch, Logs& logs) override;

 private:
  bool raise_error_;
};

/// A callback from functions (keras.callbacks.LambdaCallback); unset hooks do nothing.
class LambdaCallback : public Callback {
 public:
  std::function<void(int, Logs&)> on_epoch_begin_fn, on_epoch_end_fn;
  std::function<void(Logs&)> on_train_begin_fn, on_train_end_fn;
  std::function<void(std::int64_t, Logs&)> on_train_batch_begin_fn, on_train_batch_end_fn;
  std::function<void(Logs&)> on_test_begin_fn, on_test_end_fn, on_predict_begin_fn, on_predict_end_fn;
  std::function<void(std::int64_t, Logs&)> on_test_batch_begin_fn, on_test_batch_end_fn;
  std::function<void(std::int64_t, Logs&)> on_predict_batch_begin_fn, on_predict_batch_end_fn;

  void on_epoch_begin(int epoch, Logs& logs) override { call(on_epoch_begin_fn, epoch, logs); }
  void on_epoch_end(int epoch, Logs& logs) override { call(on_epoch_end_fn, epoch, logs); }
  void on_train_begin(Logs& logs) override { call(on_train_begin_fn, logs); }
  void on_train_end(Logs& logs) override { call(on_train_end_fn, logs); }
  void on_train_batch_begin(std::int64_t b, Logs& logs) override { call(on_train_batch_begin_fn, b, logs); }
  void on_train_batch_end(std::int64_t b, Logs& logs) override { call(on_train_batch_end_fn, b, logs); }
  void on_test_begin(Logs& logs) override { call(on_test_begin_fn, logs); }
  void on_test_end(Logs& logs) override { call(on_test_end_fn, logs); }
  void on_predict_begin(Logs& logs) override { call(on_predict_begin_fn, logs); }
  void on_predict_end(Logs& logs) override { call(on_predict_end_fn, logs); }
  void on_test_batch_begin(std::int64_t b, Logs& logs) override { call(on_test_batch_begin_fn, b, logs); }
  void on_test_batch_end(std::int64_t b, Logs& logs) override { call(on_test_batch_end_fn, b, logs); }
  void on_predict_batch_begin(std::int64_t b, Logs& logs) override { call(on_predict_batch_begin_fn, b, logs); }
  void on_predict_batch_end(std::int64_t b, Logs& logs) override { call(on_predict_batch_end_fn, b, logs); }

 private:
  template <typename F, typename... A>
  static void call(const F& f, A&&... args) {
    if (f) f(std::forward<A>(args)...);
  }
};

/// Python's str.format for checkpoint paths: "{epoch:02d}", "{val_loss:.2f}", "{{", "}}".
/// `ints` and `floats` supply the fields; a missing field is a KeyError naming it.
std::string format_filepath(const std::string& pattern, const std::map<std::string, std::int64_t>& ints,
                            const Logs& floats);

}  // namespace keras::callbacks
