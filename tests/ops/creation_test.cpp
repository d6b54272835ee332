// Creation ops: zeros/ones/full(_like), arange, eye.
#include <gtest/gtest.h>

#include "keras/ops/ops.h"

using namespace keras;

TEST(Creation, FullZerosOnes) {
  EXPECT_EQ(ops::full({2, 2}, 3.5).to_vector<float>(), (std::vector<float>{3.5, 3.5, 3.5, 3.5}));
  Tensor z = ops::zeros({3}, DType::int64);
  EXPECT_EQ(z.dtype(), DType::int64);
  EXPECT_EQ(z.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 0}));
  EXPECT_EQ(ops::ones({}, DType::float64).to_vector<double>(), (std::vector<double>{1.0}));
  EXPECT_EQ(ops::zeros({0, 3}).shape(), (Shape{0, 3}));
}

TEST(Creation, UnknownDimsAreValueErrors) {
  for (auto make : {+[] { return ops::zeros({-1, 3}); }, +[] { return ops::ones({2, -1}); },
                    +[] { return ops::full({-1}, 2.0); }}) {
    try {
      make();
      FAIL() << "no ValueError";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("None"), std::string::npos) << e.what();
    }
  }
}

TEST(Creation, LikeOpsWorkOnSymbolicTensors) {
  Tensor x = Tensor::placeholder({-1, 4}, DType::float64);
  Tensor o = ops::ones_like(x);
  EXPECT_TRUE(o.is_symbolic());
  EXPECT_EQ(o.shape(), (Shape{-1, 4}));
  EXPECT_EQ(o.dtype(), DType::float64);
  EXPECT_EQ(ops::full_like(ops::zeros({2}), 7.0).to_vector<float>(), (std::vector<float>{7, 7}));
}

TEST(Arange, NumpyLengthsAndValues) {
  EXPECT_EQ(ops::arange(0, 5).to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ops::arange(1, 2, 0.25).to_vector<float>(), (std::vector<float>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(ops::arange(5, 0, -2, DType::int32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{5, 3, 1}));
  EXPECT_EQ(ops::arange(3, 1).shape(), (Shape{0}));
  EXPECT_EQ(ops::arange(0, 10, 3, DType::int64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 3, 6, 9}));
  EXPECT_THROW(ops::arange(0, 1, 0), ValueError);
}

TEST(Eye, SquareRectangularAndDtype) {
  EXPECT_EQ(ops::eye(2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1}));
  Tensor r = ops::eye(2, 3, DType::int32);
  EXPECT_EQ(r.shape(), (Shape{2, 3}));
  EXPECT_EQ(r.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 0, 0, 1, 0}));
  EXPECT_EQ(ops::eye(3, 1).to_vector<float>(), (std::vector<float>{1, 0, 0}));
  EXPECT_THROW(ops::eye(-2), ValueError);
}
