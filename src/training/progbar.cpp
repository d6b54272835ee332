// Keras 3's Progbar, reproduced character for character (keras/src/utils/progbar.py).
#include "keras/training/progbar.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>

#include "keras/core/errors.h"

namespace keras::utils {

namespace {

// Python's len() of UTF-8 text: code points, not bytes (━ is one character).
std::int64_t code_points(const std::string& s) {
  std::int64_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

std::string repeat(const std::string& s, std::int64_t n) {
  std::string out;
  for (std::int64_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string printf_string(const char* fmt, double v) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// Python's "%d" % x for a float: truncation toward zero.
long long py_int(double x) { return static_cast<long long>(x); }

// Python's "%{n}d/%d" % (current, target).
std::string count_text(std::int64_t current, std::int64_t target) {
  const int numdigits = static_cast<int>(std::log10(static_cast<double>(target))) + 1;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%*lld/%lld", numdigits, static_cast<long long>(current),
                static_cast<long long>(target));
  return buf;
}

const char* const kBar = "\xe2\x94\x81";  // ━ (U+2501)

}  // namespace

Clock default_clock() {
  return [] {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  };
}

std::string python_format(double value, const std::string& spec) {
  if (spec.empty()) return python_float_repr(value);
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const char conv = spec.back();
  if (conv != 'f' && conv != 'e' && conv != 'g' && conv != 'E' && conv != 'G' && conv != '%')
    throw ValueError("Unknown format code '" + std::string(1, conv) + "' for object of type 'float'. Received: spec='" +
                     spec + "'");
  if (conv == '%') return printf_string((std::string("%").append(spec, 0, spec.size() - 1) + "f").c_str(), value * 100.0) + "%";
  return printf_string(("%" + spec).c_str(), value);
}

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";
  // Shortest %.Ne that reads back as the same double.
  char buf[64];
  for (int precision = 0; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  std::string text = buf;
  const bool negative = text[0] == '-';
  if (negative) text = text.substr(1);
  const std::size_t e_pos = text.find('e');
  std::string digits = text.substr(0, 1) + (e_pos > 2 ? text.substr(2, e_pos - 2) : "");
  const int exponent = std::atoi(text.c_str() + e_pos + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exponent >= -4 && exponent < 16) {
    // Fixed notation, always with a fractional part ("100.0").
    if (exponent < 0) {
      out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
      const std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= int_len) out = digits + std::string(int_len - digits.size(), '0') + ".0";
      else out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp_buf;
  }
  return negative ? "-" + out : out;
}

Progbar::Progbar(std::optional<std::int64_t> target, ProgbarOptions options)
    : target_(target), options_(std::move(options)) {
  out_ = options_.out ? options_.out : &std::cout;
  clock_ = options_.clock ? options_.clock : default_clock();
  if (options_.dynamic_display) dynamic_display_ = *options_.dynamic_display;
  else dynamic_display_ = out_ == &std::cout && ::isatty(STDOUT_FILENO);
  start_ = clock_();
  // Keras starts from time.time() - 0, so its first update always shows.
  last_update_ = -std::numeric_limits<double>::infinity();
}

double Progbar::estimate_step_duration(std::int64_t current, double now) {
  if (current == 0) return 0.0;
  // The first step (tracing, warm-up) is not representative: later estimates skip it.
  double time_per_unit;
  if (time_after_first_step_ && current > 1)
    time_per_unit = (now - *time_after_first_step_) / static_cast<double>(current - 1);
  else
    time_per_unit = (now - start_) / static_cast<double>(current);
  if (current == 1) time_after_first_step_ = now;
  return time_per_unit;
}

std::string Progbar::format_time(double time_per_unit) const {
  const std::string& unit = options_.unit_name;
  std::string out = " ";
  if (time_per_unit >= 1 || time_per_unit == 0) return out.append(printf_string("%.0f", time_per_unit)) + "s/" + unit;
  if (time_per_unit >= 1e-3) return out.append(printf_string("%.0f", time_per_unit * 1000.0)) + "ms/" + unit;
  return out.append(printf_string("%.0f", time_per_unit * 1000000.0)) + "us/" + unit;
}

std::string Progbar::format_values(bool verbose2) const {
  std::string info;
  for (std::size_t i = 0; i < values_order_.size(); ++i) {
    info += " - " + values_order_[i] + ":";
    const auto& [sum, count] = values_[i];
    const double avg = sum / std::max(1.0, count);
    // verbose=2 tests avg > 1e-3 without abs(): negative values print in %.4e there.
    const bool fixed = verbose2 ? avg > 1e-3 : std::abs(avg) > 1e-3;
    info.append(" ").append(python_format(avg, fixed ? ".4f" : ".4e"));
  }
  return info;
}

void Progbar::update(std::int64_t current, const std::vector<std::pair<std::string, double>>& values,
                     std::optional<bool> finalize_opt) {
  const bool finalize = finalize_opt ? *finalize_opt : (target_ && current >= *target_);
  for (const auto& [k, v] : values) {
    std::size_t idx = 0;
    while (idx < values_order_.size() && values_order_[idx] != k) ++idx;
    const bool is_new = idx == values_order_.size();
    if (is_new) {
      values_order_.push_back(k);
      values_.push_back({0.0, 0.0});
    }
    const bool stateless = !options_.all_stateful && options_.stateful_metrics.count(k) == 0;
    if (stateless && !finalize) {
      const double base = static_cast<double>(std::max<std::int64_t>(current - seen_so_far_, 1));
      if (is_new) values_[idx] = {v * base, base};
      else {
        values_[idx].first += v * base;
        values_[idx].second += base;
      }
    } else {
      values_[idx] = {v, 1.0};
    }
  }
  seen_so_far_ = current;

  const double now = clock_();
  const double time_per_unit = estimate_step_duration(current, now);
  const bool has_target = target_ && *target_ > 0;

  if (options_.verbose == 1) {
    if (now - last_update_ < options_.interval && !finalize) return;
    std::string message = dynamic_display_ ? std::string(static_cast<std::size_t>(prev_total_width_), '\b') + "\r" : "\n";
    std::string bar;
    std::int64_t special_chars = 0;
    if (has_target) {
      bar = "\x1b[1m" + count_text(current, *target_) + "\x1b[0m ";
      special_chars += 8;
      const double prog = static_cast<double>(current) / static_cast<double>(*target_);
      const std::int64_t prog_width = static_cast<std::int64_t>(options_.width * prog);
      if (prog_width > 0) {
        bar += "\x1b[32m" + repeat(kBar, prog_width) + "\x1b[0m";
        special_chars += 9;
      }
      bar += "\x1b[37m" + repeat(kBar, options_.width - prog_width) + "\x1b[0m";
      special_chars += 9;
    } else {
      char buf[48];
      std::snprintf(buf, sizeof(buf), "%7lld/Unknown", static_cast<long long>(current));
      bar = buf;
    }
    message += bar;

    std::string info;
    if (has_target && !finalize) {
      const double eta = time_per_unit * static_cast<double>(*target_ - current);
      char buf[64];
      if (eta > 3600)
        std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", py_int(std::floor(eta / 3600)),
                      py_int(std::floor(std::fmod(eta, 3600) / 60)), py_int(std::fmod(eta, 60)));
      else if (eta > 60)
        std::snprintf(buf, sizeof(buf), "%lld:%02lld", py_int(std::floor(eta / 60)), py_int(std::fmod(eta, 60)));
      else
        std::snprintf(buf, sizeof(buf), "%llds", py_int(eta));
      info = std::string(" \x1b[1m") + buf + "\x1b[0m";
    } else {
      info = " \x1b[1m" + printf_string("%.0f", now - start_) + "s\x1b[0m";
    }
    special_chars += 8;
    info += format_time(time_per_unit);
    info += format_values(/*verbose2=*/false);
    message += info;

    const std::int64_t total_width = code_points(bar) + code_points(info) - special_chars;
    if (prev_total_width_ > total_width) message += std::string(static_cast<std::size_t>(prev_total_width_ - total_width), ' ');
    if (finalize) message += "\n";
    *out_ << message << std::flush;
    prev_total_width_ = total_width;
  } else if (options_.verbose == 2) {
    if (finalize && has_target) {
      std::string info = count_text(current, *target_) + " - " + printf_string("%.0f", now - start_) + "s";
      info += " -" + format_time(time_per_unit);
      info += format_values(/*verbose2=*/true);
      info += "\n";
      *out_ << info << std::flush;
    }
  }
  last_update_ = now;
}

void Progbar::add(std::int64_t n, const std::vector<std::pair<std::string, double>>& values) {
  update(seen_so_far_ + n, values);
}

}  // namespace keras::utils
