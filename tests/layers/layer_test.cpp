// Layer base semantics: build on first call, weights order, trainable switch, training
// argument, compute_output_shape by tracing, multi-input/multi-output layers, config.
#include <gtest/gtest.h>

#include <algorithm>

#include "keras/keras.h"

namespace {

using keras::Shape;
using keras::Tensor;
using keras::layers::LayerOptions;
using keras::layers::make;

// Counts builds; creates a non-trainable weight before a trainable one.
class Counting : public keras::layers::Layer {
 public:
  using Layer::Layer;
  int builds = 0;
  Shape built_with;
  void build(const Shape& input_shape) override {
    ++builds;
    built_with = input_shape;
    frozen_ = add_weight("frozen", {input_shape[-1]}, "ones", /*trainable=*/false);
    scale_ = add_weight("scale", {input_shape[-1]}, "ones", /*trainable=*/true);
  }
  Tensor call(const Tensor& x) override { return x * scale_ + frozen_; }

 private:
  keras::Variable frozen_, scale_;
};

TEST(Layer, BuildsOnFirstCallOnly) {
  keras::clear_session();
  auto layer = make<Counting>();
  EXPECT_FALSE(layer->built());
  EXPECT_TRUE(layer->weights().empty());
  (*layer)(keras::ops::ones({2, 4}));
  EXPECT_TRUE(layer->built());
  EXPECT_EQ(layer->builds, 1);
  EXPECT_EQ(layer->built_with, (Shape{2, 4}));
  EXPECT_EQ(layer->build_input_shapes(), (std::vector<Shape>{{2, 4}}));
  (*layer)(keras::ops::ones({5, 4}));
  (*layer)(keras::Input({4}));
  EXPECT_EQ(layer->builds, 1);
}

TEST(Layer, WeightsTrainableFirstThenNonTrainable) {
  keras::clear_session();
  auto layer = make<Counting>();
  (*layer)(keras::Input({3}));
  const auto w = layer->weights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].name(), "scale");
  EXPECT_EQ(w[1].name(), "frozen");
  ASSERT_EQ(layer->trainable_weights().size(), 1u);
  EXPECT_EQ(layer->trainable_weights()[0].name(), "scale");
  ASSERT_EQ(layer->non_trainable_weights().size(), 1u);
  EXPECT_EQ(layer->non_trainable_weights()[0].name(), "frozen");
  EXPECT_EQ(layer->count_params(), 6);
}

TEST(Layer, TrainableSwitchFreezesAndRestores) {
  keras::clear_session();
  auto layer = make<Counting>();
  (*layer)(keras::Input({3}));
  layer->set_trainable(false);
  EXPECT_FALSE(layer->trainable());
  EXPECT_TRUE(layer->trainable_weights().empty());
  EXPECT_EQ(layer->non_trainable_weights().size(), 2u);
  for (const auto& v : layer->weights()) EXPECT_FALSE(v.trainable());
  layer->set_trainable(true);
  // Only the weight created trainable becomes trainable again.
  ASSERT_EQ(layer->trainable_weights().size(), 1u);
  EXPECT_EQ(layer->trainable_weights()[0].name(), "scale");
  // The flag is separate from the call-time training mode.
  LayerOptions frozen;
  frozen.trainable = false;
  auto d = make<keras::layers::Dense>(2, "linear", frozen);
  (*d)(keras::Input({3}));
  EXPECT_TRUE(d->trainable_weights().empty());
  EXPECT_EQ(d->non_trainable_weights().size(), 2u);
}

TEST(Layer, GetAndSetWeightsRoundTrip) {
  keras::clear_session();
  auto d = make<keras::layers::Dense>(2);
  (*d)(keras::Input({3}));
  auto w = d->get_weights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].shape(), (Shape{3, 2}));  // kernel (in, units)
  EXPECT_EQ(w[1].shape(), (Shape{2}));
  const Tensor k = keras::Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  const Tensor b = keras::Tensor::from_vector(std::vector<float>{0.5f, -1}, {2});
  d->set_weights({k, b});
  const Tensor y = (*d)(keras::Tensor::from_vector(std::vector<float>{1, 1, 1}, {1, 3}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{9.5f, 11}));
  // get_weights returns copies.
  auto copy = d->get_weights();
  copy[0].data<float>()[0] = 100;
  EXPECT_EQ(d->kernel().to_vector<float>()[0], 1.0f);
  // float64 values are converted to the variables' dtype.
  d->set_weights({keras::ops::cast(k, keras::DType::float64), b});
  EXPECT_EQ(d->kernel().dtype(), keras::DType::float32);
}

// Reads the call-time training flag.
class Mode : public keras::layers::Layer {
 public:
  using Layer::Layer;
  Tensor call(const Tensor& x, bool training) override { return training ? x + 1.0f : x; }
};

