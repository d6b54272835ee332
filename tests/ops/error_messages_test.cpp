// Bad input raises the typed error, and the message names what was received: both shapes
// for a shape mismatch, both dtypes for a dtype mismatch, the shape for a bad axis.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "keras/ops/ops.h"

using namespace keras;

namespace {

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);

struct NamedBinary {
  const char* name;
  BinaryFn fn;
};

const std::vector<NamedBinary>& binary_ops() {
  static const std::vector<NamedBinary> list = {
      {"add", ops::add},           {"subtract", ops::subtract}, {"multiply", ops::multiply},
      {"divide", ops::divide},     {"power", ops::power},       {"maximum", ops::maximum},
      {"minimum", ops::minimum},   {"equal", ops::equal},       {"not_equal", ops::not_equal},
      {"less", ops::less},         {"less_equal", ops::less_equal}, {"greater", ops::greater},
      {"greater_equal", ops::greater_equal}};
  return list;
}

// Runs f, expects exception type E, and checks that every part occurs in its message.
template <typename E>
void expect_error(const std::string& what, const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << what << ": '" << p << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": wrong exception type: " << e.what();
  }
}

}  // namespace

TEST(ErrorMessages, BinaryOpsNameBothShapes) {
  const Tensor a = ops::zeros({2, 3});
  const Tensor b = ops::zeros({4, 2});
  for (const auto& op : binary_ops()) {
    expect_error<ValueError>(op.name, [&] { op.fn(a, b); }, {"(2, 3)", "(4, 2)"});
    // Same with a symbolic operand: the check happens at trace time.
    expect_error<ValueError>(std::string(op.name) + " symbolic", [&] { op.fn(Tensor::placeholder({-1, 3}), b); },
                             {"(None, 3)", "(4, 2)"});
  }
  const Tensor ba = Tensor::from_bools({true, false, true}, {3});
  const Tensor bb = Tensor::from_bools({true, false}, {2});
  expect_error<ValueError>("logical_and", [&] { ops::logical_and(ba, bb); }, {"(3,)", "(2,)"});
  expect_error<ValueError>("logical_or", [&] { ops::logical_or(ba, bb); }, {"(3,)", "(2,)"});
}

TEST(ErrorMessages, WhereNamesMismatchedShapes) {
  const Tensor cond = Tensor::from_bools({true, false, true}, {3});
  expect_error<ValueError>("where a/b", [&] { ops::where(cond, ops::zeros({2, 3}), ops::zeros({4, 2})); },
                           {"(2, 3)", "(4, 2)"});
  expect_error<ValueError>("where cond", [&] { ops::where(cond, ops::zeros({2, 5}), ops::zeros({2, 5})); },
                           {"(3,)", "(2, 5)"});
  expect_error<TypeError>("where non-bool cond", [&] { ops::where(ops::zeros({3}), ops::zeros({3}), ops::zeros({3})); },
                          {"bool", "float32"});
}

TEST(ErrorMessages, DtypeMismatchNamesBothDtypes) {
  const Tensor f = ops::zeros({2, 3});
  const Tensor i = ops::zeros({2, 3}, DType::int32);
  for (const auto& op : binary_ops())
    expect_error<TypeError>(op.name, [&] { op.fn(f, i); }, {"float32", "int32"});
  expect_error<TypeError>("float64 + float32", [&] { ops::add(ops::zeros({2}, DType::float64), ops::zeros({2})); },
                          {"float64", "float32"});
}

TEST(ErrorMessages, ScalarLiteralsAdoptTheTensorsDtype) {
  const Tensor i = Tensor::from_vector(std::vector<std::int32_t>{1, 2, 3}, {3});
  const Tensor d = Tensor::from_vector(std::vector<double>{1, 2, 3}, {3});
  Tensor r;
  EXPECT_NO_THROW(r = i + 2.0f);
  EXPECT_EQ(r.dtype(), DType::int32);
  EXPECT_EQ(r.to_vector<std::int32_t>(), (std::vector<std::int32_t>{3, 4, 5}));
  EXPECT_NO_THROW(r = 2 * d);
  EXPECT_EQ(r.dtype(), DType::float64);
  EXPECT_NO_THROW(r = ops::maximum(d, 1.5));
  EXPECT_EQ(r.to_vector<double>(), (std::vector<double>{1.5, 2, 3}));
  EXPECT_NO_THROW(r = ops::greater(i, 1));
  EXPECT_EQ(r.dtype(), DType::bool_);
  EXPECT_NO_THROW(r = ops::where(ops::greater(d, 1.5), d, 0.0));
  EXPECT_EQ(r.dtype(), DType::float64);
  EXPECT_NO_THROW(r = Tensor::placeholder({-1, 3}, DType::float64) - 1.0f);
  EXPECT_EQ(r.dtype(), DType::float64);
}

