// Bidirectional and TimeDistributed: values against the wrapped layers run by hand, merge
// modes, states, masks, names, weights, configs and errors.
#include <gtest/gtest.h>

#include <random>

#include "keras/layers/core.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/recurrent.h"
#include "keras/models/model.h"
#include "keras/ops/ops.h"
#include "ops/recurrent_ops.h"

namespace {

using keras::Shape;
using keras::Tensor;
using namespace keras::layers;
namespace ops = keras::ops;

Tensor random_tensor(const Shape& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(gen);
  return Tensor::from_vector(v, shape);
}

void expect_near(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol) << what << " element " << i;
}

// Two plain LSTMs holding the Bidirectional's forward and backward weights.
std::pair<std::shared_ptr<LSTM>, std::shared_ptr<LSTM>> plain_copies(const Bidirectional& bi, const Shape& input,
                                                                     RecurrentOptions o) {
  auto f = make<LSTM>(3, o), b = make<LSTM>(3, o);
  f->build_once({input});
  b->build_once({input});
  f->set_weights(bi.forward_layer()->get_weights());
  b->set_weights(bi.backward_layer()->get_weights());
  return {f, b};
}

TEST(Bidirectional, ConcatenatesForwardAndFlippedBackwardSequences) {
  keras::clear_session();
  auto bi = make<Bidirectional>(make<LSTM>(3, RecurrentOptions{.return_sequences = true}));
  EXPECT_EQ(bi->name(), "bidirectional");
  EXPECT_EQ(bi->forward_layer()->name(), "forward_lstm");
  EXPECT_EQ(bi->backward_layer()->name(), "backward_lstm");
  EXPECT_TRUE(bi->backward_layer()->go_backwards());
  EXPECT_EQ((*bi)(keras::Input({5, 2})).shape(), (Shape{-1, 5, 6}));
  const Tensor x = random_tensor({2, 5, 2}, 1);
  auto [f, b] = plain_copies(*bi, x.shape(), {.return_sequences = true});
  const Tensor backward = ops::rnn::reverse_time((*b)(ops::rnn::reverse_time(x)));
  expect_near((*bi)(x), ops::concatenate({(*f)(x), backward}, -1), 1e-6, "concat");
  // Weights: the forward layer's, then the backward layer's.
  const auto w = bi->weights();
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0].node(), bi->forward_layer()->weights()[0].node());
  EXPECT_EQ(w[3].node(), bi->backward_layer()->weights()[0].node());
  EXPECT_EQ(bi->count_params(), 2 * (2 * 12 + 3 * 12 + 12));
}

TEST(Bidirectional, MergeModesAndStates) {
  const Tensor x = random_tensor({2, 4, 3}, 2);
  for (const std::string mode : {"sum", "ave", "mul", ""}) {
    auto bi = make<Bidirectional>(make<LSTM>(3, RecurrentOptions{.return_state = true}), mode);
    const keras::Outputs out = (*bi)(std::vector<Tensor>{x});
    auto [f, b] = plain_copies(*bi, x.shape(), {});
    const Tensor yf = (*f)(x), yb = (*b)(ops::rnn::reverse_time(x));
    const std::size_t n_out = mode.empty() ? 2 : 1;
    ASSERT_EQ(out.size(), n_out + 4) << mode;
    if (mode == "sum") expect_near(out[0], ops::add(yf, yb), 1e-6, mode);
    if (mode == "ave") expect_near(out[0], ops::divide(ops::add(yf, yb), 2.0), 1e-6, mode);
    if (mode == "mul") expect_near(out[0], ops::multiply(yf, yb), 1e-6, mode);
    if (mode.empty()) {
      expect_near(out[0], yf, 1e-6, "none forward");
      expect_near(out[1], yb, 1e-6, "none backward");
    }
    expect_near(out[n_out], yf, 1e-6, "forward h");  // the last output is h
    const auto shapes = bi->compute_output_shape(std::vector<Shape>{Shape{-1, 4, 3}});
    EXPECT_EQ(shapes.size(), out.size());
    for (const auto& s : shapes) EXPECT_EQ(s, (Shape{-1, 3}));
  }
  EXPECT_THROW(make<Bidirectional>(make<LSTM>(3), "max"), keras::ValueError);
}

