// Model configs: every fixture's config.json rebuilds a model that (with the file's weights)
// predicts and summarizes like Keras; our configs have Keras's keys; Keras 2 schema; the
// registry and the Lambda policy.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/data/io.h"
#include "keras/saving/saving.h"
#include "keras/saving/serialization.h"
#include "saving/fixture_models.h"
#include "saving/saving_test_util.h"
#include "saving/zip_archive.h"

namespace keras::saving {
namespace {

using test::fixture;

Config fixture_config(const std::string& name) {
  auto zip = zip::Reader::open(fixture(name, "model.keras"));
  auto bytes = zip.read("config.json");
  return Config::parse(std::string(bytes.begin(), bytes.end()));
}

// The seed's MyLayer under Keras's registered name.
void register_my_layer() {
  register_layer<seed_test::MyLayer>("oracle", [](const Config& c) {
    std::optional<std::vector<double>> w;
    if (c.contains("w_init") && !c["w_init"].is_null()) w = c["w_init"].get<std::vector<double>>();
    return layers::make<seed_test::MyLayer>(w, c.value("trainable_w", true), layer_options(c));
  });
}

LoadOptions options_for(const std::string& name) {
  LoadOptions o;
  if (name == "lambda_model") o.lambda_functions["scale_shift"] = [](const Tensor& t) { return t * 2.0f + 1.0f; };
  return o;
}

void expect_predicts(Model& model, const std::string& name) {
  Tensor x = data::load_npy(fixture(name, "x.npy"));
  Tensor want = data::load_npy(fixture(name, "y_pred.npy"));
  auto got = Tensor(model.predict(x)).to_vector<float>();
  auto expected = want.to_vector<float>();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 1e-5 * std::max(1.0f, std::fabs(expected[i]))) << name << " element " << i;
}

// The keys of a dict in order, without shared_object_id.
std::vector<std::string> key_order(const Config& c) {
  std::vector<std::string> out;
  for (auto it = c.begin(); it != c.end(); ++it)
    if (it.key() != "shared_object_id") out.push_back(it.key());
  return out;
}

// Differences between two configs: keys (and their order), list lengths and values, by JSON
// path. Object ids (shared_object_id) are memory addresses and ignored.
void diff(const Config& ours, const Config& keras, const std::string& path, std::vector<std::string>& out) {
  if (ours.is_object() && keras.is_object()) {
    for (auto it = keras.begin(); it != keras.end(); ++it) {
      if (it.key() == "shared_object_id") continue;
      if (!ours.contains(it.key())) out.push_back(path + "/" + it.key() + ": missing in ours");
      else diff(ours[it.key()], it.value(), path + "/" + it.key(), out);
    }
    for (auto it = ours.begin(); it != ours.end(); ++it)
      if (it.key() != "shared_object_id" && !keras.contains(it.key()))
        out.push_back(path + "/" + it.key() + ": extra in ours");
    if (key_order(ours) != key_order(keras)) {
      std::string o, k;
      for (const auto& x : key_order(ours)) o += x + " ";
      for (const auto& x : key_order(keras)) k += x + " ";
      out.push_back(path + ": key order [" + o + "] vs Keras's [" + k + "]");
    }
  } else if (ours.is_array() && keras.is_array()) {
    if (ours.size() != keras.size()) {
      out.push_back(path + ": " + std::to_string(ours.size()) + " entries vs Keras's " + std::to_string(keras.size()));
      return;
    }
    for (std::size_t i = 0; i < ours.size(); ++i) diff(ours[i], keras[i], path + "/" + std::to_string(i), out);
  } else if (ours.is_number() && keras.is_number()) {
    if (std::fabs(ours.get<double>() - keras.get<double>()) > 1e-12 * std::max(1.0, std::fabs(keras.get<double>())))
      out.push_back(path + ": " + ours.dump() + " vs Keras's " + keras.dump());
  } else if (ours != keras) {
    out.push_back(path + ": " + ours.dump() + " vs Keras's " + keras.dump());
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  " + x + "\n";
  return s;
}

class FixtureConfigTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    KERAS_REQUIRE_FIXTURE(fixture(GetParam(), "model.keras"));
    register_my_layer();
  }
};

TEST_P(FixtureConfigTest, RebuildsFromKerasConfigAndPredicts) {
  const std::string name = GetParam();
  clear_session();
  Config config = fixture_config(name);
  auto model = model_from_config(config, options_for(name));
  ASSERT_TRUE(model);
  EXPECT_EQ(model->name(), config["config"]["name"].get<std::string>());
  load_weights(*model, fixture(name, "model.keras"));
  expect_predicts(*model, name);
  if (std::filesystem::exists(fixture(name, "summary.txt"))) {
    auto text = test::slurp(fixture(name, "summary.txt"));
    models::SummaryOptions wide;
    wide.terminal_columns = 200;  // the fixtures' summary.txt came from a wide terminal
    EXPECT_TRUE(model->summary_string(wide) == std::string(text.begin(), text.end()))
        << model->summary_string(wide) << "\nexpected:\n" << std::string(text.begin(), text.end());
  }
}