TEST(ErrorMessages, MatmulNamesBothShapes) {
  const Tensor a = ops::zeros({2, 3});
  const Tensor b = ops::zeros({4, 5});
  expect_error<ValueError>("matmul", [&] { ops::matmul(a, b); }, {"(2, 3)", "(4, 5)"});
  expect_error<ValueError>("matmul batch", [&] { ops::matmul(ops::zeros({2, 2, 3}), ops::zeros({3, 3, 4})); },
                           {"(2, 2, 3)", "(3, 3, 4)"});
  expect_error<ValueError>("matmul symbolic", [&] { ops::matmul(Tensor::placeholder({-1, 3}), b); },
                           {"(None, 3)", "(4, 5)"});
  expect_error<TypeError>("matmul dtypes", [&] { ops::matmul(a, ops::zeros({3, 5}, DType::float64)); },
                          {"float32", "float64"});
}

TEST(ErrorMessages, BadAxesNameTheShape) {
  const Tensor x = ops::zeros({2, 3});
  expect_error<ValueError>("sum", [&] { ops::sum(x, 2); }, {"(2, 3)", "2"});
  expect_error<ValueError>("sum negative", [&] { ops::sum(x, -3); }, {"(2, 3)", "-3"});
  expect_error<ValueError>("transpose", [&] { ops::transpose(x, {0, 2}); }, {"(2, 3)", "(0, 2)"});
  expect_error<ValueError>("expand_dims", [&] { ops::expand_dims(x, 3); }, {"(2, 3)", "axis=3"});
  expect_error<ValueError>("squeeze", [&] { ops::squeeze(x, {5}); }, {"(2, 3)"});
  expect_error<ValueError>("concatenate", [&] { ops::concatenate({x, x}, 2); }, {"(2, 3)", "axis=2"});
  expect_error<ValueError>("take", [&] { ops::take(x, Tensor::from_vector(std::vector<std::int32_t>{0}, {1}), 2); },
                           {"(2, 3)", "axis=2"});
  expect_error<ValueError>("softmax", [&] { ops::softmax(x, 2); }, {"(2, 3)"});
  expect_error<ValueError>("softmax symbolic", [&] { ops::softmax(Tensor::placeholder({-1, 3}), -3); },
                           {"(None, 3)"});
}

TEST(ErrorMessages, ShapeOpsNameShapes) {
  const Tensor x = ops::zeros({2, 3});
  expect_error<ValueError>("reshape", [&] { ops::reshape(x, {4, 2}); },
                           {"Cannot reshape a tensor of shape (2, 3) into shape (4, 2)"});
  expect_error<ValueError>("reshape symbolic", [&] { ops::reshape(Tensor::placeholder({-1, 3}), {4, 5}); },
                           {"(None, 3)", "(4, 5)"});
  expect_error<ValueError>("concatenate shapes", [&] { ops::concatenate({x, ops::zeros({2, 2, 1})}, 0); },
                           {"(2, 3)", "(2, 2, 1)"});
  expect_error<TypeError>("concatenate dtypes", [&] { ops::concatenate({x, ops::zeros({2, 3}, DType::int64)}, 0); },
                          {"float32", "int64"});
  expect_error<ValueError>("broadcast_to", [&] { ops::broadcast_to(x, {3, 3}); }, {"(2, 3)", "(3, 3)"});
  expect_error<ValueError>("slice", [&] { ops::slice(x, {1, 0}, {2, 3}); }, {"(2, 3)", "(1, 0)", "(2, 3)"});
  expect_error<IndexError>("take index",
                           [&] { ops::take(x, Tensor::from_vector(std::vector<std::int64_t>{7}, {1}), 1); },
                           {"7", "size 3"});
  expect_error<ValueError>("zeros unknown", [&] { ops::zeros({-1, 3}); }, {"(None, 3)"});
  expect_error<ValueError>("arange step 0", [&] { ops::arange(0, 3, 0); }, {"step"});
}
