#pragma once
/// Element types. float32 is Keras's floatx and the default everywhere.
#include <cstddef>
#include <cstdint>
#include <string>

namespace keras {

enum class DType : std::uint8_t { float32, float64, int32, int64, bool_ };

std::size_t dtype_size(DType dtype);
/// Keras's spelling: "float32", "float64", "int32", "int64", "bool".
std::string dtype_name(DType dtype);
/// Inverse of dtype_name; throws ValueError on unknown names.
DType dtype_from_name(const std::string& name);
bool is_floating(DType dtype);
bool is_integer(DType dtype);

template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::float64; };
template <> struct dtype_of<std::int32_t> { static constexpr DType value = DType::int32; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::int64; };
template <> struct dtype_of<bool> { static constexpr DType value = DType::bool_; };

/// Calls `fn(T{})` with T the C++ type of `dtype`: the one place that turns a runtime
/// dtype into a template argument.
template <typename Fn>
decltype(auto) dispatch_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::float32: return fn(float{});
    case DType::float64: return fn(double{});
    case DType::int32: return fn(std::int32_t{});
    case DType::int64: return fn(std::int64_t{});
    case DType::bool_: return fn(bool{});
  }
  return fn(float{});
}

/// Same, restricted to float32/float64; other dtypes raise TypeError naming `what`.
template <typename Fn>
decltype(auto) dispatch_floating(DType dtype, const char* what, Fn&& fn);

}  // namespace keras

#include "keras/core/errors.h"

namespace keras {
template <typename Fn>
decltype(auto) dispatch_floating(DType dtype, const char* what, Fn&& fn) {
  if (dtype == DType::float64) return fn(double{});
  if (dtype != DType::float32)
    throw TypeError(std::string(what) + " expects a floating-point tensor (float32 or float64). Received: dtype=" +
                    dtype_name(dtype));
  return fn(float{});
}
}  // namespace keras
