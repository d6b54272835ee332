// Weight regularizers (kernel_/bias_/recurrent_/depthwise_/pointwise_/embeddings_regularizer)
// and constraints: the penalties in layer.losses(), the constraint formulas, their Keras
// config form and the round trip through a layer config.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "keras/keras.h"

namespace {

using namespace keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace regularizers = keras::regularizers;
namespace constraints = keras::constraints;

std::vector<double> values(const Tensor& t) { return ops::cast(t, DType::float64).to_vector<double>(); }

double sum_abs(const Tensor& t) { return ops::sum(ops::abs(ops::cast(t, DType::float64))).item(); }
double sum_sq(const Tensor& t) { return ops::sum(ops::square(ops::cast(t, DType::float64))).item(); }

std::vector<std::string> keys_of(const keras::saving::Config& c) {
  std::vector<std::string> k;
  for (auto it = c.begin(); it != c.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(WeightRegularizers, FactoriesAndTheirKerasForms) {
  EXPECT_EQ(regularizers::l1().l1, 0.01);
  EXPECT_EQ(regularizers::l1().l2, 0.0);
  EXPECT_EQ(regularizers::l2().l2, 0.01);
  EXPECT_EQ(regularizers::l1_l2().l1, 0.0);  // Keras 3's L1L2 defaults
  const auto j2 = regularizers::l2(0.05).to_json();
  EXPECT_EQ(j2.dump(), R"({"module":"keras.regularizers","class_name":"L2","config":{"l2":0.05},"registered_name":null})");
  EXPECT_EQ(regularizers::l1(0.5).to_json()["class_name"], "L1");
  EXPECT_EQ(regularizers::l1(0.5).to_json()["config"].dump(), R"({"l1":0.5})");
  EXPECT_EQ(regularizers::l1_l2(0.1, 0.2).to_json()["config"].dump(), R"({"l1":0.1,"l2":0.2})");
  for (const auto& r : {regularizers::l1(0.3), regularizers::l2(0.7), regularizers::l1_l2(0.1, 0.2)}) {
    const auto back = regularizers::from_json(r.to_json());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->to_json(), r.to_json());
  }
  EXPECT_FALSE(regularizers::from_json(nullptr).has_value());
  EXPECT_EQ(regularizers::from_json("l2")->l2, 0.01);
  EXPECT_THROW(regularizers::from_json(R"({"module":"keras.regularizers","class_name":"Orthogonal","config":{}})"_json),
               keras::ValueError);
  EXPECT_THROW(regularizers::from_json("l3"), keras::ValueError);
  EXPECT_THROW(regularizers::l2(-1.0), keras::ValueError);
}

TEST(WeightRegularizers, PenaltyOfEachRegularizedWeightIsALayerLossNotDividedByTheBatch) {
  keras::clear_session();
  auto dense = make<Dense>(2, DenseOptions{.use_bias = true,
                                           .kernel_initializer = "glorot_uniform",
                                           .bias_initializer = "ones",
                                           .kernel_regularizer = regularizers::l1_l2(0.1, 0.2),
                                           .bias_regularizer = regularizers::l1(0.5)});
  const Tensor x1 = keras::random::uniform({1, 3}, -1, 1, DType::float32, 1);
  const Tensor x4 = keras::random::uniform({4, 3}, -1, 1, DType::float32, 2);
  (*dense)(x1);
  const double kernel_penalty = 0.1 * sum_abs(dense->kernel()) + 0.2 * sum_sq(dense->kernel());
  auto losses = dense->losses();
  ASSERT_EQ(losses.size(), 2u);
  EXPECT_NEAR(losses[0].item(), kernel_penalty, 1e-5);
  EXPECT_NEAR(losses[1].item(), 0.5 * 2, 1e-6);
  (*dense)(x4);  // the batch size does not change them
  losses = dense->losses();
  ASSERT_EQ(losses.size(), 2u);
  EXPECT_NEAR(losses[0].item(), kernel_penalty, 1e-5);
  // They follow the current value of the weights.
  keras::Variable kernel = dense->kernel();
  kernel.assign(ops::ones({3, 2}));
  EXPECT_NEAR(dense->losses()[0].item(), 0.1 * 6 + 0.2 * 6, 1e-6);
  // Removed: no penalty; frozen: only trainable weights are regularized, as in Keras.
  dense->set_weight_regularizer("bias", std::nullopt);
  EXPECT_EQ(dense->losses().size(), 1u);
  dense->set_trainable(false);
  EXPECT_TRUE(dense->losses().empty());
}

TEST(WeightRegularizers, SetAfterBuildAndCollectedByModels) {
  keras::clear_session();
  auto conv = make<Conv1D>(2, Ints{3});
  auto emb = make<Embedding>(5, 3);
  const Tensor inp = keras::Input({4}, DType::int32);
  keras::Model model(inp, (*conv)((*emb)(inp)));
  conv->set_weight_regularizer("kernel", regularizers::l2(0.3));
  emb->set_weight_regularizer("embeddings", regularizers::l1(0.2));
  const auto losses = model.losses();
  ASSERT_EQ(losses.size(), 2u);
  std::vector<double> got{losses[0].item(), losses[1].item()};
  std::vector<double> want{0.3 * sum_sq(conv->kernel()), 0.2 * sum_abs(emb->embeddings())};
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_NEAR(got[0], want[0], 1e-5);
  EXPECT_NEAR(got[1], want[1], 1e-5);
}

TEST(WeightRegularizers, OptionsOfConvolutionsAndEmbedding) {
  keras::clear_session();
  auto conv = make<Conv2D>(2, Ints{2}, ConvOptions{.bias_initializer = "ones",
                                                   .bias_regularizer = regularizers::l1(0.25),
                                                   .kernel_constraint = constraints::non_neg()});
  auto tconv = make<Conv1DTranspose>(2, Ints{2}, ConvTransposeOptions{.kernel_regularizer = regularizers::l2(0.1)});
  auto sep = make<SeparableConv1D>(2, Ints{2}, SeparableConvOptions{.pointwise_regularizer = regularizers::l1(0.1)});
  auto emb = make<Embedding>(3, 2, EmbeddingOptions{.embeddings_regularizer = regularizers::l2(0.2)});
  (*conv)(ops::ones({1, 3, 3, 1}));
  (*tconv)(ops::ones({1, 3, 1}));
  (*sep)(ops::ones({1, 3, 1}));
  (*emb)(Tensor::from_vector(std::vector<std::int32_t>{0, 2}, Shape{1, 2}));
  ASSERT_EQ(conv->losses().size(), 1u);
  EXPECT_NEAR(conv->losses()[0].item(), 0.25 * 2, 1e-6);
  EXPECT_TRUE(constraints::variable_constraint(conv->kernel()).has_value());
  ASSERT_EQ(tconv->losses().size(), 1u);
  EXPECT_NEAR(tconv->losses()[0].item(), 0.1 * sum_sq(tconv->kernel()), 1e-6);
  ASSERT_EQ(sep->losses().size(), 1u);
  EXPECT_NEAR(sep->losses()[0].item(), 0.1 * sum_abs(sep->weights()[1]), 1e-6);
  ASSERT_EQ(emb->losses().size(), 1u);
  EXPECT_NEAR(emb->losses()[0].item(), 0.2 * sum_sq(emb->embeddings()), 1e-6);
  EXPECT_EQ(conv->get_config()["kernel_constraint"]["class_name"], "NonNeg");
  EXPECT_EQ(emb->get_config()["embeddings_regularizer"]["class_name"], "L2");
}

TEST(WeightRegularizers, RecurrentLayersRegularizeTheirCellsWeights) {
  keras::clear_session();
  auto lstm = make<LSTM>(2);
  lstm->set_weight_regularizer("recurrent", regularizers::l2(0.5));
  lstm->set_weight_constraint("kernel", constraints::non_neg());
  (*lstm)(ops::ones({1, 3, 4}));
  const auto losses = lstm->losses();
  ASSERT_EQ(losses.size(), 1u);
  const auto& cell = static_cast<const LSTMCell&>(*lstm->cell());
  EXPECT_NEAR(losses[0].item(), 0.5 * sum_sq(cell.recurrent_kernel()), 1e-5);
  const auto c = lstm->get_config();
  EXPECT_EQ(c["recurrent_regularizer"]["class_name"], "L2");
  EXPECT_TRUE(c["kernel_regularizer"].is_null());
  EXPECT_EQ(c["kernel_constraint"]["class_name"], "NonNeg");
}

TEST(WeightRegularizers, BidirectionalCopiesTheWrappedLayersRegularizers) {
  keras::clear_session();
  auto gru = make<GRU>(2);
  gru->set_weight_regularizer("kernel", regularizers::l2(0.5));
  auto bi = make<Bidirectional>(gru);
  (*bi)(ops::ones({1, 3, 4}));
  const auto losses = bi->losses();
  ASSERT_EQ(losses.size(), 2u);  // the forward and the backward kernels
  EXPECT_NEAR(losses[0].item() + losses[1].item(),
              0.5 * (sum_sq(static_cast<const GRUCell&>(*bi->forward_layer()->cell()).kernel()) +
                     sum_sq(static_cast<const GRUCell&>(*bi->backward_layer()->cell()).kernel())),
              1e-5);
}

TEST(WeightRegularizers, RecurrentOptionsReachTheCell) {
  keras::clear_session();
  auto rnn = make<SimpleRNN>(2, RecurrentOptions{.bias_regularizer = regularizers::l1(0.5),
                                                 .recurrent_constraint = constraints::unit_norm()});
  (*rnn)(ops::ones({1, 2, 3}));
  ASSERT_EQ(rnn->losses().size(), 1u);
  EXPECT_NEAR(rnn->losses()[0].item(), 0.0, 1e-7);  // zeros-initialized bias
  const auto& cell = static_cast<const SimpleRNNCell&>(*rnn->cell());
  EXPECT_TRUE(constraints::variable_constraint(cell.recurrent_kernel()).has_value());
  EXPECT_EQ(rnn->get_config()["recurrent_constraint"]["class_name"], "UnitNorm");
  EXPECT_EQ(rnn->get_config()["bias_regularizer"]["class_name"], "L1");
}

TEST(WeightRegularizers, DepthwiseAndSeparableArguments) {
  keras::clear_session();
  auto dw = make<DepthwiseConv2D>(Ints{2});
  dw->set_weight_regularizer("depthwise", regularizers::l1(0.1));
  auto sep = make<SeparableConv2D>(3, Ints{2});
  sep->set_weight_regularizer("pointwise", regularizers::l2(0.2));
  sep->set_weight_constraint("depthwise", constraints::max_norm(1.5));
  const Tensor x = ops::ones({1, 4, 4, 2});
  (*dw)(x);
  (*sep)(x);
  ASSERT_EQ(dw->losses().size(), 1u);
  EXPECT_NEAR(dw->losses()[0].item(), 0.1 * sum_abs(dw->weights()[0]), 1e-6);
  ASSERT_EQ(sep->losses().size(), 1u);
  EXPECT_NEAR(sep->losses()[0].item(), 0.2 * sum_sq(sep->weights()[1]), 1e-6);
  EXPECT_EQ(dw->get_config()["depthwise_regularizer"]["config"]["l1"], 0.1);
  EXPECT_EQ(sep->get_config()["pointwise_regularizer"]["config"]["l2"], 0.2);
  EXPECT_EQ(sep->get_config()["depthwise_constraint"]["config"]["max_value"], 1.5);
  ASSERT_TRUE(constraints::variable_constraint(sep->weights()[0]).has_value());
  EXPECT_FALSE(constraints::variable_constraint(sep->weights()[1]).has_value());
}

// d/dw (l1 * sum|w| + l2 * sum w²) against central differences, in float64.
TEST(WeightRegularizers, PenaltyGradientMatchesFiniteDifferences) {
  const auto reg = regularizers::l1_l2(0.3, 0.7);
  const std::vector<double> w0{0.5, -1.25, 2.0, -0.1, 0.8, -3.0};
  const Tensor w = Tensor::from_vector(w0, Shape{2, 3});
  Tensor grad;
  {
    keras::GradientTape tape;
    const Tensor p = reg(w);
    grad = tape.gradient(p, {w})[0];
  }
  const auto g = values(grad);
  const double h = 1e-6;
  for (std::size_t i = 0; i < w0.size(); ++i) {
    auto plus = w0, minus = w0;
    plus[i] += h;
    minus[i] -= h;
    const double fd = (reg(Tensor::from_vector(plus, Shape{2, 3})).item() -
                       reg(Tensor::from_vector(minus, Shape{2, 3})).item()) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-6) << "element " << i;
  }
}

// w = [[3, 0], [4, 1]]: the columns (axis 0) have norms 5 and 1.
Tensor matrix() { return Tensor::from_vector(std::vector<float>{3, 0, 4, 1}, Shape{2, 2}); }

TEST(Constraints, FormulasAsKeras) {
  const double eps = 1e-7;
  auto mn = values(constraints::max_norm(2.0)(matrix()));
  EXPECT_NEAR(mn[0], 3 * 2 / (5 + eps), 1e-6);
  EXPECT_NEAR(mn[2], 4 * 2 / (5 + eps), 1e-6);
  EXPECT_NEAR(mn[3], 1 / (1 + eps), 1e-6);  // within the bound: (almost) unchanged
  auto rows = values(constraints::max_norm(2.0, {1})(matrix()));  // rows: norms 3 and sqrt(17)
  EXPECT_NEAR(rows[0], 3 * 2 / (3 + eps), 1e-6);
  EXPECT_NEAR(rows[2], 4 * 2 / (std::sqrt(17.0) + eps), 1e-6);
  auto nn = values(constraints::non_neg()(Tensor::from_vector(std::vector<float>{-1, 2, 0, -0.5f}, Shape{4})));
  EXPECT_EQ(nn, (std::vector<double>{0, 2, 0, 0}));
  auto un = values(constraints::unit_norm()(matrix()));
  EXPECT_NEAR(un[0], 0.6, 1e-6);
  EXPECT_NEAR(un[2], 0.8, 1e-6);
  EXPECT_NEAR(un[3], 1.0, 1e-6);
  // rate 0.5: desired = 0.5 * clip(norm, 0.5, 1) + 0.5 * norm → column 0: 3, column 1: 1.
  auto mm = values(constraints::min_max_norm(0.5, 1.0, 0.5)(matrix()));
  EXPECT_NEAR(mm[0], 3 * 3 / 5.0, 1e-5);
  EXPECT_NEAR(mm[2], 4 * 3 / 5.0, 1e-5);
  EXPECT_NEAR(mm[3], 1.0, 1e-5);
  EXPECT_THROW(constraints::max_norm(2.0, {2})(matrix()), keras::ValueError);
}

TEST(Constraints, KerasFormsAndRoundTrip) {
  EXPECT_EQ(constraints::max_norm().to_json().dump(),
            R"({"module":"keras.constraints","class_name":"MaxNorm","config":{"max_value":2.0,"axis":0},"registered_name":null})");
  EXPECT_EQ(constraints::non_neg().to_json()["config"].dump(), "{}");
  EXPECT_EQ(constraints::unit_norm().to_json()["config"].dump(), R"({"axis":0})");
  EXPECT_EQ(constraints::min_max_norm().to_json()["config"].dump(),
            R"({"min_value":0.0,"max_value":1.0,"rate":1.0,"axis":0})");
  const auto list_axis = keras::saving::Config::parse(
      R"({"module":"keras.constraints","class_name":"UnitNorm","config":{"axis":[0,1]},"registered_name":null})");
  const auto c = constraints::from_json(list_axis);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->axis, (std::vector<int>{0, 1}));
  EXPECT_EQ(c->to_json(), list_axis);
  for (const auto& k : {constraints::max_norm(3.0, {1}), constraints::non_neg(), constraints::min_max_norm(0.1, 2, 0.5)})
    EXPECT_EQ(constraints::from_json(k.to_json())->to_json(), k.to_json());
  EXPECT_EQ(constraints::from_json("non_neg")->kind, constraints::Constraint::Kind::non_neg);
  EXPECT_THROW(constraints::from_json(R"({"class_name":"Clip","config":{}})"_json), keras::ValueError);
}

