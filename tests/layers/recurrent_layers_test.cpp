// SimpleRNN, LSTM, GRU, RNN, Bidirectional and TimeDistributed: the fused path against the
// step-by-step reference path (use_fused = false) for values and gradients in every calling
// mode; Keras's GRU and SimpleRNN formulas written out in plain C++; masking semantics; shapes,
// configs, weights and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/layers/core.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/embedding.h"
#include "keras/layers/recurrent.h"
#include "keras/models/model.h"
#include "keras/ops/ops.h"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
using namespace keras::layers;
namespace ops = keras::ops;

Tensor random_tensor(const Shape& shape, unsigned seed, double low = -1.0, double high = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(static_cast<float>(low), static_cast<float>(high));
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(gen);
  return Tensor::from_vector(v, shape);
}

void expect_near(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], w[i], tol) << what << " element " << i;
}

std::shared_ptr<RNN> make_rnn(const std::string& kind, std::int64_t units, RecurrentOptions o) {
  if (kind == "lstm") return make<LSTM>(units, o);
  if (kind == "gru") return make<GRU>(units, o);
  if (kind == "gru_before") {
    o.reset_after = false;
    return make<GRU>(units, o);
  }
  return make<SimpleRNN>(units, o);
}

// Two layers with identical weights: one fused, one running the reference steps.
std::pair<std::shared_ptr<RNN>, std::shared_ptr<RNN>> twin_layers(const std::string& kind, RecurrentOptions o,
                                                                  const Shape& input_shape) {
  auto fused = make_rnn(kind, 3, o);
  o.use_fused = false;
  auto reference = make_rnn(kind, 3, o);
  fused->build_once({input_shape});
  reference->build_once({input_shape});
  std::vector<Tensor> w;
  unsigned seed = 50;
  for (const auto& v : fused->weights()) w.push_back(random_tensor(v.shape(), seed++, -0.6, 0.6));
  fused->set_weights(w);
  reference->set_weights(w);
  return {fused, reference};
}

struct Mode {
  std::string name;
  RecurrentOptions options;
  bool masked;
  bool initial_state;
};

std::vector<Mode> modes() {
  std::vector<Mode> m;
  m.push_back({"last output", {}, false, false});
  m.push_back({"sequences + state", {.return_sequences = true, .return_state = true}, false, false});
  m.push_back({"go_backwards", {.return_sequences = true, .go_backwards = true}, false, false});
  m.push_back({"masked", {.return_sequences = true, .return_state = true}, true, false});
  m.push_back({"masked, initial state", {.return_sequences = true, .return_state = true}, true, true});
  m.push_back({"masked backwards, zero output", {.return_sequences = true, .go_backwards = true,
                                                 .zero_output_for_mask = true}, true, true});
  m.push_back({"masked last output, initial state", {}, true, true});
  // No mask, no sequences: the fused cells may return the final states alone.
  m.push_back({"last output + states, initial state", {.return_state = true}, false, true});
  m.push_back({"backwards last output", {.go_backwards = true}, false, false});
  return m;
}

class RecurrentLayers : public ::testing::TestWithParam<std::string> {};

