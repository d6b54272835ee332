// NumPy-style printing of tensors and shapes (placeholder: refined by the printing work).
#include <ostream>
#include <sstream>

#include "keras/core/tensor.h"

namespace keras {

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape.to_string(); }

std::string Tensor::to_string() const {
  std::ostringstream s;
  s << *this;
  return s.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "<undefined Tensor>";
  if (t.is_symbolic()) return os << "<KerasTensor shape=" << t.shape().to_string() << ", dtype=" << dtype_name(t.dtype()) << ">";
  auto v = t.to_vector<double>();
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? " " : "") << v[i];
  return os << "]";
}

}  // namespace keras
