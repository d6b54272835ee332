// NumPy-style printing: `std::cout << tensor` shows what `print(np_array)` shows (the str()
// form of NumPy's default print options: precision 8, floatmode 'maxprec', linewidth 75,
// threshold 1000, edgeitems 3), so that output can be compared with Python side by side.
//
// The float rules follow NumPy's FloatingFormat:
//  - scientific notation when the largest |x| >= 1e8, the smallest nonzero |x| < 1e-4, or
//    their ratio > 1000 (over the printed elements only);
//  - otherwise each value is its shortest round-trip decimal, cut to 8 fractional digits,
//    with trailing zeros trimmed; integer parts are right-aligned and fractions padded with
//    spaces so that all decimal points line up;
//  - in scientific notation every mantissa gets the same number of digits (the most any
//    value needs) and exponents the same number of digits (at least 2).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <ostream>
#include <sstream>
#include <system_error>

#include "keras/core/tensor.h"

namespace keras {

namespace {

constexpr int kPrecision = 8;
constexpr int kLineWidth = 75;
constexpr std::int64_t kThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;

// ---- decimal conversions (std::to_chars: shortest round-trip, or exactly rounded) ---------

template <typename T>
std::string chars(T x, std::chars_format fmt, int precision = -1) {
  char buf[512];
  const auto r = precision < 0 ? std::to_chars(buf, buf + sizeof buf, x, fmt)
                               : std::to_chars(buf, buf + sizeof buf, x, fmt, precision);
  return std::string(buf, r.ec == std::errc() ? r.ptr : buf);
}

void trim_trailing_zeros(std::string& s) {
  while (!s.empty() && s.back() == '0') s.pop_back();
}

struct Positional {
  std::string int_part;   // with the sign
  std::string frac_part;  // without trailing zeros; may be empty
};

// Shortest round-trip digits, or the value rounded to kPrecision fractional digits when the
// shortest form needs more.
template <typename T>
Positional positional(T x) {
  auto split = [](const std::string& s) {
    const auto dot = s.find('.');
    if (dot == std::string::npos) return Positional{s, ""};
    return Positional{s.substr(0, dot), s.substr(dot + 1)};
  };
  Positional p = split(chars(x, std::chars_format::fixed));
  if (static_cast<int>(p.frac_part.size()) > kPrecision) {
    p = split(chars(x, std::chars_format::fixed, kPrecision));
    trim_trailing_zeros(p.frac_part);
  }
  return p;
}

struct Scientific {
  std::string int_part;   // sign and one digit
  std::string frac_part;  // mantissa digits after the point
  int exponent = 0;
};

template <typename T>
Scientific scientific(T x, int precision) {
  const std::string s = chars(x, std::chars_format::scientific, precision);
  const auto e = s.find('e');
  const std::string mantissa = s.substr(0, e);
  Scientific out;
  out.exponent = std::stoi(s.substr(e + 1));
  const auto dot = mantissa.find('.');
  out.int_part = mantissa.substr(0, dot);
  if (dot != std::string::npos) out.frac_part = mantissa.substr(dot + 1);
  return out;
}

// Shortest form, cut to kPrecision mantissa digits.
template <typename T>
Scientific scientific_shortest(T x) {
  Scientific s = scientific(x, -1);
  if (static_cast<int>(s.frac_part.size()) > kPrecision) {
    s = scientific(x, kPrecision);
    trim_trailing_zeros(s.frac_part);
  }
  return s;
}

int digits_of(int exponent) { return static_cast<int>(std::to_string(std::abs(exponent)).size()); }

// ---- element formatters, configured from the elements that will be printed -----------------

template <typename T>
class FloatFormatter {
 public:
  explicit FloatFormatter(const std::vector<T>& data) {
    std::vector<T> finite;
    for (T v : data)
      if (std::isfinite(v)) finite.push_back(v);
    T max_abs = 0, min_abs = 0;
    bool any_nonzero = false;
    for (T v : finite) {
      if (v == 0) continue;
      const T a = std::abs(v);
      if (!any_nonzero || a > max_abs) max_abs = a;
      if (!any_nonzero || a < min_abs) min_abs = a;
      any_nonzero = true;
    }
    if (any_nonzero) {
      // NumPy compares the dtype's max/min with Python floats (double), but divides them in
      // the dtype itself.
      const T ratio = max_abs / min_abs;
      exp_format_ = static_cast<double>(max_abs) >= 1e8 || static_cast<double>(min_abs) < 1e-4 ||
                    static_cast<double>(ratio) > 1000.0;
    }
    if (finite.empty()) {
      pad_left_ = pad_right_ = 0;
    } else if (exp_format_) {
      int exp_digits = 0;
      for (T v : finite) {
        const Scientific s = scientific_shortest(v);
        precision_ = std::max(precision_, static_cast<int>(s.frac_part.size()));
        pad_left_ = std::max(pad_left_, static_cast<int>(s.int_part.size()));
        exp_digits = std::max(exp_digits, digits_of(s.exponent));
      }
      exp_size_ = std::max(2, exp_digits);
      pad_right_ = exp_size_ + 2 + precision_;
    } else {
      for (T v : finite) {
        const Positional p = positional(v);
        pad_left_ = std::max(pad_left_, static_cast<int>(p.int_part.size()));
        pad_right_ = std::max(pad_right_, static_cast<int>(p.frac_part.size()));
      }
    }
    if (finite.size() != data.size()) {
      bool neg_inf = false;
      for (T v : data) neg_inf = neg_inf || (std::isinf(v) && v < 0);
      const int offset = pad_right_ + 1;  // the decimal point
      pad_left_ = std::max({pad_left_, 3 - offset, 3 + (neg_inf ? 1 : 0) - offset});
    }
  }

