// Callbacks that watch one log value: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
// (keras/src/callbacks/{monitor_callback,early_stopping,model_checkpoint,reduce_lr_on_plateau}.py).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "keras/core/errors.h"
#include "keras/training/callbacks.h"

namespace keras::callbacks {

namespace {
std::string fixed5(double v) { return utils::python_format(v, ".5f"); }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

// ---- MonitorCallback ------------------------------------------------------------------------------

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline,
                                 double min_delta)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), best_(baseline), min_delta_(std::abs(min_delta)) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    warn("Callback mode '" + mode_ + "' is unknown, fallback to auto mode.");
    mode_ = "auto";
  }
}

void MonitorCallback::set_monitor_op() {
  if (mode_ == "min") {
    monitor_op_ = -1;
  } else if (mode_ == "max") {
    monitor_op_ = +1;
  } else {
    const std::string metric_name = monitor_.rfind("val_", 0) == 0 ? monitor_.substr(4) : monitor_;
    if (metric_name == "loss") monitor_op_ = -1;
    if (model_) {
      const metrics::Direction d = model_->metric_direction(metric_name);
      if (d == metrics::Direction::up) monitor_op_ = +1;
      else if (d == metrics::Direction::down) monitor_op_ = -1;
    }
    if (monitor_op_ == 0)
      throw ValueError("Callback received monitor=" + monitor_ +
                       ", but Keras isn't able to automatically determine whether that metric should be maximized or "
                       "minimized. Pass `mode='max'` in order to monitor based on the highest metric value, or pass "
                       "`mode='min'` in order to use the lowest value.");
  }
  if (monitor_op_ < 0) min_delta_ = -min_delta_;
}

bool MonitorCallback::is_improvement(double value, std::optional<double> reference) const {
  if (!reference) return true;
  const double shifted = value - min_delta_;
  return monitor_op_ < 0 ? shifted < *reference : shifted > *reference;
}

// ---- EarlyStopping ---------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta), options_(std::move(options)) {}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_.reset();
  best_weights_.reset();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  if (monitor_op_ == 0) set_monitor_op();
  const std::optional<double> current = logs.get(monitor_);
  if (!current) {
    std::string names;
    for (const auto& k : logs.keys()) names += (names.empty() ? "" : ",") + k;
    warn("Early stopping conditioned on metric `" + monitor_ + "` which is not available. Available metrics are: " +
         names);
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  CallbackModel& model = require_model("EarlyStopping");
  if (options_.restore_best_weights && !best_weights_) {
    best_weights_ = model.get_weights();
    best_epoch_ = epoch;
  }
  // Keras counts this epoch before checking it: patience=1 stops at the first epoch that
  // does not improve.
  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model.get_weights();
    if (!options_.baseline || is_improvement(*current, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model.stop_training = true;
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose > 0)
    print_msg("Epoch " + std::to_string(stopped_epoch_ + 1) + ": early stopping");
  if (options_.restore_best_weights && best_weights_) {
    if (options_.verbose > 0)
      print_msg("Restoring model weights from the end of the best epoch: " + std::to_string(best_epoch_ + 1) + ".");
    require_model("EarlyStopping").set_weights(*best_weights_);
  }
}

// ---- ModelCheckpoint ---------------------------------------------------------------------------------

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : MonitorCallback(options.monitor, options.mode, options.initial_value_threshold, 0.0),
      filepath_(std::move(filepath)),
      options_(std::move(options)) {
  if (options_.save_freq < 0)
    throw ValueError("Unrecognized save_freq: " + std::to_string(options_.save_freq) +
                     ". Expected save_freq are 0 ('epoch') or a positive number of batches");
  if (options_.save_fn) return;
  if (options_.save_weights_only) {
    if (!ends_with(filepath_, ".weights.h5"))
      throw ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
                       "`.weights.h5` (Keras weights format). Received: filepath=" + filepath_);
  } else if (!ends_with(filepath_, ".keras") && !ends_with(filepath_, ".h5")) {
    throw ValueError("The filepath provided must end in `.keras` (Keras model format). Received: filepath=" +
                     filepath_);
  }
}

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (should_save_on_batch(batch)) save_model(current_epoch_, batch, logs);
}

void ModelCheckpoint::on_epoch_begin(int epoch, Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (monitor_op_ == 0) set_monitor_op();
  if (options_.save_freq == 0) save_model(epoch, std::nullopt, logs);
}

bool ModelCheckpoint::should_save_on_batch(std::int64_t batch) {
  if (options_.save_freq == 0) return false;
  const std::int64_t add = (!last_batch_seen_ || batch <= *last_batch_seen_) ? batch + 1 : batch - *last_batch_seen_;
  batches_seen_since_last_saving_ += add;
  last_batch_seen_ = batch;
  if (batches_seen_since_last_saving_ >= options_.save_freq) {
    batches_seen_since_last_saving_ = 0;
    return true;
  }
  return false;
}