TEST_P(RecurrentLayers, FusedMatchesStepByStepInEveryMode) {
  const std::string kind = GetParam();
  const std::int64_t B = 4, T = 5, F = 2;
  for (const Mode& mode : modes()) {
    auto [fused, reference] = twin_layers(kind, mode.options, Shape{B, T, F});
    const Tensor x = random_tensor({B, T, F}, 7);
    if (mode.masked) {
      // Leading, inner and trailing masked steps, and one fully masked row.
      set_keras_mask(x, Tensor::from_bools({true, true, true, false, false, false, false, true, true, true,
                                            true, false, true, false, true, false, false, false, false, false},
                                           Shape{B, T}));
    }
    std::vector<Tensor> inputs{x};
    if (mode.initial_state)
      for (std::size_t i = 0; i < fused->cell()->state_size().size(); ++i)
        inputs.push_back(random_tensor({B, 3}, 20 + static_cast<unsigned>(i)));
    std::vector<Tensor> wf, wr;
    for (const auto& v : fused->trainable_weights()) wf.push_back(v);
    for (const auto& v : reference->trainable_weights()) wr.push_back(v);
    keras::GradientTape tape;
    const keras::Outputs yf = (*fused)(inputs), yr = (*reference)(inputs);
    ASSERT_EQ(yf.size(), yr.size()) << mode.name;
    Tensor lf = ops::sum(ops::square(yf[0])), lr = ops::sum(ops::square(yr[0]));
    for (std::size_t i = 0; i < yf.size(); ++i) {
      expect_near(yf[i], yr[i], 2e-6, kind + " " + mode.name + " output " + std::to_string(i));
      if (i > 0) {
        lf = ops::add(lf, ops::sum(yf[i]));
        lr = ops::add(lr, ops::sum(yr[i]));
      }
    }
    std::vector<Tensor> sf = wf, sr = wr;
    for (const Tensor& in : inputs) sf.push_back(in), sr.push_back(in);  // x and the initial states
    const auto gf = tape.gradient(lf, sf), gr = tape.gradient(lr, sr);
    for (std::size_t i = 0; i < gf.size(); ++i)
      expect_near(gf[i], gr[i], 2e-5, kind + " " + mode.name + " gradient " + std::to_string(i));
    if (mode.masked && mode.options.return_sequences) {
      EXPECT_TRUE(get_keras_mask(yf[0]).defined()) << "return_sequences passes the mask on";
    }
  }
}

TEST_P(RecurrentLayers, OutputShapesSymbolicAndEager) {
  const std::string kind = GetParam();
  auto layer = make_rnn(kind, 4, {.return_sequences = true, .return_state = true});
  const Tensor inp = keras::Input({6, 3});
  const keras::Outputs sym = (*layer)(std::vector<Tensor>{inp});
  const std::size_t states = kind == "lstm" ? 2 : 1;
  ASSERT_EQ(sym.size(), 1 + states);
  EXPECT_EQ(sym[0].shape(), (Shape{-1, 6, 4}));
  for (std::size_t i = 1; i < sym.size(); ++i) EXPECT_EQ(sym[i].shape(), (Shape{-1, 4}));
  const keras::Outputs eager = (*layer)(std::vector<Tensor>{random_tensor({2, 6, 3}, 1)});
  EXPECT_EQ(eager[0].shape(), (Shape{2, 6, 4}));
  // The last output equals the first state, and the last step of the sequence.
  expect_near(eager[1], ops::squeeze(ops::slice(eager[0], {0, 5, 0}, {-1, 1, -1}), {1}), 0, "last state");
  auto plain = make_rnn(kind, 4, {});
  EXPECT_EQ((*plain)(inp).shape(), (Shape{-1, 4}));
}

TEST_P(RecurrentLayers, CompiledPredictMatchesEagerWithUnknownBatch) {
  const std::string kind = GetParam();
  const Tensor inp = keras::Input({5, 2});
  auto layer = make_rnn(kind, 3, {.return_sequences = true});
  const Tensor out = (*layer)(inp);
  keras::Model model(inp, out);
  const Tensor x = random_tensor({7, 5, 2}, 3);
  expect_near(model.predict(x, 4), (*layer)(x), 1e-6, kind + " predict");
}

TEST_P(RecurrentLayers, WrongRankIsAValueErrorNamingTheLayerAndShape) {
  auto layer = make_rnn(GetParam(), 3, {.name = "rec"});
  try {
    (*layer)(keras::Input({7}));
    FAIL() << "expected ValueError";
  } catch (const keras::ValueError& e) {
    EXPECT_STREQ(e.what(), "Input 0 of layer \"rec\" is incompatible with the layer: expected ndim=3, found ndim=2. "
                           "Full shape received: (None, 7)");
  }
  EXPECT_THROW((*layer)(random_tensor({2, 3, 4, 1}, 1)), keras::ValueError);
  EXPECT_FALSE(layer->built());
}

INSTANTIATE_TEST_SUITE_P(Kinds, RecurrentLayers, ::testing::Values("simple_rnn", "lstm", "gru", "gru_before"),
                         [](const auto& info) { return info.param; });