TEST(Bidirectional, InitialStatesSplitBetweenDirections) {
  const Tensor x = random_tensor({2, 4, 3}, 3);
  auto bi = make<Bidirectional>(make<GRU>(3));
  bi->build_once({x.shape()});
  const Tensor hf = random_tensor({2, 3}, 4), hb = random_tensor({2, 3}, 5);
  auto f = make<GRU>(3), b = make<GRU>(3, RecurrentOptions{.go_backwards = true});
  f->build_once({x.shape()});
  b->build_once({x.shape()});
  f->set_weights(bi->forward_layer()->get_weights());
  b->set_weights(bi->backward_layer()->get_weights());
  const Tensor want = ops::concatenate({(*f)(std::vector<Tensor>{x, hf})[0], (*b)(std::vector<Tensor>{x, hb})[0]}, -1);
  expect_near((*bi)(std::vector<Tensor>{x, hf, hb})[0], want, 1e-6, "initial states");
  EXPECT_THROW((*bi)(std::vector<Tensor>{x, hf}), keras::ValueError);
}

TEST(Bidirectional, MaskedStepsOutputZerosInBothDirections) {
  auto bi = make<Bidirectional>(make<SimpleRNN>(2, RecurrentOptions{.return_sequences = true}));
  const Tensor x = random_tensor({1, 4, 2}, 6);
  set_keras_mask(x, Tensor::from_bools({true, true, false, true}, Shape{1, 4}));
  const auto y = (*bi)(x).to_vector<float>();
  for (int j = 0; j < 4; ++j) EXPECT_EQ(y[2 * 4 + j], 0.0f) << "masked step, unit " << j;
  EXPECT_NE(y[3 * 4], 0.0f);
  EXPECT_TRUE(get_keras_mask((*bi)(x)).defined());
}

TEST(Bidirectional, ConfigAndCompiledPredict) {
  keras::clear_session();
  auto bi = make<Bidirectional>(make<GRU>(4, RecurrentOptions{.return_sequences = true}), "ave");
  const Tensor inp = keras::Input({6, 3});
  keras::Model model(inp, (*bi)(inp));
  const Config c = bi->get_config();
  EXPECT_EQ(c["merge_mode"], "ave");
  EXPECT_EQ(c["layer"]["class_name"], "GRU");
  EXPECT_EQ(c["layer"]["config"]["name"], "forward_gru");
  EXPECT_EQ(c["layer"]["config"]["zero_output_for_mask"], true);
  EXPECT_EQ(c["backward_layer"]["config"]["go_backwards"], true);
  EXPECT_EQ(c["backward_layer"]["build_config"]["input_shape"], (Config{nullptr, 6, 3}));
  const Tensor x = random_tensor({5, 6, 3}, 7);
  expect_near(model.predict(x, 2), (*bi)(x), 1e-6, "predict");
  EXPECT_EQ(make<Bidirectional>(make<LSTM>(2), LayerOptions{.name = "bi"})->get_config()["merge_mode"], "concat");
}

TEST(TimeDistributed, AppliesTheLayerToEveryStep) {
  keras::clear_session();
  auto dense = make<Dense>(4, "relu");
  auto td = make<TimeDistributed>(dense);
  EXPECT_EQ(td->name(), "time_distributed");
  EXPECT_EQ((*td)(keras::Input({5, 3})).shape(), (Shape{-1, 5, 4}));
  EXPECT_EQ(dense->kernel().shape(), (Shape{3, 4}));
  EXPECT_EQ(td->weights().size(), 2u);
  const Tensor x = random_tensor({2, 5, 3}, 8);
  const Tensor y = (*td)(x);
  for (std::int64_t t = 0; t < 5; ++t) {
    const Tensor step = ops::squeeze(ops::slice(x, {0, t, 0}, {-1, 1, -1}), {1});
    expect_near(ops::squeeze(ops::slice(y, {0, t, 0}, {-1, 1, -1}), {1}), (*dense)(step), 1e-6, "step");
  }
  const Config c = td->get_config();
  EXPECT_EQ(c["layer"]["class_name"], "Dense");
  EXPECT_EQ(c["layer"]["config"]["units"], 4);
  // Images over time: (batch, time, h, w, c) with a Flatten inside.
  auto flat = make<TimeDistributed>(make<Flatten>());
  EXPECT_EQ((*flat)(random_tensor({2, 3, 4, 5, 1}, 9)).shape(), (Shape{2, 3, 20}));
  try {
    (*make<TimeDistributed>(make<Dense>(2)))(keras::Input({3}));
    FAIL() << "expected ValueError";
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("at least 3 dimensions, received: (None, 3)"), std::string::npos) << e.what();
  }
}

}  // namespace