bool ModelCheckpoint::should_save_model(int epoch, const Logs& logs, const std::string& filepath) {
  const std::string e = std::to_string(epoch + 1);
  if (!options_.save_best_only) {
    if (options_.verbose > 0) print_msg("\nEpoch " + e + ": saving model to " + filepath);
    return true;
  }
  const std::optional<double> current = logs.get(monitor_);
  if (!current) {
    warn("Can save best model only with " + monitor_ + " available.");
    return true;
  }
  const std::string best_str = best_ ? fixed5(*best_) : "None";
  if (is_improvement(*current, best_)) {
    if (options_.verbose > 0)
      print_msg("\nEpoch " + e + ": " + monitor_ + " improved from " + best_str + " to " + fixed5(*current) +
                ", saving model to " + filepath);
    best_ = *current;
    return true;
  }
  if (options_.verbose > 0) print_msg("\nEpoch " + e + ": " + monitor_ + " did not improve from " + best_str);
  return false;
}

void ModelCheckpoint::save_model(int epoch, std::optional<std::int64_t> batch, const Logs& logs) {
  std::map<std::string, std::int64_t> ints{{"epoch", epoch + 1}};
  if (batch && !logs.contains("batch")) ints["batch"] = *batch + 1;
  const std::string filepath = format_filepath(filepath_, ints, logs);
  if (!should_save_model(epoch, logs, filepath)) return;
  namespace fs = std::filesystem;
  if (fs::is_directory(filepath))
    throw IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                  "directory: " + filepath);
  const fs::path dir = fs::path(filepath).parent_path();
  if (!dir.empty() && !fs::exists(dir)) fs::create_directories(dir);
  if (options_.save_fn) options_.save_fn(filepath);
  else if (options_.save_weights_only) require_model("ModelCheckpoint").save_weights(filepath);
  else require_model("ModelCheckpoint").save(filepath);
  if (options_.verbose > 0) print_msg("\nEpoch " + std::to_string(epoch + 1) + ": finished saving model to " + filepath);
}

// ---- ReduceLROnPlateau -----------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta), options_(std::move(options)) {
  if (options_.factor >= 1.0)
    throw ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=" +
                     utils::python_float_repr(options_.factor));
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  best_.reset();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  if (monitor_op_ == 0) set_monitor_op();
  CallbackModel& model = require_model("ReduceLROnPlateau");
  logs["learning_rate"] = model.learning_rate();
  const std::optional<double> current = logs.get(monitor_);
  if (!current) {
    std::string names;
    for (const auto& k : logs.keys()) names += (names.empty() ? "" : ",") + k;
    warn("Learning rate reduction is conditioned on metric `" + monitor_ +
         "` which is not available. Available metrics are: " + names + ".");
    return;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (is_improvement(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (!in_cooldown()) {
    ++wait_;
    if (wait_ >= options_.patience) {
      const double old_lr = model.learning_rate();
      if (old_lr > static_cast<double>(static_cast<float>(options_.min_lr))) {
        const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        model.set_learning_rate(new_lr);
        if (options_.verbose > 0)
          print_msg("\nEpoch " + std::to_string(epoch + 1) + ": ReduceLROnPlateau reducing learning rate to " +
                    utils::python_float_repr(new_lr) + ".");
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// ---- filepath formatting ------------------------------------------------------------------------------

std::string format_filepath(const std::string& pattern, const std::map<std::string, std::int64_t>& ints,
                            const Logs& floats) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char ch = pattern[i];
    if (ch == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') { out += '{'; ++i; continue; }
    if (ch == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') { out += '}'; ++i; continue; }
    if (ch != '{') { out += ch; continue; }
    const std::size_t close = pattern.find('}', i);
    if (close == std::string::npos)
      throw ValueError("Failed to format this callback filepath: \"" + pattern + "\". Reason: unmatched '{'");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string key = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    auto int_it = ints.find(key);
    if (int_it != ints.end()) {
      const char conv = spec.empty() ? 'd' : spec.back();
      char buf[64];
      if (conv == 'd') {
        const std::string fmt = std::string("%").append(spec.empty() ? "" : spec.substr(0, spec.size() - 1)).append("lld");
        std::snprintf(buf, sizeof(buf), fmt.c_str(), static_cast<long long>(int_it->second));
      }
      else std::snprintf(buf, sizeof(buf), "%s", utils::python_format(static_cast<double>(int_it->second), spec).c_str());
      out += buf;
    } else if (auto v = floats.get(key)) {
      out += utils::python_format(*v, spec);
    } else {
      throw KeyError("Failed to format this callback filepath: \"" + pattern + "\". Reason: '" + key + "'");
    }
    i = close;
  }
  return out;
}

}  // namespace keras::callbacks
