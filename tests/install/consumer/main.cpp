// Links the installed kerascpp::keras and uses the public headers only.
#include <iostream>

#include "keras/ops/ops.h"

int main() {
  keras::Tensor a = keras::Tensor::from_vector(std::vector<float>{1, 2, 3}, {1, 3});
  keras::Tensor b = keras::Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  keras::Tensor c = keras::ops::add(a, b);  // broadcast (1,3) + (2,3) -> (2,3), sum 27
  keras::Tensor s = keras::ops::sum(c - a);  // subtracting a again leaves sum(b) = 21
  std::cout << "shape = " << c.shape() << "\nsum = " << s.item() << "\n";
  return 0;
}
