// Functional and Sequential models: graph structure, shared layers, nesting, weights order,
// predict, and the summary data Keras's print_summary would show.
#include <cmath>

#include "seed_model.h"

namespace {

using keras::Tensor;
using keras::layers::Dense;
using keras::layers::LayerOptions;
using keras::layers::make;

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

void expect_close(const Tensor& a, const Tensor& b, double tol = 1e-5) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], tol * (1 + std::abs(y[i]))) << "at " << i;
}

TEST(Functional, SeveralInputsAndOutputs) {
  keras::clear_session();
  auto a = keras::Input({3}, "a");
  auto b = keras::Input({2}, "b");
  Tensor cat = (*make<keras::layers::Concatenate>())({a, b});
  auto h = (*make<Dense>(4, "relu", LayerOptions{.name = "h"}))(cat);
  auto o1 = (*make<Dense>(1, "linear", LayerOptions{.name = "o1"}))(h);
  auto o2 = (*make<Dense>(2, "softmax", LayerOptions{.name = "o2"}))(h);
  keras::Model model({a, b}, {o1, o2});
  EXPECT_EQ(model.name(), "functional");
  ASSERT_EQ(model.outputs().size(), 2u);
  EXPECT_EQ(model.outputs()[1].shape(), (keras::Shape{-1, 2}));

  const Tensor xa = keras::random::normal({5, 3}, 0, 1, keras::DType::float32, 1);
  const Tensor xb = keras::random::normal({5, 2}, 0, 1, keras::DType::float32, 2);
  auto out = model.predict({xa, xb}, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), (keras::Shape{5, 1}));
  EXPECT_EQ(out[1].shape(), (keras::Shape{5, 2}));
  // Same as running the layers by hand, eagerly.
  auto hand_h = (*model.get_layer("h"))(keras::ops::concatenate({xa, xb}, -1));
  expect_close(out[0], (*model.get_layer("o1"))(hand_h));
  expect_close(out[1], (*model.get_layer("o2"))(hand_h));

  const auto data = model.summary_data();
  EXPECT_FALSE(data.sequential_like);
  std::vector<std::string> names;
  for (const auto& row : data.rows) names.push_back(row.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "concatenate", "h", "o1", "o2"}));
  EXPECT_EQ(data.rows[2].connected_to, (std::vector<std::string>{"a[0][0]", "b[0][0]"}));
  EXPECT_TRUE(data.rows[0].connected_to.empty());
  EXPECT_EQ(data.rows[5].connected_to, (std::vector<std::string>{"h[0][0]"}));
  EXPECT_EQ(data.rows[5].output_shapes, (std::vector<std::string>{"(None, 2)"}));
  EXPECT_EQ(data.rows[0].trainable, "-");
  EXPECT_EQ(data.rows[3].trainable, "Y");
}

TEST(Functional, SharedLayerHasTwoNodesAndReplaysBoth) {
  keras::clear_session();
  auto a = keras::Input({3}, "a");
  auto b = keras::Input({3}, "b");
  auto shared = make<Dense>(2, "linear", LayerOptions{.name = "shared"});
  auto ya = (*shared)(a);
  auto yb = (*shared)(b);
  EXPECT_EQ(keras::layers::keras_history(ya)->node_index, 0);
  EXPECT_EQ(keras::layers::keras_history(yb)->node_index, 1);
  Tensor sum = (*make<keras::layers::Add>())({ya, yb});
  keras::Model model({a, b}, sum);
  ASSERT_EQ(shared->inbound_nodes().size(), 2u);
  EXPECT_EQ(model.weights().size(), 2u);  // shared weights counted once

  const auto data = model.summary_data();
  EXPECT_FALSE(data.sequential_like);
  for (const auto& row : data.rows) {
    if (row.name == "shared") {
      EXPECT_EQ(row.connected_to, (std::vector<std::string>{"a[0][0]", "b[0][0]"}));
    }
    if (row.name == "add") {
      EXPECT_EQ(row.connected_to, (std::vector<std::string>{"shared[0][0]", "shared[1][0]"}));
    }
  }

  const Tensor xa = keras::ops::ones({2, 3});
  const Tensor xb = keras::ops::full({2, 3}, 2.0);
  expect_close(model.predict({xa, xb})[0], keras::ops::add((*shared)(xa), (*shared)(xb)));
  EXPECT_EQ(shared->inbound_nodes().size(), 2u);  // eager calls record no nodes
}

