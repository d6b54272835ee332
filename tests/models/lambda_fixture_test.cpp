// The lambda_model fixture: Sequential([Input((4,)), Dense(3, "d1"),
// Lambda(t * 2 + 1, "scale_shift"), Dense(1, "d2")]) — Keras saved the Lambda as Python
// bytecode; here the same function is a C++ callable.
#include <cmath>

#include "seed_model.h"

namespace {

using keras::layers::Dense;
using keras::layers::LayerOptions;
using keras::layers::make;

TEST(LambdaFixture, SequentialWithLambdaPredictsAndSummarizesLikeKeras) {
  keras::clear_session();
  auto scale_shift = make<keras::layers::Lambda>([](const keras::Tensor& t) { return t * 2.0f + 1.0f; },
                                                 LayerOptions{.name = "scale_shift"});
  keras::Sequential model({keras::Input({4}), make<Dense>(3, "linear", LayerOptions{.name = "d1"}), scale_shift,
                           make<Dense>(1, "linear", LayerOptions{.name = "d2"})});
  const auto io = seed_test::load_json("lambda_model", "io.json");
  const auto weights = seed_test::load_json("lambda_model", "weights.json");
  std::vector<keras::Tensor> values;
  for (const char* layer : {"d1", "d2"})
    for (const auto& w : weights[layer]) values.push_back(seed_test::tensor_from_json(w["data"], w["shape"]));
  model.set_weights(values);

  const keras::Tensor x = seed_test::tensor_from_json(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const auto got = model.predict(x)[0].to_vector<double>();
  const keras::Tensor expected = seed_test::tensor_from_json(io["y_pred"]["data"], io["y_pred"]["shape"]);
  const auto want = expected.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5 * std::abs(want[i]));

  keras::models::SummaryOptions wide;
  wide.terminal_columns = 200;
  EXPECT_EQ(model.summary_string(wide), seed_test::load_text("lambda_model", "summary.txt"));
}

}  // namespace
