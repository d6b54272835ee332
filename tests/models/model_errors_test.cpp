// Bad input gets a clear error and changes nothing (issue 3's "Done when").
#include "seed_model.h"

namespace {

using keras::layers::Dense;
using keras::layers::LayerOptions;
using keras::layers::make;

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const keras::ValueError& e) {
    return e.what();
  }
  return "<no ValueError>";
}

std::vector<std::vector<float>> snapshot(const keras::layers::Layer& layer) {
  std::vector<std::vector<float>> out;
  for (const auto& w : layer.get_weights()) out.push_back(w.to_vector<float>());
  return out;
}

TEST(ModelErrors, LayerCalledOnIncompatibleShapeNamesLayerAndShapes) {
  keras::clear_session();
  auto fc2 = make<Dense>(3, "tanh", LayerOptions{.name = "fc2"});
  (*fc2)(keras::Input({75}));
  const auto before = snapshot(*fc2);
  const auto nodes = fc2->inbound_nodes().size();
  auto small = keras::Input({4});
  EXPECT_EQ(error_of([&] { (*fc2)(small); }),
            "Input 0 of layer \"fc2\" is incompatible with the layer: expected axis -1 of input shape to have value "
            "75, but received input with shape (None, 4)");
  EXPECT_EQ(fc2->inbound_nodes().size(), nodes);
  EXPECT_EQ(snapshot(*fc2), before);
  // Eagerly too, with the concrete batch dimension in the message.
  EXPECT_EQ(error_of([&] { (*fc2)(keras::ops::ones({2, 4})); }),
            "Input 0 of layer \"fc2\" is incompatible with the layer: expected axis -1 of input shape to have value "
            "75, but received input with shape (2, 4)");
  // Rank below Dense's min_ndim.
  EXPECT_EQ(error_of([&] { (*fc2)(keras::ops::ones({75})); }),
            "Input 0 of layer \"fc2\" is incompatible with the layer: expected min_ndim=2, found ndim=1. Full shape "
            "received: (75,)");
}

TEST(ModelErrors, PredictOnIncompatibleShape) {
  keras::clear_session();
  auto seed = seed_test::build_seed_model("so_const_trainable");
  EXPECT_EQ(error_of([&] { seed.model->predict(keras::ops::ones({4, 4})); }),
            "Input 0 of layer \"functional\" is incompatible with the layer: expected shape=(None, 75), found "
            "shape=(4, 4)");
  EXPECT_NE(error_of([&] { seed.model->predict(std::vector<keras::Tensor>{keras::ops::ones({4, 75}),
                                                                         keras::ops::ones({4, 75})}); })
                .find("expects 1 input(s), but it received 2"),
            std::string::npos);
}

TEST(ModelErrors, SetWeightsWrongCountOrShapeChangesNothing) {
  keras::clear_session();
  auto seed = seed_test::build_seed_model("so_const_trainable");
  const auto before = snapshot(*seed.model);
  auto good = seed.model->get_weights();

  std::vector<keras::Tensor> too_few(good.begin(), good.end() - 1);
  EXPECT_EQ(error_of([&] { seed.model->set_weights(too_few); }),
            "You called `set_weights(weights)` on layer 'functional' with a weight list of length 6, but the layer "
            "was expecting 7 weights.");

  // Valid new values first, a wrong shape last: nothing may be assigned.
  std::vector<keras::Tensor> bad;
  for (const auto& w : good) bad.push_back(keras::ops::full(w.shape(), 9.0));
  bad.back() = keras::ops::ones({2});
  EXPECT_EQ(error_of([&] { seed.model->set_weights(bad); }),
            "Layer functional weight shape (1,) is not compatible with provided weight shape (2,).");
  EXPECT_EQ(snapshot(*seed.model), before);

  auto fc1 = seed.model->get_layer("fc1");
  EXPECT_EQ(error_of([&] { fc1->set_weights({keras::ops::ones({75, 3}), keras::ops::ones({75})}); }),
            "Layer fc1 weight shape (75, 75) is not compatible with provided weight shape (75, 3).");
  EXPECT_EQ(snapshot(*seed.model), before);
}