TEST_P(FixtureConfigTest, OurConfigMatchesKerassConfig) {
  const std::string name = GetParam();
  auto model = test::build_fixture_model(name);
  Config ours = model_to_config(*model);
  Config keras = fixture_config(name);
  keras.erase("compile_config");
  std::vector<std::string> differences;
  diff(ours, keras, "", differences);
  if (name == "lambda_model") {
    // By design: Keras stored Python bytecode, keras.cpp stores the C++ function by name.
    std::vector<std::string> rest;
    for (const auto& d : differences)
      if (d.rfind("/config/layers/2/config/function", 0) != 0) rest.push_back(d);
    EXPECT_LT(rest.size(), differences.size()) << join(differences);
    differences = rest;
  }
  EXPECT_TRUE(differences.empty()) << name << ":\n" << join(differences);
}

TEST_P(FixtureConfigTest, JsonRoundTripIsStable) {
  const std::string name = GetParam();
  clear_session();
  auto model = model_from_config(fixture_config(name), options_for(name));
  std::string json = to_json(*model);
  auto again = model_from_json(json, options_for(name));
  EXPECT_EQ(to_json(*again), json);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureConfigTest, ::testing::ValuesIn(test::buildable_cases()),
                         [](const auto& info) { return info.param; });

TEST(Config, UnknownClassNamesItAndHowToRegister) {
  unregister("oracle>MyLayer");
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.keras"));
  try {
    model_from_config(fixture_config("so_const_trainable"));
    FAIL();
  } catch (const TypeError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("'MyLayer'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("oracle>MyLayer"), std::string::npos) << msg;
    EXPECT_NE(msg.find("register_layer"), std::string::npos) << msg;
  }
  // custom_objects for this load only, keyed by the class name.
  LoadOptions o;
  o.custom_objects["MyLayer"] = [](const Config& c) {
    return layers::make<seed_test::MyLayer>(c["w_init"].get<std::vector<double>>(), c.value("trainable_w", true),
                                            layer_options(c));
  };
  auto model = model_from_config(fixture_config("so_const_trainable"), o);
  EXPECT_EQ(model->get_layer("my_layer")->class_name(), "MyLayer");
}

TEST(Config, RegisteredClassIsSavedUnderItsRegisteredName) {
  register_my_layer();
  auto model = test::build_fixture_model("so_const_nontrainable");
  Config c = model_to_config(*model);
  const Config& entry = c["config"]["layers"][3];
  EXPECT_EQ(entry["class_name"], "MyLayer");
  EXPECT_EQ(entry["registered_name"], "oracle>MyLayer");
  EXPECT_TRUE(entry["module"].is_null());
  EXPECT_EQ(entry["config"]["w_init"], Config::parse("[0.0, 1.0, 2.0]"));
}

TEST(Config, PythonLambdaNeedsACppReplacement) {
  KERAS_REQUIRE_FIXTURE(fixture("lambda_model", "model.keras"));
  try {
    model_from_config(fixture_config("lambda_model"));
    FAIL();
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("scale_shift"), std::string::npos) << msg;
    EXPECT_NE(msg.find("never executes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("lambda_functions"), std::string::npos) << msg;
  }
}

TEST(Config, CppLambdaIsSavedByNameAndLoadsWhereRegistered) {
  auto model = test::build_fixture_model("lambda_model");
  std::string json = to_json(*model);
  EXPECT_NE(json.find(R"("function":{"module":null,"class_name":"function","config":"scale_shift","registered_name":"scale_shift"})"),
            std::string::npos)
      << json;
  unregister("scale_shift");
  EXPECT_THROW(model_from_json(json), ValueError);
  register_function("scale_shift", [](const Tensor& t) { return t * 2.0f + 1.0f; });
  auto back = model_from_json(json);
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {1, 4});
  model->set_weights(model->get_weights());
  back->set_weights(model->get_weights());
  EXPECT_EQ(Tensor(back->predict(x)).to_vector<float>(), Tensor(model->predict(x)).to_vector<float>());
  unregister("scale_shift");

  auto anonymous = layers::make<layers::Lambda>([](const Tensor& t) { return t; });
  Sequential seq(std::vector<SequentialItem>{Input({2}), anonymous});
  EXPECT_THROW(to_json(seq), ValueError);
}

// A Keras 2.x functional config: no module / registered_name, list-style inbound nodes,
// batch_input_shape, Keras 2 initializer dicts, "Model" as the class.
TEST(Config, ReadsKeras2FunctionalSchema) {
  const char* json = R"({"class_name": "Model", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false,
     "ragged": false, "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
    {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": "float32", "units": 3,
     "activation": "relu", "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform",
     "config": {"seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}},
     "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
     "kernel_constraint": null, "bias_constraint": null}, "name": "dense",
     "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    {"class_name": "Dense", "config": {"name": "dense_1", "trainable": true, "dtype": "float32", "units": 3,
     "activation": "linear"}, "name": "dense_1", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
    {"class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "name": "add",
     "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]},
    "keras_version": "2.11.0", "backend": "tensorflow"})";
  auto model = model_from_json(json);
  EXPECT_EQ(model->name(), "model");
  EXPECT_EQ(model->layers().size(), 4u);
  EXPECT_EQ(model->outputs()[0].shape(), Shape({-1, 3}));
  EXPECT_EQ(model->get_layer("add")->inbound_nodes()[0]->input_tensors.size(), 2u);
}