  std::string operator()(T x) const {
    if (!std::isfinite(x)) {
      const std::string s = std::isnan(x) ? "nan" : (x < 0 ? "-inf" : "inf");
      const int width = pad_left_ + pad_right_ + 1;
      return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), ' ') + s;
    }
    if (exp_format_) {
      // Every mantissa gets precision_ digits: the true digits of x, exactly rounded (NumPy
      // prints 0.3f as 3.0000001e-01 next to a value that needs 8 digits).
      const Scientific s = scientific(x, precision_);
      std::string exp_digits = std::to_string(std::abs(s.exponent));
      exp_digits.insert(0, static_cast<std::size_t>(std::max(0, exp_size_ - static_cast<int>(exp_digits.size()))), '0');
      return pad(s.int_part, pad_left_) + "." + s.frac_part + "e" + (s.exponent < 0 ? "-" : "+") + exp_digits;
    }
    const Positional p = positional(x);
    std::string frac = p.frac_part;
    frac.append(static_cast<std::size_t>(std::max(0, pad_right_ - static_cast<int>(frac.size()))), ' ');
    return pad(p.int_part, pad_left_) + "." + frac;
  }

 private:
  static std::string pad(const std::string& s, int width) {
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), ' ') + s;
  }

  bool exp_format_ = false;
  int pad_left_ = 0;
  int pad_right_ = 0;
  int precision_ = 0;  // mantissa digits in scientific notation
  int exp_size_ = 2;
};

// ---- layout (NumPy's _formatArray for str(): separator ' ', hanging indent ' ') ---------------

class Layout {
 public:
  Layout(const Shape& shape, bool summarize, std::function<std::string(std::int64_t)> element)
      : shape_(shape), strides_(row_major_strides(shape)), summarize_(summarize), element_(std::move(element)) {}

  std::string format() { return recurse(0, 0, " ", kLineWidth); }

