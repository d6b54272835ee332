#pragma once
/// Shape: dimensions of a tensor, row-major. A dimension of -1 is unknown (Keras's None),
/// used while tracing a model whose batch size is not fixed yet.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace keras {

inline constexpr std::int64_t kUnknownDim = -1;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  /// Python-style indexing: shape[-1] is the last dimension. Throws IndexError.
  /// Inline (every kernel reads its shapes on every run), with the error out of line.
  std::int64_t operator[](int index) const { return dims_[checked_index(index)]; }
  std::int64_t& operator[](int index) { return dims_[checked_index(index)]; }
  const std::vector<std::int64_t>& dims() const { return dims_; }
  std::vector<std::int64_t>& dims() { return dims_; }

  bool is_fully_defined() const;
  /// Product of dimensions; -1 if any dimension is unknown; 1 for a scalar.
  std::int64_t num_elements() const {
    std::int64_t n = 1;
    for (auto d : dims_) {
      if (d < 0) return -1;
      n *= d;
    }
    return n;
  }

  /// Normalizes a possibly negative axis into [0, rank); throws ValueError naming the shape.
  int normalize_axis(int axis) const;

  /// Python tuple spelling: "(None, 75)", "(3,)", "()".
  std::string to_string() const;

  bool operator==(const Shape& other) const { return dims_ == other.dims_; }
  bool operator!=(const Shape& other) const { return dims_ != other.dims_; }

  void push_back(std::int64_t dim) { dims_.push_back(dim); }
  auto begin() const { return dims_.begin(); }
  auto end() const { return dims_.end(); }

 private:
  std::size_t checked_index(int index) const {
    const int r = rank();
    const int i = index < 0 ? index + r : index;
    if (i < 0 || i >= r) [[unlikely]]
      throw_index_error(index);
    return static_cast<std::size_t>(i);
  }
  [[noreturn]] void throw_index_error(int index) const;

  std::vector<std::int64_t> dims_;
};

/// NumPy broadcasting of two shapes; unknown dims broadcast with 1 or themselves.
/// Throws ValueError with both shapes when incompatible. `op_name` prefixes the message.
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op_name);

/// Row-major strides (in elements) of a fully defined shape.
std::vector<std::int64_t> row_major_strides(const Shape& shape);

}  // namespace keras
