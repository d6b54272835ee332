// Links the installed kerascpp::keras and uses the public headers only: the ops, and the
// umbrella header's models and saving (a model saved to .keras and loaded back).
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

#include "keras/keras.h"
#include "keras/ops/ops.h"

int main() {
  keras::Tensor a = keras::Tensor::from_vector(std::vector<float>{1, 2, 3}, {1, 3});
  keras::Tensor b = keras::Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  keras::Tensor c = keras::ops::add(a, b);  // broadcast (1,3) + (2,3) -> (2,3), sum 27
  keras::Tensor s = keras::ops::sum(c - a);  // subtracting a again leaves sum(b) = 21
  std::cout << "shape = " << c.shape() << "\nsum = " << s.item() << "\n";

  auto inp = keras::Input({3});
  auto out = (*keras::layers::make<keras::layers::Dense>(2))(inp);
  keras::Model model(inp, out);
  const auto path =
      (std::filesystem::temp_directory_path() / ("kerascpp_consumer_" + std::to_string(std::random_device{}()) + ".keras"))
          .string();
  keras::saving::save_model(model, path);
  auto back = keras::saving::load_model(path);
  std::filesystem::remove(path);
  const bool same = keras::Tensor(back->predict(b)).to_vector<float>() == keras::Tensor(model.predict(b)).to_vector<float>();
  std::cout << "reloaded .keras predicts the same: " << (same ? "yes" : "no") << "\n";
  return same ? 0 : 1;
}