 private:
  // Appends `word` to `line`, first moving `line` into `s` when the word would pass `width`
  // (unless the line holds nothing but the indent: wrapping would not help then).
  static void extend(std::string& s, std::string& line, const std::string& word, int width, const std::string& indent) {
    const bool wrap = static_cast<int>(line.size() + word.size()) > width && line.size() > indent.size();
    if (wrap) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      s += line + "\n";
      line = indent;
    }
    line += word;
  }

  std::string recurse(int axis, std::int64_t offset, const std::string& indent, int width) {
    const int rank = shape_.rank();
    if (axis == rank) return element_(offset);
    const std::string next_indent = indent + " ";
    const int next_width = width - 1;  // room for this level's ']'
    const std::int64_t len = shape_.dims()[static_cast<std::size_t>(axis)];
    const std::int64_t stride = strides_[static_cast<std::size_t>(axis)];
    const bool summary = summarize_ && 2 * kEdgeItems < len;
    const std::int64_t leading = summary ? kEdgeItems : 0;
    const std::int64_t trailing = summary ? kEdgeItems : len;
    auto child = [&](std::int64_t i) { return recurse(axis + 1, offset + i * stride, next_indent, next_width); };

    std::string s;
    if (rank - axis == 1) {
      const int elem_width = width - 1;
      std::string line = indent;
      for (std::int64_t i = 0; i < leading; ++i) {
        extend(s, line, child(i), elem_width, indent);
        line += " ";
      }
      if (summary) {
        extend(s, line, "...", elem_width, indent);
        line += " ";
      }
      for (std::int64_t i = trailing; i > 1; --i) {
        extend(s, line, child(len - i), elem_width, indent);
        line += " ";
      }
      extend(s, line, child(len - 1), elem_width, indent);
      s += line;
    } else {
      // One newline between rows, a blank line between 2-D blocks, and so on.
      const std::string row_sep(static_cast<std::size_t>(rank - axis - 1), '\n');
      for (std::int64_t i = 0; i < leading; ++i) s += indent + child(i) + row_sep;
      if (summary) s += indent + "..." + row_sep;
      for (std::int64_t i = trailing; i > 1; --i) s += indent + child(len - i) + row_sep;
      s += indent + child(len - 1);
    }
    std::string out(1, '[');
    out.append(s, indent.size());
    out += ']';
    return out;
  }

  const Shape& shape_;
  std::vector<std::int64_t> strides_;
  bool summarize_;
  std::function<std::string(std::int64_t)> element_;
};

// Flat offsets of the elements that will be printed (all, or the edges of long axes): the
// formatters are configured from these only, as NumPy does.
void collect_shown(const Shape& shape, const std::vector<std::int64_t>& strides, bool summarize, int axis,
                   std::int64_t offset, std::vector<std::int64_t>& out) {
  if (axis == shape.rank()) {
    out.push_back(offset);
    return;
  }
  const std::int64_t len = shape.dims()[static_cast<std::size_t>(axis)];
  const std::int64_t stride = strides[static_cast<std::size_t>(axis)];
  const bool summary = summarize && 2 * kEdgeItems < len;
  for (std::int64_t i = 0; i < len; ++i) {
    if (summary && i == kEdgeItems) i = len - kEdgeItems;
    collect_shown(shape, strides, summarize, axis + 1, offset + i * stride, out);
  }
}

template <typename T>
std::string format_concrete(const Tensor& t) {
  const Shape& shape = t.shape();
  const T* data = static_cast<const T*>(t.raw_data());
  const bool summarize = t.size() > kThreshold;
  std::vector<std::int64_t> shown_offsets;
  collect_shown(shape, row_major_strides(shape), summarize, 0, 0, shown_offsets);
  std::vector<T> shown;
  shown.reserve(shown_offsets.size());
  for (auto o : shown_offsets) shown.push_back(data[o]);

  std::function<std::string(std::int64_t)> element;
  if constexpr (std::is_same_v<T, bool>) {
    // Inside arrays True is padded to the width of False.
    const std::string true_str = shape.rank() == 0 ? "True" : " True";
    element = [data, true_str](std::int64_t i) { return data[i] ? true_str : std::string("False"); };
  } else if constexpr (std::is_integral_v<T>) {
    std::size_t width = 0;
    for (T v : shown) width = std::max(width, std::to_string(v).size());
    element = [data, width](std::int64_t i) {
      std::string s = std::to_string(data[i]);
      return std::string(width - std::min(width, s.size()), ' ') + s;
    };
  } else {
    FloatFormatter<T> fmt(shown);
    element = [data, fmt](std::int64_t i) { return fmt(data[i]); };
  }
  if (shape.rank() == 0) return element(0);
  return Layout(shape, summarize, element).format();
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.to_string(); }

std::string Tensor::to_string() const {
  std::ostringstream s;
  s << *this;
  return s.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "<undefined Tensor>";
  if (t.is_symbolic())
    return os << "<KerasTensor shape=" << t.shape().to_string() << ", dtype=" << dtype_name(t.dtype()) << ">";
  if (t.size() == 0) return os << "[]";
  return os << dispatch_dtype(t.dtype(), [&](auto zero) { return format_concrete<decltype(zero)>(t); });
}

}  // namespace keras