// ---- formulas written out without ops --------------------------------------------------------

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Keras's GRU on one sample: h = z * h + (1 - z) * hh, gates z, r, h in the weights' columns.
std::vector<double> gru_by_hand(const std::vector<float>& x, std::int64_t T, std::int64_t F, const std::vector<float>& W,
                                const std::vector<float>& U, const std::vector<float>& b, std::int64_t u,
                                bool reset_after) {
  std::vector<double> h(static_cast<std::size_t>(u), 0.0);
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<double> mx(static_cast<std::size_t>(3 * u)), mh(static_cast<std::size_t>(3 * u));
    for (std::int64_t j = 0; j < 3 * u; ++j) {
      double s = b[static_cast<std::size_t>(j)];  // input bias: row 0 (reset_after) or the bias
      for (std::int64_t f = 0; f < F; ++f) s += x[static_cast<std::size_t>(t * F + f)] * W[static_cast<std::size_t>(f * 3 * u + j)];
      mx[static_cast<std::size_t>(j)] = s;
      double r = reset_after ? b[static_cast<std::size_t>(3 * u + j)] : 0.0;
      for (std::int64_t k = 0; k < u; ++k) r += h[static_cast<std::size_t>(k)] * U[static_cast<std::size_t>(k * 3 * u + j)];
      mh[static_cast<std::size_t>(j)] = r;
    }
    std::vector<double> z(static_cast<std::size_t>(u)), r(static_cast<std::size_t>(u)), hn(static_cast<std::size_t>(u));
    for (std::int64_t j = 0; j < u; ++j) {
      z[j] = sigmoid(mx[j] + mh[j]);
      r[j] = sigmoid(mx[u + j] + mh[u + j]);
    }
    for (std::int64_t j = 0; j < u; ++j) {
      double rec;
      if (reset_after) {
        rec = r[j] * mh[2 * u + j];
      } else {
        rec = 0;
        for (std::int64_t k = 0; k < u; ++k) rec += r[k] * h[k] * U[static_cast<std::size_t>(k * 3 * u + 2 * u + j)];
      }
      const double hh = std::tanh(mx[2 * u + j] + rec);
      hn[j] = z[j] * h[j] + (1 - z[j]) * hh;
    }
    h = hn;
  }
  return h;
}

TEST(RecurrentFormulas, GruMatchesKerasFormulaWrittenOut) {
  const std::int64_t T = 3, F = 2, u = 2;
  for (bool reset_after : {true, false}) {
    auto gru = make<GRU>(u, RecurrentOptions{.reset_after = reset_after});
    const Tensor x = random_tensor({1, T, F}, 60);
    gru->build_once({x.shape()});
    const auto& cell = static_cast<const GRUCell&>(*gru->cell());
    EXPECT_EQ(cell.bias().shape(), reset_after ? (Shape{2, 3 * u}) : (Shape{3 * u}));
    std::vector<Tensor> w{random_tensor(cell.kernel().shape(), 61), random_tensor(cell.recurrent_kernel().shape(), 62),
                          random_tensor(cell.bias().shape(), 63)};
    gru->set_weights(w);
    const auto want = gru_by_hand(x.to_vector<float>(), T, F, w[0].to_vector<float>(), w[1].to_vector<float>(),
                                  w[2].to_vector<float>(), u, reset_after);
    const auto got = (*gru)(x).to_vector<double>();
    for (std::int64_t j = 0; j < u; ++j) EXPECT_NEAR(got[j], want[j], 1e-6) << "reset_after=" << reset_after;
  }
}

TEST(RecurrentFormulas, SimpleRnnAndGoBackwardsWrittenOut) {
  auto rnn = make<SimpleRNN>(1, RecurrentOptions{.use_bias = false, .return_sequences = true, .go_backwards = true});
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, Shape{1, 3, 1});
  rnn->build_once({x.shape()});
  rnn->set_weights({Tensor::from_vector(std::vector<float>{0.5f}, Shape{1, 1}),
                    Tensor::from_vector(std::vector<float>{-0.25f}, Shape{1, 1})});
  // Processing order x = 3, 2, 1; the outputs come in that order (Keras returns them reversed).
  const double h1 = std::tanh(1.5), h2 = std::tanh(1.0 - 0.25 * h1), h3 = std::tanh(0.5 - 0.25 * h2);
  const auto got = (*rnn)(x).to_vector<double>();
  EXPECT_NEAR(got[0], h1, 1e-6);
  EXPECT_NEAR(got[1], h2, 1e-6);
  EXPECT_NEAR(got[2], h3, 1e-6);
}