TEST(WeightRegularizers, ConfigRoundTripKeepsKerasKeyOrder) {
  keras::clear_session();
  auto dense = make<Dense>(3, DenseOptions{.kernel_regularizer = regularizers::l2(0.01),
                                           .kernel_constraint = constraints::max_norm(2.0),
                                           .bias_constraint = constraints::non_neg()});
  dense->set_activity_regularizer(regularizers::l1(0.02));
  const auto config = keras::saving::serialize_layer(*dense);
  const auto& c = config["config"];
  EXPECT_EQ(c["kernel_regularizer"], regularizers::l2(0.01).to_json());
  EXPECT_TRUE(c["bias_regularizer"].is_null());
  EXPECT_EQ(c["kernel_constraint"], constraints::max_norm(2.0).to_json());
  EXPECT_EQ(c["bias_constraint"]["class_name"], "NonNeg");
  const auto keys = keys_of(c);
  const auto pos = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) - keys.begin(); };
  EXPECT_LT(pos("bias_initializer"), pos("kernel_regularizer"));
  EXPECT_LT(pos("kernel_regularizer"), pos("bias_regularizer"));
  EXPECT_LT(pos("bias_regularizer"), pos("kernel_constraint"));
  EXPECT_LT(pos("kernel_constraint"), pos("bias_constraint"));

  // Through JSON text and back: the same regularizers and constraints, the same config.
  const auto back = keras::saving::deserialize_layer(keras::saving::Config::parse(config.dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(keras::saving::serialize_layer(*back)["config"], c);
  ASSERT_TRUE(back->weight_regularizer("kernel").has_value());
  EXPECT_EQ(back->weight_regularizer("kernel")->l2, 0.01);
  EXPECT_EQ(back->weight_constraint("bias")->kind, constraints::Constraint::Kind::non_neg);

  auto bad = config;
  bad["config"]["kernel_regularizer"] = R"({"module":"keras.regularizers","class_name":"Nope","config":{}})"_json;
  EXPECT_THROW(keras::saving::deserialize_layer(bad), keras::ValueError);
}

TEST(WeightRegularizers, RecurrentEmbeddingAndEinsumDenseConfigsRoundTrip) {
  keras::clear_session();
  auto gru = make<GRU>(2);
  gru->set_weight_regularizer("kernel", regularizers::l1_l2(0.1, 0.2));
  gru->set_weight_constraint("recurrent", constraints::unit_norm({1}));
  auto emb = make<Embedding>(4, 2);
  emb->set_weight_constraint("embeddings", constraints::max_norm(1.0, {1}));
  auto einsum = make<EinsumDense>("ab,bc->ac", std::vector<std::int64_t>{4}, "c");
  einsum->set_weight_regularizer("kernel", regularizers::l2(0.1));
  einsum->set_weight_constraint("bias", constraints::non_neg());
  (*einsum)(ops::ones({2, 3}));
  ASSERT_EQ(einsum->losses().size(), 1u);
  EXPECT_NEAR(einsum->losses()[0].item(), 0.1 * sum_sq(einsum->weights()[0]), 1e-6);
  for (const auto& layer : std::vector<std::shared_ptr<Layer>>{gru, emb, einsum}) {
    const auto config = keras::saving::serialize_layer(*layer);
    const auto back = keras::saving::deserialize_layer(keras::saving::Config::parse(config.dump()));
    EXPECT_EQ(keras::saving::serialize_layer(*back)["config"], config["config"]);
  }
}

}  // namespace