TEST(Functional, ModelUsedAsALayerInsideAnother) {
  keras::clear_session();
  auto inner_in = keras::Input({4});
  auto inner_out = (*make<Dense>(3, "tanh", LayerOptions{.name = "inner_dense"}))(inner_in);
  auto inner = std::make_shared<keras::Model>(inner_in, inner_out, "inner");
  EXPECT_EQ(inner->class_name(), "Functional");

  auto x = keras::Input({4});
  auto y = (*inner)(x);
  EXPECT_EQ(y.shape(), (keras::Shape{-1, 3}));
  auto z = (*make<Dense>(1, "linear", LayerOptions{.name = "head"}))(y);
  keras::Model outer(x, z, "outer");
  // The inner model is one layer of the outer one; its weights come first.
  std::vector<std::string> names;
  for (const auto& l : outer.layers()) names.push_back(l->name());
  EXPECT_EQ(names, (std::vector<std::string>{"input_layer_1", "inner", "head"}));
  const auto weights = outer.weights();
  ASSERT_EQ(weights.size(), 4u);
  EXPECT_EQ(weights[0].node(), inner->get_layer("inner_dense")->weights()[0].node());
  EXPECT_EQ(outer.count_params(), 4 * 3 + 3 + 3 + 1);
  // Calling the outer model did not add nodes inside the inner graph.
  EXPECT_EQ(inner->get_layer("inner_dense")->inbound_nodes().size(), 1u);

  const Tensor data = keras::random::uniform({6, 4}, -1, 1, keras::DType::float32, 3);
  expect_close(outer.predict(data)[0], (*outer.get_layer("head"))(inner->predict(data)[0]));
  const auto summary = outer.summary_data();
  EXPECT_EQ(summary.rows[1].class_name, "Functional");
  EXPECT_EQ(summary.rows[1].params, 15);

  // Freezing the nested model freezes its layers.
  inner->set_trainable(false);
  EXPECT_EQ(outer.trainable_weights().size(), 2u);
  EXPECT_EQ(outer.non_trainable_weights().size(), 2u);
}

TEST(Functional, ModelInputCanBeUsedDirectlyAsOutput) {
  keras::clear_session();
  auto a = keras::Input({2});
  keras::Model identity(a, a);
  const Tensor x = keras::ops::full({3, 2}, 1.5);
  EXPECT_EQ(values(identity.predict(x)[0]), values(x));
}

TEST(Functional, SeedLambdaMultipliesTwoBranches) {
  keras::clear_session();
  // The answer's functional Lambda: Lambda(x[0] * x[1]) on [output2, output3] -> (None, 3).
  auto inp = keras::Input({75});
  auto output2 = (*make<Dense>(3, "tanh", LayerOptions{.name = "output2"}))(inp);
  auto output3 = (*make<Dense>(3, "linear", LayerOptions{.name = "output3"}))(inp);
  auto mul = make<keras::layers::Lambda>([](const std::vector<Tensor>& x) { return x[0] * x[1]; });
  Tensor out = (*mul)({output2, output3});
  EXPECT_EQ(out.shape(), (keras::Shape{-1, 3}));
  EXPECT_EQ(mul->name(), "lambda");
  keras::Model model(inp, out);
  const Tensor x = keras::random::normal({2, 75}, 0, 1, keras::DType::float32, 5);
  const Tensor expected = keras::ops::multiply((*model.get_layer("output2"))(x), (*model.get_layer("output3"))(x));
  expect_close(model.predict(x)[0], expected);
}

TEST(Sequential, FromListWithInputBuildsAtOnce) {
  keras::clear_session();
  keras::Sequential model({keras::Input({20}), make<Dense>(32, "relu"), make<keras::layers::Dropout>(0.3),
                           make<Dense>(3, "softmax")});
  EXPECT_EQ(model.name(), "sequential");
  EXPECT_TRUE(model.built());
  std::vector<std::string> names;
  for (const auto& l : model.layers()) names.push_back(l->name());
  EXPECT_EQ(names, (std::vector<std::string>{"dense", "dropout", "dense_1"}));
  EXPECT_EQ(model.count_params(), 20 * 32 + 32 + 32 * 3 + 3);
  const auto data = model.summary_data();
  EXPECT_TRUE(data.sequential_like);
  ASSERT_EQ(data.rows.size(), 3u);  // no InputLayer row
  EXPECT_EQ(data.rows[2].output_shapes, (std::vector<std::string>{"(None, 3)"}));
  // Dropout is inactive in predict: rows sum to 1 and repeated calls agree.
  const Tensor x = keras::random::normal({5, 20}, 0, 1, keras::DType::float32, 9);
  const auto p1 = values(model.predict(x)[0]);
  const auto p2 = values(model.predict(x)[0]);
  EXPECT_EQ(p1, p2);
  for (int r = 0; r < 5; ++r) EXPECT_NEAR(p1[r * 3] + p1[r * 3 + 1] + p1[r * 3 + 2], 1.0, 1e-5);
}

