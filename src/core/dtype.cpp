#include "keras/core/dtype.h"

#include "keras/core/errors.h"

namespace keras {

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::float32: return 4;
    case DType::float64: return 8;
    case DType::int32: return 4;
    case DType::int64: return 8;
    case DType::bool_: return 1;
  }
  return 4;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::bool_: return "bool";
  }
  return "unknown";
}

DType dtype_from_name(const std::string& name) {
  if (name == "float32" || name == "float") return DType::float32;
  if (name == "float64" || name == "double") return DType::float64;
  if (name == "int32") return DType::int32;
  if (name == "int64") return DType::int64;
  if (name == "bool") return DType::bool_;
  throw ValueError("Invalid dtype: expected one of float32, float64, int32, int64, bool. Received: dtype=" + name);
}

bool is_floating(DType dtype) { return dtype == DType::float32 || dtype == DType::float64; }
bool is_integer(DType dtype) { return dtype == DType::int32 || dtype == DType::int64; }

}  // namespace keras
