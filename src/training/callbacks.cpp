// The callback protocol: Logs, Callback, CallbackList, History, ProgbarLogger, CSVLogger,
// LearningRateScheduler, TerminateOnNaN (keras/src/callbacks/*.py).
#include "keras/training/callbacks.h"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "keras/core/errors.h"

namespace keras::callbacks {

// ---- Logs ---------------------------------------------------------------------------------------

Logs::Logs(std::initializer_list<std::pair<std::string, double>> items) {
  for (const auto& [k, v] : items) (*this)[k] = v;
}

double& Logs::operator[](const std::string& key) {
  for (auto& item : items_)
    if (item.first == key) return item.second;
  items_.emplace_back(key, 0.0);
  return items_.back().second;
}

std::optional<double> Logs::get(const std::string& key) const {
  for (const auto& item : items_)
    if (item.first == key) return item.second;
  return std::nullopt;
}

double Logs::at(const std::string& key) const {
  if (auto v = get(key)) return *v;
  std::string names;
  for (const auto& item : items_) names += (names.empty() ? "" : ", ") + item.first;
  throw KeyError("Logs have no entry '" + key + "'. Available: " + names);
}

bool Logs::contains(const std::string& key) const { return get(key).has_value(); }

void Logs::erase(const std::string& key) {
  items_.erase(std::remove_if(items_.begin(), items_.end(), [&](const auto& item) { return item.first == key; }),
               items_.end());
}

std::vector<std::string> Logs::keys() const {
  std::vector<std::string> out;
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

Logs Logs::sorted() const {
  Logs out;
  out.items_ = items_;
  std::stable_sort(out.items_.begin(), out.items_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

// ---- CallbackModel / Callback --------------------------------------------------------------------

double CallbackModel::learning_rate() const {
  throw RuntimeError("This model has no optimizer, so it has no learning rate. Compile the model first.");
}
void CallbackModel::set_learning_rate(double) {
  throw RuntimeError("This model has no optimizer, so its learning rate cannot be set. Compile the model first.");
}
void CallbackModel::save(const std::string& filepath) {
  throw NotImplementedError("Saving a whole model is not available here. Received: filepath=" + filepath);
}
void CallbackModel::save_weights(const std::string& filepath) {
  throw NotImplementedError("Saving weights is not available here. Received: filepath=" + filepath);
}
metrics::Direction CallbackModel::metric_direction(const std::string&) const { return metrics::Direction::unknown; }

void Callback::set_streams(std::ostream* out, std::ostream* err) {
  out_ = out;
  err_ = err;
}

void Callback::print_msg(const std::string& message) const {
  std::ostream& os = out_ ? *out_ : std::cout;
  os << message << "\n" << std::flush;
}

void Callback::warn(const std::string& message) const {
  std::ostream& os = err_ ? *err_ : std::cerr;
  os << "UserWarning: " << message << "\n" << std::flush;
}

CallbackModel& Callback::require_model(const char* callback) const {
  if (!model_)
    throw RuntimeError(std::string(callback) + " needs a model: call set_model() (fit does) before training.");
  return *model_;
}

// ---- CallbackList --------------------------------------------------------------------------------

CallbackList::CallbackList(std::vector<std::shared_ptr<Callback>> callbacks, bool add_history, bool add_progbar,
                           CallbackModel* model, std::optional<Params> params)
    : callbacks_(std::move(callbacks)) {
  for (const auto& cb : callbacks_) {
    if (!cb) throw ValueError("CallbackList received a null callback.");
    if (auto p = std::dynamic_pointer_cast<ProgbarLogger>(cb)) progbar_ = p;
    else if (auto h = std::dynamic_pointer_cast<History>(cb)) history_ = h;
  }
  if (!history_ && add_history) {
    history_ = std::make_shared<History>();
    callbacks_.push_back(history_);
  }
  if (!progbar_ && add_progbar) {
    progbar_ = std::make_shared<ProgbarLogger>();
    callbacks_.push_back(progbar_);
  }
  if (model) set_model(model);
  if (params) set_params(*params);
}

void CallbackList::append(std::shared_ptr<Callback> callback) {
  if (!callback) throw ValueError("CallbackList received a null callback.");
  callbacks_.push_back(std::move(callback));
}

void CallbackList::set_model(CallbackModel* model) {
  for (auto& cb : callbacks_) cb->set_model(model);
}

void CallbackList::set_params(const Params& params) {
  for (auto& cb : callbacks_) cb->set_params(params);
}

bool CallbackList::any_batch_hooks() const {
  for (const auto& cb : callbacks_)
    if (cb->implements_batch_hooks()) return true;
  return false;
}

#define KERAS_DISPATCH_BATCH(method)                                      \
  void CallbackList::method(std::int64_t batch, const Logs& logs) {       \
    Logs l = logs.sorted();                                               \
    for (auto& cb : callbacks_) cb->method(batch, l);                     \
  }
KERAS_DISPATCH_BATCH(on_batch_begin)
KERAS_DISPATCH_BATCH(on_batch_end)
KERAS_DISPATCH_BATCH(on_train_batch_begin)
KERAS_DISPATCH_BATCH(on_train_batch_end)
KERAS_DISPATCH_BATCH(on_test_batch_begin)
KERAS_DISPATCH_BATCH(on_test_batch_end)
KERAS_DISPATCH_BATCH(on_predict_batch_begin)
KERAS_DISPATCH_BATCH(on_predict_batch_end)
#undef KERAS_DISPATCH_BATCH

#define KERAS_DISPATCH_PLAIN(method)                \
  void CallbackList::method(const Logs& logs) {     \
    Logs l = logs.sorted();                         \
    for (auto& cb : callbacks_) cb->method(l);      \
  }
KERAS_DISPATCH_PLAIN(on_train_begin)
KERAS_DISPATCH_PLAIN(on_train_end)
KERAS_DISPATCH_PLAIN(on_test_begin)
KERAS_DISPATCH_PLAIN(on_test_end)
KERAS_DISPATCH_PLAIN(on_predict_begin)
KERAS_DISPATCH_PLAIN(on_predict_end)
#undef KERAS_DISPATCH_PLAIN

void CallbackList::on_epoch_begin(int epoch, const Logs& logs) {
  Logs l = logs.sorted();
  for (auto& cb : callbacks_) cb->on_epoch_begin(epoch, l);
}

Logs CallbackList::on_epoch_end(int epoch, const Logs& logs) {
  Logs l = logs.sorted();
  for (auto& cb : callbacks_) cb->on_epoch_end(epoch, l);
  return l;
}

// ---- History -------------------------------------------------------------------------------------

void History::on_train_begin(Logs&) { epoch.clear(); }

void History::on_epoch_end(int e, Logs& logs) {
  epoch.push_back(e);
  for (const auto& [k, v] : logs) history[k].push_back(v);
}

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history.find(key);
  if (it == history.end()) {
    std::string names;
    for (const auto& [k, v] : history) names += (names.empty() ? "" : ", ") + k;
    throw KeyError("History has no entry '" + key + "'. Available: " + names);
  }
  return it->second;
}

// ---- ProgbarLogger -------------------------------------------------------------------------------

ProgbarLogger::ProgbarLogger(utils::ProgbarOptions options) : options_(std::move(options)) {}

std::ostream& ProgbarLogger::stream() const { return options_.out ? *options_.out : std::cout; }

void ProgbarLogger::set_params(const Params& params) {
  Callback::set_params(params);
  verbose_ = params.verbose;
  epochs_ = params.epochs;
  target_ = params.steps;
}

void ProgbarLogger::on_train_begin(Logs&) { called_in_fit_ = true; }  // validation inside fit is silent

void ProgbarLogger::on_test_begin(Logs&) {
  if (called_in_fit_) return;
  reset_progbar();
  maybe_init_progbar();
}

void ProgbarLogger::on_predict_begin(Logs&) {
  reset_progbar();
  maybe_init_progbar();
}

void ProgbarLogger::on_epoch_begin(int epoch, Logs&) {
  reset_progbar();
  maybe_init_progbar();
  if (verbose_ && epochs_ > 1) stream() << "Epoch " << epoch + 1 << "/" << epochs_ << "\n" << std::flush;
}

void ProgbarLogger::on_train_batch_end(std::int64_t batch, Logs& logs) { update_progbar(batch, logs); }

void ProgbarLogger::on_test_batch_end(std::int64_t batch, Logs& logs) {
  if (!called_in_fit_) update_progbar(batch, logs);
}

void ProgbarLogger::on_predict_batch_end(std::int64_t batch, Logs&) { update_progbar(batch, Logs()); }

void ProgbarLogger::on_epoch_end(int, Logs& logs) { finalize_progbar(logs); }

void ProgbarLogger::on_test_end(Logs& logs) {
  if (!called_in_fit_) finalize_progbar(logs);
}

void ProgbarLogger::on_predict_end(Logs& logs) { finalize_progbar(logs); }

void ProgbarLogger::reset_progbar() {
  seen_ = 0;
  progbar_.reset();
}

void ProgbarLogger::maybe_init_progbar() {
  if (progbar_) return;
  utils::ProgbarOptions o = options_;
  o.verbose = verbose_;
  o.unit_name = "step";
  o.all_stateful = true;  // Keras passes stateless_metrics=set(): values are shown as reported
  progbar_ = std::make_unique<utils::Progbar>(target_, o);
}

void ProgbarLogger::update_progbar(std::int64_t batch, const Logs& logs) {
  maybe_init_progbar();
  seen_ = batch + 1;
  if (verbose_ == 1) progbar_->update(seen_, logs.items(), /*finalize=*/false);
}

void ProgbarLogger::finalize_progbar(const Logs& logs) {
  maybe_init_progbar();
  if (!target_) {
    target_ = seen_;
    progbar_->set_target(target_);
  }
  progbar_->update(*target_, logs.items(), /*finalize=*/true);
}

// ---- CSVLogger -----------------------------------------------------------------------------------

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), separator_(std::move(separator)), append_(append) {
  if (separator_.size() != 1)
    throw TypeError("CSVLogger's separator must be a 1-character string. Received: separator='" + separator_ + "'");
}

void CSVLogger::on_train_begin(Logs&) {
  append_header_ = true;
  if (append_) {
    std::ifstream existing(filename_);
    if (existing) {
      std::string first_line;
      std::getline(existing, first_line);
      append_header_ = first_line.empty() && existing.eof();
    }
  }
  if (file_.is_open()) file_.close();
  file_.open(filename_, append_ ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
  if (!file_) throw IOError("CSVLogger cannot open '" + filename_ + "' for writing.");
  keys_.reset();
  header_written_ = false;
}

namespace {
// Python csv (excel dialect, QUOTE_MINIMAL): quote fields holding the separator, a quote or
// a line break, doubling inner quotes.
std::string csv_field(const std::string& text, char sep) {
  if (text.find_first_of(std::string(1, sep) + "\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}
}  // namespace

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (!file_.is_open()) throw RuntimeError("CSVLogger.on_epoch_end called before on_train_begin.");
  const char sep = separator_[0];
  if (!keys_) {
    std::vector<std::string> keys = logs.sorted().keys();
    const bool has_val = std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.rfind("val_", 0) == 0; });
    if (!has_val && !keys.empty()) {
      const std::size_t n = keys.size();
      for (std::size_t i = 0; i < n; ++i) keys.push_back("val_" + keys[i]);
    }
    keys_ = keys;
  }
  if (!header_written_) {
    if (append_header_) {
      std::string header = "epoch";
      for (const auto& k : *keys_) header += sep + csv_field(k, sep);
      file_ << header << "\r\n";
    }
    header_written_ = true;
  }
  std::string row = std::to_string(epoch);
  for (const auto& k : *keys_) {
    auto v = logs.get(k);
    row += sep + csv_field(v ? utils::python_float_repr(*v) : "NA", sep);
  }
  file_ << row << "\r\n" << std::flush;
}

void CSVLogger::on_train_end(Logs&) {
  if (file_.is_open()) file_.close();
}

// ---- LearningRateScheduler / TerminateOnNaN -------------------------------------------------------

LearningRateScheduler::LearningRateScheduler(std::function<double(int, double)> schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw ValueError("LearningRateScheduler needs a schedule function. Received: an empty function");
}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  CallbackModel& model = require_model("LearningRateScheduler");
  const double lr = schedule_(epoch, model.learning_rate());
  if (!std::isfinite(lr))
    throw ValueError("The output of the `schedule` function should be a finite float. Got: " +
                     utils::python_float_repr(lr));
  model.set_learning_rate(lr);
  if (verbose_ > 0)
    print_msg("\nEpoch " + std::to_string(epoch + 1) + ": LearningRateScheduler setting learning rate to " +
              utils::python_float_repr(lr) + ".");
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) {
  logs["learning_rate"] = require_model("LearningRateScheduler").learning_rate();
}

void TerminateOnNaN::on_batch_end(std::int64_t batch, Logs& logs) {
  auto loss = logs.get("loss");
  if (!loss || std::isfinite(*loss)) return;
  if (raise_error_)
    throw RuntimeError("NaN or Inf loss encountered at batch " + std::to_string(batch) +
                       ". Loss value: " + utils::python_float_repr(*loss) + ". Terminating training immediately.");
  print_msg("Batch " + std::to_string(batch) + ": Invalid loss, terminating training");
  require_model("TerminateOnNaN").stop_training = true;
}

}  // namespace keras::callbacks
