// operator<<(ostream, Tensor) against NumPy 1.24's str() output. Every expected string below
// was produced by print(np.array(...)) with NumPy's default print options; the NumPy
// expression is given next to each case.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "keras/core/tensor.h"

using namespace keras;

namespace {

std::string str(const Tensor& t) {
  std::ostringstream s;
  s << t;
  return s.str();
}

Tensor f32(std::vector<float> v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor f64(std::vector<double> v, const Shape& s) { return Tensor::from_vector(v, s); }

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST(Print, Float32Row) {
  // np.array([[0, 1, 2]], dtype=np.float32)
  EXPECT_EQ(str(f32({0, 1, 2}, {1, 3})), "[[0. 1. 2.]]");
}

TEST(Print, FractionsArePaddedToACommonWidth) {
  // np.array([0.5, 0.25], dtype=np.float32)
  EXPECT_EQ(str(f32({0.5f, 0.25f}, {2})), "[0.5  0.25]");
  // np.array([-1.5, 2.])
  EXPECT_EQ(str(f64({-1.5, 2.0}, {2})), "[-1.5  2. ]");
  // np.array([123456.789, -1000.5], dtype=np.float32)
  EXPECT_EQ(str(f32({123456.789f, -1000.5f}, {2})), "[123456.79  -1000.5 ]");
}

TEST(Print, ShortestDigitsPerDtype) {
  // np.array([1/3, 2/3], dtype=np.float32) and the same in float64
  EXPECT_EQ(str(f32({1.0f / 3, 2.0f / 3}, {2})), "[0.33333334 0.6666667 ]");
  EXPECT_EQ(str(f64({1.0 / 3, 2.0 / 3}, {2})), "[0.33333333 0.66666667]");
  // np.array([0.1 + 0.2, 1.23456789012]): rounded to 8 digits, then trailing zeros trimmed
  EXPECT_EQ(str(f64({0.1 + 0.2, 1.23456789012}, {2})), "[0.3        1.23456789]");
}

TEST(Print, LongRowsWrapAt75Columns) {
  // np.arange(30, dtype=np.float32) / np.float32(7)
  std::vector<float> v(30);
  for (int i = 0; i < 30; ++i) v[i] = static_cast<float>(i) / 7.0f;
  EXPECT_EQ(str(f32(v, {30})),
            "[0.         0.14285715 0.2857143  0.42857143 0.5714286  0.71428573\n"
            " 0.85714287 1.         1.1428572  1.2857143  1.4285715  1.5714285\n"
            " 1.7142857  1.8571428  2.         2.142857   2.2857144  2.4285715\n"
            " 2.5714285  2.7142856  2.857143   3.         3.142857   3.2857144\n"
            " 3.4285715  3.5714285  3.7142856  3.857143   4.         4.142857  ]");
  // np.linspace(-1, 1, 20)
  std::vector<double> w(20);
  for (int i = 0; i < 20; ++i) w[i] = -1.0 + i * (2.0 / 19.0);
  w[19] = 1.0;  // linspace sets the endpoint exactly
  EXPECT_EQ(str(f64(w, {20})),
            "[-1.         -0.89473684 -0.78947368 -0.68421053 -0.57894737 -0.47368421\n"
            " -0.36842105 -0.26315789 -0.15789474 -0.05263158  0.05263158  0.15789474\n"
            "  0.26315789  0.36842105  0.47368421  0.57894737  0.68421053  0.78947368\n"
            "  0.89473684  1.        ]");
}

TEST(Print, WrappedRowsOfA2DArray) {
  // (np.arange(40, dtype=np.float64) / 3).reshape(2, 20)
  std::vector<double> v(40);
  for (int i = 0; i < 40; ++i) v[i] = i / 3.0;
  EXPECT_EQ(str(f64(v, {2, 20})),
            "[[ 0.          0.33333333  0.66666667  1.          1.33333333  1.66666667\n"
            "   2.          2.33333333  2.66666667  3.          3.33333333  3.66666667\n"
            "   4.          4.33333333  4.66666667  5.          5.33333333  5.66666667\n"
            "   6.          6.33333333]\n"
            " [ 6.66666667  7.          7.33333333  7.66666667  8.          8.33333333\n"
            "   8.66666667  9.          9.33333333  9.66666667 10.         10.33333333\n"
            "  10.66666667 11.         11.33333333 11.66666667 12.         12.33333333\n"
            "  12.66666667 13.        ]]");
}

TEST(Print, ScientificNotation) {
  // np.array([1., 1000., 0.5], dtype=np.float32): max/min > 1000
  EXPECT_EQ(str(f32({1, 1000, 0.5f}, {3})), "[1.e+00 1.e+03 5.e-01]");
  // np.array([1e8, 1.], dtype=np.float32): max >= 1e8
  EXPECT_EQ(str(f32({1e8f, 1}, {2})), "[1.e+08 1.e+00]");
  // np.array([1e-5, 1.5], dtype=np.float32): min < 1e-4; mantissas share one digit count
  EXPECT_EQ(str(f32({1e-5f, 1.5f}, {2})), "[1.0e-05 1.5e+00]");
  // np.array([0.3, 1.2345678e-5], dtype=np.float32): extra digits are the value's own
  EXPECT_EQ(str(f32({0.3f, 1.2345678e-5f}, {2})), "[3.0000001e-01 1.2345678e-05]");
  EXPECT_EQ(str(f64({0.3, 1.2345678e-5}, {2})), "[3.0000000e-01 1.2345678e-05]");
  // np.array([123456.789, -0.5], dtype=np.float32)
  EXPECT_EQ(str(f32({123456.789f, -0.5f}, {2})), "[ 1.2345679e+05 -5.0000000e-01]");
  // np.array([1e-100, 1.]): exponents share one width
  EXPECT_EQ(str(f64({1e-100, 1.0}, {2})), "[1.e-100 1.e+000]");
  // np.array([1e20, -1e-20])
  EXPECT_EQ(str(f64({1e20, -1e-20}, {2})), "[ 1.e+20 -1.e-20]");
}

TEST(Print, NanAndInf) {
  // np.array([np.nan, 1.], dtype=np.float32)
  EXPECT_EQ(str(f32({static_cast<float>(kNan), 1}, {2})), "[nan  1.]");
  // np.array([-0.0, np.inf, -np.inf])
  EXPECT_EQ(str(f64({-0.0, kInf, -kInf}, {3})), "[ -0.  inf -inf]");
  // np.array([1e-5, np.nan, -np.inf], dtype=np.float32)
  EXPECT_EQ(str(f32({1e-5f, static_cast<float>(kNan), static_cast<float>(-kInf)}, {3})), "[1.e-05    nan   -inf]");
  // np.array([np.nan, np.nan], dtype=np.float32)
  EXPECT_EQ(str(f32({static_cast<float>(kNan), static_cast<float>(kNan)}, {2})), "[nan nan]");
  // np.array([[1.5, np.nan], [np.inf, -2.25]])
  EXPECT_EQ(str(f64({1.5, kNan, kInf, -2.25}, {2, 2})), "[[ 1.5    nan]\n [  inf -2.25]]");
}

TEST(Print, IntegersAndBools) {
  // np.arange(24, dtype=np.int32).reshape(2, 3, 4): a blank line between 2-D blocks
  std::vector<std::int32_t> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i;
  EXPECT_EQ(str(Tensor::from_vector(v, {2, 3, 4})),
            "[[[ 0  1  2  3]\n"
            "  [ 4  5  6  7]\n"
            "  [ 8  9 10 11]]\n"
            "\n"
            " [[12 13 14 15]\n"
            "  [16 17 18 19]\n"
            "  [20 21 22 23]]]");
  // np.array([[-10, 2], [3, -400]], dtype=np.int64)
  EXPECT_EQ(str(Tensor::from_vector(std::vector<std::int64_t>{-10, 2, 3, -400}, {2, 2})),
            "[[ -10    2]\n [   3 -400]]");
  // np.array([[True, False]])
  EXPECT_EQ(str(Tensor::from_bools({true, false}, {1, 2})), "[[ True False]]");
  // np.array([True] * 30)
  EXPECT_EQ(str(Tensor::from_bools(std::vector<bool>(30, true), {30})),
            "[ True  True  True  True  True  True  True  True  True  True  True  True\n"
            "  True  True  True  True  True  True  True  True  True  True  True  True\n"
            "  True  True  True  True  True  True]");
  // np.zeros((2, 2), dtype=np.float32)
  EXPECT_EQ(str(Tensor::from_vector(std::vector<float>(4, 0.0f), {2, 2})), "[[0. 0.]\n [0. 0.]]");
}

TEST(Print, Summarization) {
  // np.arange(2000, dtype=np.float32).reshape(2, 1000): the format is chosen from the printed
  // elements only (1999 / 1 > 1000 switches to scientific)
  std::vector<float> v(2000);
  for (int i = 0; i < 2000; ++i) v[i] = static_cast<float>(i);
  EXPECT_EQ(str(f32(v, {2, 1000})),
            "[[0.000e+00 1.000e+00 2.000e+00 ... 9.970e+02 9.980e+02 9.990e+02]\n"
            " [1.000e+03 1.001e+03 1.002e+03 ... 1.997e+03 1.998e+03 1.999e+03]]");
  // np.arange(1001, dtype=np.int64)
  std::vector<std::int64_t> w(1001);
  for (int i = 0; i < 1001; ++i) w[i] = i;
  EXPECT_EQ(str(Tensor::from_vector(w, {1001})), "[   0    1    2 ...  998  999 1000]");
  // 1000 elements is still printed in full
  EXPECT_EQ(str(Tensor::from_vector(std::vector<std::int32_t>(1000, 7), {1000})).find("..."), std::string::npos);
}

TEST(Print, Summarization3D) {
  // np.arange(1100, dtype=np.int32).reshape(10, 10, 11)
  std::vector<std::int32_t> v(1100);
  for (int i = 0; i < 1100; ++i) v[i] = i;
  const std::string expected =
      "[[[   0    1    2 ...    8    9   10]\n"
      "  [  11   12   13 ...   19   20   21]\n"
      "  [  22   23   24 ...   30   31   32]\n"
      "  ...\n"
      "  [  77   78   79 ...   85   86   87]\n"
      "  [  88   89   90 ...   96   97   98]\n"
      "  [  99  100  101 ...  107  108  109]]\n"
      "\n"
      " [[ 110  111  112 ...  118  119  120]\n"
      "  [ 121  122  123 ...  129  130  131]\n"
      "  [ 132  133  134 ...  140  141  142]\n"
      "  ...\n"
      "  [ 187  188  189 ...  195  196  197]\n"
      "  [ 198  199  200 ...  206  207  208]\n"
      "  [ 209  210  211 ...  217  218  219]]\n"
      "\n"
      " [[ 220  221  222 ...  228  229  230]\n"
      "  [ 231  232  233 ...  239  240  241]\n"
      "  [ 242  243  244 ...  250  251  252]\n"
      "  ...\n"
      "  [ 297  298  299 ...  305  306  307]\n"
      "  [ 308  309  310 ...  316  317  318]\n"
      "  [ 319  320  321 ...  327  328  329]]\n"
      "\n"
      " ...\n"
      "\n"
      " [[ 770  771  772 ...  778  779  780]\n"
      "  [ 781  782  783 ...  789  790  791]\n"
      "  [ 792  793  794 ...  800  801  802]\n"
      "  ...\n"
      "  [ 847  848  849 ...  855  856  857]\n"
      "  [ 858  859  860 ...  866  867  868]\n"
      "  [ 869  870  871 ...  877  878  879]]\n"
      "\n"
      " [[ 880  881  882 ...  888  889  890]\n"
      "  [ 891  892  893 ...  899  900  901]\n"
      "  [ 902  903  904 ...  910  911  912]\n"
      "  ...\n"
      "  [ 957  958  959 ...  965  966  967]\n"
      "  [ 968  969  970 ...  976  977  978]\n"
      "  [ 979  980  981 ...  987  988  989]]\n"
      "\n"
      " [[ 990  991  992 ...  998  999 1000]\n"
      "  [1001 1002 1003 ... 1009 1010 1011]\n"
      "  [1012 1013 1014 ... 1020 1021 1022]\n"
      "  ...\n"
      "  [1067 1068 1069 ... 1075 1076 1077]\n"
      "  [1078 1079 1080 ... 1086 1087 1088]\n"
      "  [1089 1090 1091 ... 1097 1098 1099]]]";
  EXPECT_EQ(str(Tensor::from_vector(v, {10, 10, 11})), expected);
}

TEST(Print, ScalarsPrintTheBareValue) {
  // np.array2string(np.array(3.)), ... of 0-d arrays
  EXPECT_EQ(str(Tensor::scalar(3.0)), "3.");
  EXPECT_EQ(str(Tensor::scalar(-2.5, DType::float64)), "-2.5");
  EXPECT_EQ(str(Tensor::scalar(3, DType::int32)), "3");
  EXPECT_EQ(str(Tensor::scalar(1e-5)), "1.e-05");
  EXPECT_EQ(str(Tensor::scalar(kNan)), "nan");
  EXPECT_EQ(str(Tensor::from_bools({true}, {})), "True");
}

TEST(Print, EmptySymbolicAndToString) {
  EXPECT_EQ(str(Tensor::from_vector(std::vector<float>{}, {0})), "[]");
  EXPECT_EQ(str(Tensor::from_vector(std::vector<float>{}, {0, 3})), "[]");
  EXPECT_EQ(str(Tensor::placeholder({-1, 3})), "<KerasTensor shape=(None, 3), dtype=float32>");
  EXPECT_EQ(str(Tensor::placeholder({2}, DType::int64)), "<KerasTensor shape=(2,), dtype=int64>");
  EXPECT_EQ(f32({0, 1, 2}, {1, 3}).to_string(), "[[0. 1. 2.]]");
  std::ostringstream s;
  s << Shape{-1, 75};
  EXPECT_EQ(s.str(), "(None, 75)");
}