TEST(Config, ReadsKeras2SequentialSchema) {
  const char* json = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "Dense", "config": {"name": "dense", "trainable": true, "batch_input_shape": [null, 5],
     "dtype": "float32", "units": 2, "activation": "softmax"}}]}})";
  auto model = model_from_json(json);
  ASSERT_TRUE(model->built());
  EXPECT_EQ(model->layers().size(), 1u);
  EXPECT_EQ(model->get_layer(0)->weights()[0].shape(), Shape({5, 2}));
}

TEST(Config, BrokenConfigsAreTypedErrors) {
  EXPECT_THROW(model_from_json("{not json"), ValueError);
  EXPECT_THROW(model_from_json("[]"), TypeError);
  EXPECT_THROW(model_from_json(R"({"class_name": "Weird", "config": {}})"), TypeError);
  EXPECT_THROW(model_from_json(R"({"class_name": "Functional", "config": {"name": "m"}})"), ValueError);
  // A node that refers to a layer that never produces it.
  EXPECT_THROW(model_from_json(R"({"class_name": "Functional", "config": {"name": "m", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [null, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
    {"class_name": "Dense", "config": {"name": "d", "units": 1}, "name": "d",
     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["d", 0, 0]}}],
                        "kwargs": {}}]}],
    "input_layers": ["in", 0, 0], "output_layers": ["d", 0, 0]}})"),
               ValueError);
  EXPECT_THROW(model_from_json(R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Dense", "config": {"name": "d", "units": "three"}}]}})"),
               TypeError);
  EXPECT_THROW(model_from_json(R"({"class_name": "Sequential", "config": {"layers": [
    {"class_name": "Dense", "config": {"name": "d", "units": 3, "kernel_regularizer": {"class_name": "OrthogonalRegularizer"}}}]}})"),
               NotImplementedError);
}

// Every convolution family writes its regularizer and constraint keys once each, in the order
// of keras/src/layers/convolutional/base_*.py (3.15.1), and the config reads back unchanged.
TEST(Config, ConvolutionConfigsHaveKerassKeysOnceInOrder) {
  using namespace keras::layers;
  const std::vector<std::string> head = {"name", "trainable", "dtype"};
  auto expect_keys = [&](const Layer& layer, std::vector<std::string> rest) {
    SCOPED_TRACE(layer.class_name());
    rest.insert(rest.begin(), head.begin(), head.end());
    const Config c = layer.get_config();
    std::vector<std::string> got;
    for (auto it = c.begin(); it != c.end(); ++it) got.push_back(it.key());
    EXPECT_EQ(got, rest);
    const std::string text = c.dump();
    for (const auto& k : rest) {
      if (k.find("_regularizer") != std::string::npos || k.find("_constraint") != std::string::npos) {
        EXPECT_EQ(text.find("\"" + k + "\":"), text.rfind("\"" + k + "\":")) << k << " appears twice in " << text;
      }
    }
    Config entry = saving::serialize_layer(layer);
    EXPECT_EQ(saving::deserialize_layer(entry)->get_config(), c);
  };
  expect_keys(*make<Conv2D>(4, Ints{3, 3}),
              {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
               "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
               "activity_regularizer", "kernel_constraint", "bias_constraint"});
  expect_keys(*make<Conv2DTranspose>(4, Ints{3, 3}),
              {"filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
               "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
               "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"});
  expect_keys(*make<DepthwiseConv2D>(Ints{3, 3}),
              {"depth_multiplier", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
               "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer",
               "activity_regularizer", "depthwise_constraint", "bias_constraint"});
  expect_keys(*make<SeparableConv2D>(4, Ints{3, 3}),
              {"depth_multiplier", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
               "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer",
               "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
               "depthwise_constraint", "pointwise_constraint", "bias_constraint"});
}

}  // namespace
}  // namespace keras::saving