// ---- masking -------------------------------------------------------------------------------------

TEST(RecurrentMasking, TrailingMaskedStepsEqualTheTruncatedSequence) {
  auto lstm = make<LSTM>(3);
  const Tensor x = random_tensor({1, 6, 2}, 70);
  lstm->build_once({x.shape()});
  set_keras_mask(x, Tensor::from_bools({true, true, true, true, false, false}, Shape{1, 6}));
  const Tensor truncated = ops::slice(x, {0, 0, 0}, {1, 4, 2});
  expect_near((*lstm)(x), (*lstm)(truncated), 1e-7, "masked tail");
}

TEST(RecurrentMasking, EmbeddingMaskZeroReachesTheLstm) {
  keras::clear_session();
  auto emb = make<Embedding>(10, 4, EmbeddingOptions{.mask_zero = true});
  auto lstm = make<LSTM>(3, RecurrentOptions{.return_sequences = true});
  const Tensor inp = keras::Input({5}, DType::int32);
  keras::Model model(inp, (*lstm)((*emb)(inp)));
  const Tensor ids = Tensor::from_vector(std::vector<std::int32_t>{3, 4, 0, 0, 0, 0, 0, 7, 2, 0}, Shape{2, 5});
  const auto y = model.predict(ids)[0].to_vector<float>();
  // Row 0: steps 2..4 repeat step 1's output. Row 1: steps 0, 1 output zeros; step 4 repeats 3.
  for (int t = 2; t < 5; ++t)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(y[t * 3 + j], y[3 + j]);
  for (int j = 0; j < 6; ++j) EXPECT_EQ(y[15 + j], 0.0f);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(y[15 + 12 + j], y[15 + 9 + j]);
  EXPECT_NE(y[15 + 6], 0.0f);
}

TEST(RecurrentMasking, MaskingLayerSkipsAllZeroSteps) {
  auto masking = make<Masking>(0.0);
  auto gru = make<GRU>(2);
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 0, 0, 3, 4}, Shape{1, 3, 2});
  const Tensor masked = (*masking)(x);
  EXPECT_EQ(get_keras_mask(masked).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 1}));
  gru->build_once({x.shape()});
  const Tensor without_middle = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Shape{1, 2, 2});
  expect_near((*gru)(masked), (*gru)(without_middle), 1e-7, "Masking + GRU");
}

// ---- stateful, dropout --------------------------------------------------------------------------

TEST(RecurrentStateful, StatesCarryAcrossCallsUntilReset) {
  auto lstm = make<LSTM>(2, RecurrentOptions{.stateful = true});
  const Tensor a = random_tensor({3, 4, 2}, 80), b = random_tensor({3, 4, 2}, 81);
  lstm->build_once({a.shape()});
  auto plain = make<LSTM>(2, RecurrentOptions{.return_state = true});
  plain->build_once({a.shape()});
  plain->set_weights(lstm->get_weights());
  const keras::Outputs first = (*plain)(std::vector<Tensor>{a});
  expect_near((*lstm)(a), first[0], 1e-7, "first call");
  expect_near((*lstm)(b), (*plain)(std::vector<Tensor>{b, first[1], first[2]})[0], 1e-6, "second call continues");
  lstm->reset_states();
  expect_near((*lstm)(b), (*plain)(std::vector<Tensor>{b})[0], 1e-7, "after reset");
  EXPECT_THROW(make<LSTM>(2, RecurrentOptions{.stateful = true})->build_once({Shape{-1, 4, 2}}), keras::ValueError);
}