TEST(ModelErrors, OutputsThatDoNotDependOnTheInputs) {
  keras::clear_session();
  auto a = keras::Input({3}, "a");
  auto b = keras::Input({3}, "b");
  auto d = make<Dense>(2, "linear", LayerOptions{.name = "d"});
  auto out = (*d)(b);
  const std::string msg = error_of([&] { keras::Model m(a, out); });
  EXPECT_NE(msg.find("Graph disconnected"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("['a']"), std::string::npos) << msg;
  // Nothing changed: the failed model did not take the "functional" name, d kept one node.
  EXPECT_EQ(d->inbound_nodes().size(), 1u);
  keras::Model ok(b, out);
  EXPECT_EQ(ok.name(), "functional");

  // An Input that is not an input of the model, used as its output.
  EXPECT_NE(error_of([&] { keras::Model m(a, b); }).find("Graph disconnected"), std::string::npos);
}

TEST(ModelErrors, OutputsMustBeKerasTensors) {
  keras::clear_session();
  auto a = keras::Input({3});
  auto h = (*make<Dense>(2))(a);
  // A raw op on a Keras tensor has no layer behind it.
  const std::string msg = error_of([&] { keras::Model m(a, h * 2.0f); });
  EXPECT_NE(msg.find("All `outputs` values must be KerasTensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Lambda"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { keras::Model m(keras::ops::ones({1, 3}), h); }).find("All `inputs` values must be KerasTensors"),
            std::string::npos);
  // A layer called on such a tensor says so at once.
  auto d2 = make<Dense>(1, "linear", LayerOptions{.name = "d2"});
  const std::string at_call = error_of([&] { (*d2)(h * 2.0f); });
  EXPECT_NE(at_call.find("Layer \"d2\" was called on a tensor computed with keras::ops directly"), std::string::npos)
      << at_call;
  EXPECT_FALSE(d2->built());
  // A layer output is not an Input.
  EXPECT_NE(error_of([&] { keras::Model m(h, h); }).find("must be created by keras::Input()"), std::string::npos);
}

TEST(ModelErrors, DuplicateLayerNamesInOneModel) {
  keras::clear_session();
  auto a = keras::Input({3});
  auto x = (*make<Dense>(4, "relu", LayerOptions{.name = "same"}))(a);
  x = (*make<Dense>(1, "linear", LayerOptions{.name = "same"}))(x);
  EXPECT_EQ(error_of([&] { keras::Model m(a, x); }),
            "The name \"same\" is used 2 times in the model. All operation names should be unique.");
}

TEST(ModelErrors, GetLayerUnknownNameListsExistingNames) {
  keras::clear_session();
  auto seed = seed_test::build_seed_model("so_const_trainable");
  EXPECT_EQ(error_of([&] { seed.model->get_layer("fc9"); }),
            "No such layer: fc9. Existing layers are: ['input_layer', 'fc1', 'fc2', 'my_layer', 'fc3'].");
  EXPECT_EQ(error_of([&] { seed.model->get_layer(7); }),
            "Was asked to retrieve layer at index 7 but model only has 5 layers.");
  EXPECT_EQ(seed.model->get_layer("fc2")->name(), "fc2");
  EXPECT_EQ(seed.model->get_layer(1)->name(), "fc1");
}

TEST(ModelErrors, CountParamsOfUnbuiltLayer) {
  keras::clear_session();
  auto d = make<Dense>(3);
  EXPECT_EQ(error_of([&] { d->count_params(); }),
            "You tried to call `count_params` on layer 'dense', but the layer isn't built. You can build it "
            "manually via: `layer.build(input_shape)`.");
}

TEST(ModelErrors, FailedBuildLeavesTheLayerUnbuilt) {
  keras::clear_session();
  class Picky : public keras::layers::Layer {
   public:
    using Layer::Layer;
    void build(const keras::Shape& s) override {
      add_weight("w", {s[-1]}, "ones");
      if (s[-1] != 3) throw keras::ValueError("Picky needs 3 features. Received: " + s.to_string());
    }
    keras::Tensor call(const keras::Tensor& x) override { return x; }
  };
  auto p = make<Picky>();
  EXPECT_THROW((*p)(keras::Input({4})), keras::ValueError);
  EXPECT_FALSE(p->built());
  EXPECT_TRUE(p->weights().empty());
  EXPECT_TRUE(p->inbound_nodes().empty());
  (*p)(keras::Input({3}));
  EXPECT_TRUE(p->built());
  EXPECT_EQ(p->weights().size(), 1u);
}

TEST(ModelErrors, SequentialRejectsDuplicateNamesAndIncompatibleLayers) {
  keras::clear_session();
  keras::Sequential model({keras::Input({4}), make<Dense>(3, "relu", LayerOptions{.name = "a"})});
  EXPECT_EQ(error_of([&] { model.add(make<Dense>(2, "relu", LayerOptions{.name = "a"})); }),
            "All layers added to a Sequential model should have unique names. Name 'a' is already the name of a layer "
            "in this model. Update the `name` argument to pass a unique name.");
  // A built layer that expects 5 features cannot follow a 3-unit layer: model unchanged.
  auto wrong = make<Dense>(2, "relu", LayerOptions{.name = "wrong"});
  (*wrong)(keras::Input({5}));
  EXPECT_THROW(model.add(wrong), keras::ValueError);
  ASSERT_EQ(model.layers().size(), 1u);
  EXPECT_EQ(model.count_params(), 4 * 3 + 3);
  EXPECT_EQ(model.predict(keras::ops::ones({2, 4}))[0].shape(), (keras::Shape{2, 3}));
  EXPECT_THROW(model.add(keras::Input({4})), keras::ValueError);
  keras::Sequential empty;
  EXPECT_THROW(empty.pop(), keras::TypeError);
}

TEST(ModelErrors, MergeLayerNeedsAList) {
  keras::clear_session();
  auto add = make<keras::layers::Add>();
  EXPECT_EQ(error_of([&] { (*add)(keras::Input({3})); }),
            "A merge layer should be called on a list of inputs. Received: input_shape=(None, 3) (not a list of "
            "shapes)");
  EXPECT_EQ(error_of([&] { (*add)({keras::Input({3}), keras::Input({4})}); }),
            "Inputs have incompatible shapes. Received shapes (3,) and (4,)");
  auto sub = make<keras::layers::Subtract>();
  EXPECT_NE(error_of([&] { (*sub)({keras::Input({3}), keras::Input({3}), keras::Input({3})}); })
                .find("should be called on exactly 2 inputs"),
            std::string::npos);
  auto cat = make<keras::layers::Concatenate>();
  EXPECT_NE(error_of([&] { (*cat)({keras::Input({3, 2}), keras::Input({4, 2})}); })
                .find("requires inputs with matching shapes except for the concatenation axis"),
            std::string::npos);
  auto dot = make<keras::layers::Dot>(1);
  EXPECT_EQ(error_of([&] { (*dot)({keras::Input({3}), keras::Input({4})}); }),
            "Incompatible input shapes: axis values 3 (at axis 1) != 4 (at axis 1). Full input shapes: (None, 3), "
            "(None, 4)");
}

}  // namespace