TEST(Sequential, BuiltOnFirstCallAndAddPop) {
  keras::clear_session();
  keras::Sequential model;
  model.add(make<Dense>(4, "relu"));
  model.add(make<Dense>(2));
  EXPECT_FALSE(model.built());
  const auto unbuilt = model.summary_data();
  ASSERT_EQ(unbuilt.rows.size(), 2u);
  EXPECT_FALSE(unbuilt.rows[0].built);
  EXPECT_TRUE(unbuilt.rows[0].output_shapes.empty());  // "?"

  const Tensor x = keras::ops::ones({3, 5});
  const Tensor y = model(x);
  EXPECT_EQ(y.shape(), (keras::Shape{3, 2}));
  EXPECT_TRUE(model.built());
  EXPECT_EQ(model.count_params(), 5 * 4 + 4 + 4 * 2 + 2);
  EXPECT_EQ(model.layers().size(), 2u);

  auto last = model.pop();
  EXPECT_EQ(last->name(), "dense_1");
  EXPECT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(model.predict(x)[0].shape(), (keras::Shape{3, 4}));
  model.add(make<Dense>(7));
  EXPECT_EQ(model.predict(x)[0].shape(), (keras::Shape{3, 7}));
}

TEST(Sequential, NestedInFunctional) {
  keras::clear_session();
  auto block = std::make_shared<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({3}), make<Dense>(2, "relu")}, "block");
  auto x = keras::Input({3});
  auto y = (*block)(x);
  keras::Model model(x, y);
  const Tensor data = keras::random::normal({4, 3}, 0, 1, keras::DType::float32, 11);
  expect_close(model.predict(data)[0], block->predict(data)[0]);
  EXPECT_EQ(model.summary_data().rows[1].class_name, "Sequential");
}

TEST(Naming, AutoNamesPerClassAndClearSession) {
  keras::clear_session();
  auto d0 = make<Dense>(1);
  auto d1 = make<Dense>(1);
  auto named = make<Dense>(1, "linear", LayerOptions{.name = "custom"});
  auto d2 = make<Dense>(1);
  EXPECT_EQ(d0->name(), "dense");
  EXPECT_EQ(d1->name(), "dense_1");
  EXPECT_EQ(named->name(), "custom");
  EXPECT_EQ(d2->name(), "dense_2");
  auto my = make<seed_test::MyLayer>(std::vector<double>{1, 1, 1}, false);
  EXPECT_EQ(my->name(), "my_layer");
  EXPECT_EQ(my->class_name(), "MyLayer");
  auto i0 = keras::Input({2});
  auto i1 = keras::Input({2});
  EXPECT_EQ(keras::layers::keras_history(i0)->layer->name(), "input_layer");
  EXPECT_EQ(keras::layers::keras_history(i1)->layer->name(), "input_layer_1");
  keras::Sequential s1, s2;
  EXPECT_EQ(s1.name(), "sequential");
  EXPECT_EQ(s2.name(), "sequential_1");
  // Building a Sequential makes an inner Functional in Keras 3, which takes one
  // "functional" name: the next functional model is "functional_1".
  keras::clear_session();
  keras::Sequential built({keras::Input({2}), make<Dense>(1), make<Dense>(1)});
  auto in = keras::Input({2});
  keras::Model after(in, (*make<Dense>(1))(in));
  EXPECT_EQ(after.name(), "functional_1");
  keras::clear_session();
  EXPECT_EQ(make<Dense>(1)->name(), "dense");
  EXPECT_EQ(keras::layers::to_snake_case("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(keras::layers::to_snake_case("Conv2D"), "conv2d");
  EXPECT_EQ(keras::layers::to_snake_case("InputLayer"), "input_layer");
}

}  // namespace