TEST(RecurrentDropout, TrainingDropsInputsAndInferenceDoesNot) {
  auto lstm = make<LSTM>(3, RecurrentOptions{.dropout = 0.5, .recurrent_dropout = 0.3, .seed = 5});
  const Tensor x = random_tensor({8, 4, 6}, 90);
  lstm->build_once({x.shape()});
  auto clean = make<LSTM>(3);
  clean->build_once({x.shape()});
  clean->set_weights(lstm->get_weights());
  expect_near((*lstm)(x, false), (*clean)(x), 1e-7, "inference");
  const auto trained = (*lstm)(x, true).to_vector<float>();
  EXPECT_NE(trained, (*clean)(x).to_vector<float>());
  EXPECT_NE(trained, (*lstm)(x, true).to_vector<float>());  // a fresh mask per call
  // Input dropout alone keeps the fused path; compiled, every run draws new masks.
  auto fused = make<GRU>(3, RecurrentOptions{.dropout = 0.5, .seed = 7});
  fused->build_once({x.shape()});
  keras::Function step([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{(*fused)(in[0], true)}; });
  const auto a = step({x})[0].to_vector<float>(), b = step({x})[0].to_vector<float>();
  EXPECT_NE(a, b);
  EXPECT_NE(a, (*fused)(x, false).to_vector<float>());
}

// ---- configs ------------------------------------------------------------------------------------

std::vector<std::string> keys(const Config& c) {
  std::vector<std::string> k;
  for (auto it = c.begin(); it != c.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(RecurrentConfig, KeysInKerasOrder) {
  const std::vector<std::string> rnn_keys{"name", "trainable", "dtype", "return_sequences", "return_state",
                                          "go_backwards", "stateful", "unroll", "zero_output_for_mask", "units",
                                          "activation"};
  const std::vector<std::string> tail{"kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                      "activity_regularizer", "kernel_constraint", "recurrent_constraint",
                                      "bias_constraint", "dropout", "recurrent_dropout"};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto inits = std::vector<std::string>{"kernel_initializer", "recurrent_initializer", "bias_initializer"};
  EXPECT_EQ(keys(make<SimpleRNN>(2)->get_config()), with(with(with(rnn_keys, {"use_bias"}), inits), tail));
  EXPECT_EQ(keys(make<GRU>(2)->get_config()),
            with(with(with(with(rnn_keys, {"recurrent_activation", "use_bias"}), inits), tail), {"reset_after", "seed"}));
  EXPECT_EQ(keys(make<LSTM>(2)->get_config()),
            with(with(with(with(rnn_keys, {"recurrent_activation", "use_bias"}), inits), {"unit_forget_bias"}),
                 with(tail, {"seed"})));
  auto gru = make<GRU>(7, RecurrentOptions{.activation = "relu", .reset_after = false, .seed = 3, .go_backwards = true});
  const Config c = gru->get_config();
  EXPECT_EQ(c["units"], 7);
  EXPECT_EQ(c["activation"], "relu");
  EXPECT_EQ(c["reset_after"], false);
  EXPECT_EQ(c["go_backwards"], true);
  EXPECT_EQ(c["seed"], 3);
  EXPECT_EQ(c["recurrent_initializer"]["class_name"], "Orthogonal");
  // The generic RNN nests its cell's config.
  auto rnn = make<RNN>(std::make_shared<LSTMCell>(4), RecurrentOptions{.return_sequences = true});
  const Config rc = rnn->get_config();
  EXPECT_EQ(rc["cell"]["class_name"], "LSTMCell");
  EXPECT_EQ(rc["cell"]["config"]["units"], 4);
  EXPECT_EQ(keys(rc["cell"]["config"])[3], "units");
}

TEST(RecurrentConfig, CellsAndWeightsNamedAsKeras) {
  keras::clear_session();
  auto lstm = make<LSTM>(3);
  auto gru = make<GRU>(3);
  auto simple = make<SimpleRNN>(3);
  EXPECT_EQ(lstm->name(), "lstm");
  EXPECT_EQ(gru->name(), "gru");
  EXPECT_EQ(simple->name(), "simple_rnn");
  EXPECT_EQ(lstm->cell()->name(), "lstm_cell");
  EXPECT_EQ(gru->cell()->name(), "gru_cell");
  EXPECT_EQ(simple->cell()->name(), "simple_rnn_cell");
  EXPECT_EQ(make<LSTM>(3)->name(), "lstm_1");  // cells take no auto-name
  lstm->build_once({Shape{-1, 4, 5}});
  std::vector<std::string> names;
  for (const auto& w : lstm->weights()) names.push_back(w.name());
  EXPECT_EQ(names, (std::vector<std::string>{"kernel", "recurrent_kernel", "bias"}));
  EXPECT_EQ(lstm->count_params(), 5 * 12 + 3 * 12 + 12);
  EXPECT_THROW(make<LSTM>(0), keras::ValueError);
  EXPECT_THROW(make<GRU>(2, RecurrentOptions{.dropout = 1.5}), keras::ValueError);
  EXPECT_THROW(make<LSTM>(2, RecurrentOptions{.kernel_initializer = "no_such_init"}), keras::ValueError);
}

// ---- generic RNN with a custom cell ----------------------------------------------------------------

// h = h_prev + x @ w: a running sum the fused kernels do not know.
class SumCell : public RNNCell {
 public:
  SumCell() : RNNCell(LayerOptions{.name = "sum_cell"}) {}
  std::vector<std::int64_t> state_size() const override { return {2}; }
  void build(const Shape& s) override { w_ = add_weight("w", {s[-1], 2}, "ones"); }
  using RNNCell::build;
  std::pair<Tensor, std::vector<Tensor>> step(const Tensor& x, const std::vector<Tensor>& s, bool) override {
    Tensor h = ops::add(s[0], ops::matmul(x, w_));
    return {h, {h}};
  }

 private:
  keras::Variable w_;
};

TEST(RecurrentCustomCell, RnnRunsAnyCellStepByStep) {
  auto rnn = make<RNN>(std::make_shared<SumCell>(), RecurrentOptions{.return_sequences = true});
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, Shape{1, 3, 1});
  EXPECT_EQ((*rnn)(x).to_vector<float>(), (std::vector<float>{1, 1, 3, 3, 6, 6}));
  EXPECT_EQ(rnn->weights().size(), 1u);
  EXPECT_THROW(make<Bidirectional>(rnn), keras::NotImplementedError);  // the cell cannot be copied
  // Step by step needs a known number of steps (a trace with unknown steps).
  EXPECT_THROW(rnn->call(std::vector<Tensor>{Tensor::placeholder({-1, -1, 1})}, false), keras::ValueError);
}

}  // namespace

