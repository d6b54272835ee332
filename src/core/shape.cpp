#include "keras/core/shape.h"

#include "keras/core/errors.h"

namespace keras {

void Shape::throw_index_error(int index) const {
  const int r = rank();
  throw IndexError("Shape index out of range: expected -" + std::to_string(r) + " <= index < " + std::to_string(r) +
                   ". Received: index=" + std::to_string(index) + " for shape " + to_string());
}

bool Shape::is_fully_defined() const {
  for (auto d : dims_)
    if (d < 0) return false;
  return true;
}

int Shape::normalize_axis(int axis) const {
  const int r = rank();
  if (axis < -r || axis >= r)
    throw ValueError("Invalid axis: expected an axis in [" + std::to_string(-r) + ", " + std::to_string(r) +
                     ") for a tensor of rank " + std::to_string(r) + ". Received: axis=" + std::to_string(axis) +
                     " for shape " + to_string());
  return axis < 0 ? axis + r : axis;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i] < 0 ? std::string("None") : std::to_string(dims_[i]);
  }
  if (dims_.size() == 1) s += ",";
  return s + ")";
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op_name) {
  const int r = std::max(a.rank(), b.rank());
  std::vector<std::int64_t> out(static_cast<std::size_t>(r));
  for (int i = 0; i < r; ++i) {
    const int ia = a.rank() - r + i, ib = b.rank() - r + i;
    const std::int64_t da = ia >= 0 ? a.dims()[ia] : 1;
    const std::int64_t db = ib >= 0 ? b.dims()[ib] : 1;
    std::int64_t d;
    if (da == db) d = da;
    else if (da == 1) d = db;
    else if (db == 1) d = da;
    else if (da < 0) d = db;  // None vs n: resolved at run time
    else if (db < 0) d = da;
    else
      throw ValueError("Cannot broadcast shapes in " + op_name + ": expected dimensions to be equal or 1 at axis " +
                       std::to_string(i - r) + ". Received: shapes " + a.to_string() + " and " + b.to_string());
    out[static_cast<std::size_t>(i)] = d;
  }
  return Shape(std::move(out));
}

std::vector<std::int64_t> row_major_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(static_cast<std::size_t>(shape.rank()));
  std::int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[static_cast<std::size_t>(i)] = s;
    s *= shape.dims()[i];
  }
  return strides;
}

}  // namespace keras