TEST(Layer, TrainingArgumentIsInheritedByInnerCalls) {
  keras::clear_session();
  auto inner = make<Mode>();
  auto outer_in = keras::Input({2});
  keras::Model model(outer_in, (*inner)(outer_in));
  const Tensor x = keras::ops::zeros({1, 2});
  EXPECT_EQ((*inner)(x).to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ((*inner)(x, true).to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(model(x, true).to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(model(x).to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(model.predict(x)[0].to_vector<float>(), (std::vector<float>{0, 0}));
}

TEST(Layer, DropoutOnlyInTrainingWithInvertedScaling) {
  keras::clear_session();
  auto drop = make<keras::layers::Dropout>(0.5, 42);
  const Tensor x = keras::ops::ones({100, 50});
  EXPECT_EQ((*drop)(x).to_vector<float>(), x.to_vector<float>());
  const auto y = (*drop)(x, true).to_vector<float>();
  int zeros = 0;
  for (float v : y) {
    EXPECT_TRUE(v == 0.0f || v == 2.0f) << v;
    zeros += v == 0.0f;
  }
  EXPECT_GT(zeros, 2000);
  EXPECT_LT(zeros, 3000);
  // A new mask on the next call.
  EXPECT_NE((*drop)(x, true).to_vector<float>(), y);
  EXPECT_THROW(keras::layers::Dropout(1.5), keras::ValueError);
  // Inside a compiled function, inference is the identity; training draws a new mask at
  // every run of the one plan (nothing baked in).
  keras::Function infer([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{(*drop)(in[0], false)}; });
  EXPECT_EQ(infer({x})[0].to_vector<float>(), x.to_vector<float>());
  keras::Function train([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{(*drop)(in[0], true)}; });
  const auto first = train({x})[0].to_vector<float>(), second = train({x})[0].to_vector<float>();
  EXPECT_EQ(train.num_traces(), 1);
  EXPECT_NE(first, second);
  EXPECT_EQ(std::count(first.begin(), first.end(), 0.0f) + std::count(first.begin(), first.end(), 2.0f),
            static_cast<std::ptrdiff_t>(first.size()));
}

TEST(Layer, ComputeOutputShapeByTracingAndOverride) {
  keras::clear_session();
  auto lam = make<keras::layers::Lambda>([](const Tensor& x) { return keras::ops::sum(x, -1, true); });
  EXPECT_EQ(lam->compute_output_shape(Shape{-1, 7}), (Shape{-1, 1}));
  Tensor y = (*lam)(keras::Input({3, 7}));
  EXPECT_EQ(y.shape(), (Shape{-1, 3, 1}));
  EXPECT_EQ((*make<keras::layers::Flatten>())(keras::Input({3, 4})).shape(), (Shape{-1, 12}));
  EXPECT_EQ((*make<keras::layers::Reshape>(Shape{2, -1}))(keras::Input({3, 4})).shape(), (Shape{-1, 2, 6}));
  EXPECT_EQ((*make<keras::layers::Reshape>(Shape{2, -1}))(keras::ops::ones({5, 12})).shape(), (Shape{5, 2, 6}));
  EXPECT_THROW((*make<keras::layers::Reshape>(Shape{5}))(keras::Input({3, 4})), keras::ValueError);
  auto fixed = make<keras::layers::Lambda>([](const Tensor& x) { return x; }, LayerOptions{}, Shape{9});
  EXPECT_EQ((*fixed)(keras::Input({4})).shape(), (Shape{-1, 9}));
}

// Two outputs from one input.
class SplitHalves : public keras::layers::Layer {
 public:
  using Layer::Layer;
  keras::Outputs call(const std::vector<Tensor>& inputs, bool) override {
    auto parts = keras::ops::split(inputs[0], 2, -1);
    return keras::Outputs{parts[0], parts[1]};
  }
};

TEST(Layer, MultiOutputLayerInAModel) {
  keras::clear_session();
  auto split = make<SplitHalves>();
  auto inp = keras::Input({4});
  keras::Outputs halves = (*split)(std::vector<Tensor>{inp});
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(keras::layers::keras_history(halves[1])->tensor_index, 1);
  Tensor diff = (*make<keras::layers::Subtract>())({halves[0], halves[1]});
  keras::Model model(inp, {halves[0], diff});
  const Tensor x = keras::Tensor::from_vector(std::vector<float>{1, 2, 10, 20}, {1, 4});
  auto out = model.predict(x);
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(out[1].to_vector<float>(), (std::vector<float>{-9, -18}));
  EXPECT_THROW((*split)(inp), keras::ValueError);  // one-tensor call of a two-output layer
  const auto data = model.summary_data();
  EXPECT_EQ(data.rows[1].output_shapes, (std::vector<std::string>{"(None, 2)", "(None, 2)"}));
  EXPECT_EQ(data.rows[2].connected_to, (std::vector<std::string>{"split_halves[0][0]", "split_halves[0][1]"}));
}

TEST(Layer, MergeLayersCompute) {
  keras::clear_session();
  const Tensor a = keras::Tensor::from_vector(std::vector<float>{1, 5, 3}, {1, 3});
  const Tensor b = keras::Tensor::from_vector(std::vector<float>{4, 2, 3}, {1, 3});
  auto v = [](const Tensor& t) { return t.to_vector<float>(); };
  EXPECT_EQ(v((*make<keras::layers::Add>())({a, b})), (std::vector<float>{5, 7, 6}));
  EXPECT_EQ(v((*make<keras::layers::Subtract>())({a, b})), (std::vector<float>{-3, 3, 0}));
  EXPECT_EQ(v((*make<keras::layers::Multiply>())({a, b})), (std::vector<float>{4, 10, 9}));
  EXPECT_EQ(v((*make<keras::layers::Average>())({a, b})), (std::vector<float>{2.5f, 3.5f, 3}));
  EXPECT_EQ(v((*make<keras::layers::Maximum>())({a, b})), (std::vector<float>{4, 5, 3}));
  EXPECT_EQ(v((*make<keras::layers::Minimum>())({a, b})), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(v((*make<keras::layers::Concatenate>())({a, b})), (std::vector<float>{1, 5, 3, 4, 2, 3}));
  const Tensor dot = (*make<keras::layers::Dot>(1))({a, b});
  EXPECT_EQ(dot.shape(), (Shape{1, 1}));
  EXPECT_EQ(v(dot), (std::vector<float>{4 + 10 + 9}));
  const Tensor cos = (*make<keras::layers::Dot>(-1, true))({a, a});
  EXPECT_NEAR(cos.item(), 1.0, 1e-6);
  // Dot of (B, 2, 3) and (B, 3, 4) over axes (2, 1) is a batched matmul.
  const Tensor m1 = keras::ops::reshape(keras::ops::arange(0, 6), {1, 2, 3});
  const Tensor m2 = keras::ops::reshape(keras::ops::arange(0, 12), {1, 3, 4});
  const Tensor prod = (*make<keras::layers::Dot>(std::vector<int>{2, 1}))({m1, m2});
  EXPECT_EQ(prod.shape(), (Shape{1, 2, 4}));
  EXPECT_EQ(v(prod), v(keras::ops::matmul(m1, m2)));
  const Tensor symbolic = (*make<keras::layers::Dot>(1))({keras::Input({3}), keras::Input({3})});
  EXPECT_EQ(symbolic.shape(), (Shape{-1, 1}));
}

TEST(Layer, ActivationByEveryKerasName) {
  keras::clear_session();
  const Tensor x = keras::Tensor::from_vector(std::vector<float>{-2, -0.5f, 0.25f, 1.5f}, {2, 2});
  for (const auto& name : keras::activations::names()) {
    auto act = make<keras::layers::Activation>(name);
    const Tensor y = (*act)(x);
    EXPECT_EQ(y.shape(), (name == "glu" ? Shape{2, 1} : Shape{2, 2})) << name;
    for (float f : y.to_vector<float>()) EXPECT_TRUE(std::isfinite(f)) << name;
    EXPECT_EQ(act->get_config()["activation"], name);
  }
  // keras.activations.gelu is the exact form; relu6 clips; softmax rows sum to 1.
  const double g = (*make<keras::layers::Activation>("gelu"))(keras::Tensor::from_vector(std::vector<float>{1}, {1, 1})).item();
  EXPECT_NEAR(g, 0.5 * (1 + std::erf(1 / std::sqrt(2.0))), 1e-6);
  const auto s = (*make<keras::layers::Activation>("softmax"))(x).to_vector<float>();
  EXPECT_NEAR(s[0] + s[1], 1.0, 1e-6);
  EXPECT_THROW(keras::layers::Activation("nope"), keras::ValueError);
  EXPECT_THROW(keras::layers::Dense(3, "relu7"), keras::ValueError);
}

TEST(Layer, DenseConfigIsKerasShaped) {
  keras::clear_session();
  keras::layers::DenseOptions options;
  options.activation = "tanh";
  options.name = "fc1";
  auto d = make<keras::layers::Dense>(75, options);
  const auto c = d->get_config();
  EXPECT_EQ(c["name"], "fc1");
  EXPECT_EQ(c["units"], 75);
  EXPECT_EQ(c["activation"], "tanh");
  EXPECT_EQ(c["use_bias"], true);
  EXPECT_EQ(c["dtype"]["class_name"], "DTypePolicy");
  EXPECT_EQ(c["kernel_initializer"]["class_name"], "GlorotUniform");
  EXPECT_EQ(c["bias_initializer"]["class_name"], "Zeros");
  std::vector<std::string> keys;
  for (auto it = c.begin(); it != c.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "trainable", "dtype", "units", "activation", "use_bias",
                                            "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                            "bias_regularizer", "kernel_constraint", "bias_constraint",
                                            "quantization_config"}));
  EXPECT_THROW(keras::layers::Dense(0), keras::ValueError);
}

TEST(Layer, StackAllocatedLayerWorksEagerlyButNotSymbolically) {
  keras::clear_session();
  keras::layers::Dense d(2);
  EXPECT_EQ(d(keras::ops::ones({1, 3})).shape(), (Shape{1, 2}));
  EXPECT_THROW(d(keras::Input({3})), keras::ValueError);
}

}  // namespace
