#include <gtest/gtest.h>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

using namespace keras;

TEST(Smoke, EagerAddBroadcast) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Tensor::from_vector(std::vector<float>{10, 20, 30}, {3});
  Tensor c = a + b;
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(Smoke, TapeGradientOfBroadcastMultiply) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Variable w(Tensor::from_vector(std::vector<float>{1, 1, 1}, {1, 3}), "w");
  GradientTape tape;
  Tensor y = ops::sum(x * w);
  auto g = tape.gradient(y, {w});
  EXPECT_EQ(g[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(g[0].to_vector<float>(), (std::vector<float>{5, 7, 9}));
}

TEST(Smoke, ShapeMismatchIsValueError) {
  Tensor a = ops::zeros({2, 3});
  Tensor b = ops::zeros({4});
  try {
    (void)(a + b);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(4,)"), std::string::npos);
  }
}