namespace {

bool graph_has_op(const Tensor& root, const std::string& op) {
  std::vector<const keras::Node*> stack{root.node().get()};
  std::set<const keras::Node*> seen;
  while (!stack.empty()) {
    const keras::Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    if (n->kind == keras::NodeKind::op && n->op->name == op) return true;
    for (const auto& in : n->inputs) stack.push_back(in.get());
  }
  return false;
}

// A traced LSTM is one fused node forward and one backward node, not ops per step.
TEST(RecurrentFusion, TracedGraphsHoldOneFusedNodePerLayer) {
  for (const std::string kind : {"lstm", "gru", "simple_rnn"}) {
    auto layer = make_rnn(kind, 3, {});
    auto reference = make_rnn(kind, 3, {.use_fused = false});
    const Tensor x = Tensor::placeholder({-1, 6, 2});
    layer->build_once({x.shape()});
    reference->build_once({x.shape()});
    const Tensor y = layer->call(std::vector<Tensor>{x}, false)[0];
    const std::string op = kind == "simple_rnn" ? "simple_rnn_sequence" : kind + "_sequence";
    EXPECT_TRUE(graph_has_op(y, op)) << kind;
    const auto grads = keras::gradients(ops::sum(y), {layer->trainable_weights()[1]});
    EXPECT_TRUE(graph_has_op(grads[0], op + "_grad")) << kind;
    const Tensor yr = reference->call(std::vector<Tensor>{x}, false)[0];
    EXPECT_FALSE(graph_has_op(yr, op)) << kind;
  }
}

}  // namespace
