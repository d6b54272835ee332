#pragma once
/// keras::utils::Progbar — Keras 3's progress bar (keras/src/utils/progbar.py), byte for byte.
///
/// verbose=1:  "\x1b[1m 12/938\x1b[0m \x1b[32m━\x1b[0m\x1b[37m━━━…\x1b[0m \x1b[1m3s\x1b[0m 4ms/step - loss: 0.5121"
///   (a 20-character bar of ━, green for the done part, white for the rest; ETA while
///   running, elapsed time when finalized; values as %.4f, or %.4e when |v| <= 1e-3).
///   On a dynamic display (a terminal) each update redraws the line with \b and \r; otherwise
///   each update starts with a newline. Updates closer than `interval` seconds are skipped
///   unless final.
/// verbose=2:  one line when finalized: "32/32 - 0s - 2ms/step - loss: 0.1234".
///
/// The clock and the output stream are injectable, so tests compare the text exactly.
///
///   keras::utils::Progbar bar(938);
///   bar.update(12, {{"accuracy", 0.8123}, {"loss", 0.5121}});
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace keras::utils {

/// Seconds from an arbitrary origin (monotonic). The default reads std::chrono::steady_clock.
using Clock = std::function<double()>;
Clock default_clock();

struct ProgbarOptions {
  int width = 20;
  int verbose = 1;
  double interval = 0.05;
  /// Names displayed as given; every other name is averaged over the updates (Keras's
  /// `stateful_metrics`). Empty and `all_stateful` false: every value is averaged.
  std::set<std::string> stateful_metrics{};
  /// Keras's ProgbarLogger passes `stateless_metrics=set()`: every value is displayed as given.
  bool all_stateful = false;
  std::string unit_name = "step";
  std::ostream* out = nullptr;  // nullptr: std::cout
  Clock clock{};                // empty: default_clock()
  /// Redraw in place (\b, \r) instead of a line per update. Unset: true when `out` is
  /// std::cout and stdout is a terminal. (Keras's own test also says yes whenever Python's
  /// `posix` module is loaded, i.e. on every Linux — set it to true to reproduce that.)
  std::optional<bool> dynamic_display{};
};

class Progbar {
 public:
  /// `target`: total number of steps, or nullopt when unknown.
  explicit Progbar(std::optional<std::int64_t> target, ProgbarOptions options = {});

  /// Shows progress at step `current` with (name, value) pairs. `finalize` defaults to
  /// current >= target.
  void update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values = {},
              std::optional<bool> finalize = std::nullopt);
  void add(std::int64_t n, const std::vector<std::pair<std::string, double>>& values = {});

  void set_target(std::optional<std::int64_t> target) { target_ = target; }
  std::optional<std::int64_t> target() const { return target_; }

 private:
  double estimate_step_duration(std::int64_t current, double now);
  std::string format_time(double time_per_unit) const;
  std::string format_values(bool verbose2) const;

  std::optional<std::int64_t> target_;
  ProgbarOptions options_;
  std::ostream* out_;
  Clock clock_;
  bool dynamic_display_;
  std::int64_t seen_so_far_ = 0;
  std::vector<std::string> values_order_;
  std::vector<std::pair<double, double>> values_;  // (sum, count) per name in values_order_
  double start_;
  double last_update_ = 0;
  std::optional<double> time_after_first_step_;
  std::int64_t prev_total_width_ = 0;
};

/// Python's `str(float)` / `repr(float)`: the shortest text that reads back as the same
/// double ("0.1", "0.009999999776482582", "1e-05", "nan", "inf").
std::string python_float_repr(double value);
/// Python's f"{value:.{digits}f}" / "e" formatting of a double, with "nan"/"inf"/"-inf".
std::string python_format(double value, const std::string& spec);

}  // namespace keras::utils
