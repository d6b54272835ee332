// Runs every harness case (layer_harness.h) and checks that every layer class the saving
// registry deserializes has one.
#include <algorithm>
#include <iostream>
#include <map>

#include "layer_harness.h"
#include "saving/layer_factory.h"

namespace layer_harness {

bool is_registered_builtin(const std::string& class_name) {
  return keras::saving::detail::is_builtin_layer(class_name);
}

std::shared_ptr<keras::layers::Layer> round_trip(const keras::layers::Layer& layer) {
  // Through JSON text, as a saved file would carry it.
  const std::string text = keras::saving::serialize_layer(layer).dump();
  return keras::saving::deserialize_layer(keras::saving::Config::parse(text));
}

namespace {

// Keras's aliases of the same classes (keras.layers.MaxPool2D is MaxPooling2D).
const std::map<std::string, std::string>& aliases() {
  static const std::map<std::string, std::string> a = {
      {"MaxPool1D", "MaxPooling1D"}, {"MaxPool2D", "MaxPooling2D"}, {"MaxPool3D", "MaxPooling3D"},
      {"AvgPool1D", "AveragePooling1D"}, {"AvgPool2D", "AveragePooling2D"}, {"AvgPool3D", "AveragePooling3D"}};
  return a;
}

// A case covers its layer's class and the classes of the layers it wraps (an RNN case covers
// its cell, TimeDistributed its inner layer).
void collect_classes(const keras::layers::Layer& layer, std::set<std::string>& out) {
  out.insert(layer.class_name());
  for (const auto& sub : layer.sublayers())
    if (sub) collect_classes(*sub, out);
}

TEST(LayerHarness, EveryCasePasses) {
  ASSERT_FALSE(all_cases().empty());
  for (const auto& c : all_cases()) {
    keras::clear_session();
    check_layer(c);
  }
  if (!unregistered_classes().empty()) {
    std::string names;
    for (const auto& n : unregistered_classes()) names += " " + n;
    std::cout << "[ harness ] config round trip skipped (class not in the saving registry):" << names << "\n";
  }
}

TEST(LayerHarness, EveryRegisteredLayerClassHasACase) {
  std::set<std::string> covered;
  for (const auto& c : all_cases()) {
    keras::clear_session();
    auto layer = c.make();
    // Build it so that wrappers have created their inner layers.
    std::vector<keras::Shape> shapes{c.input_shape};
    shapes.insert(shapes.end(), c.more_inputs.begin(), c.more_inputs.end());
    layer->build_once(shapes);
    collect_classes(*layer, covered);
  }
  std::vector<std::string> missing;
  for (const auto& name : keras::saving::detail::builtin_layer_names()) {
    if (name == "InputLayer") continue;  // not callable: a model's input, covered by every symbolic check
    auto alias = aliases().find(name);
    const std::string cls = alias == aliases().end() ? name : alias->second;
    if (!covered.count(cls)) missing.push_back(name);
  }
  EXPECT_TRUE(missing.empty()) << [&] {
    std::string s = "registered layer classes without a harness case:";
    for (const auto& m : missing) s += " " + m;
    return s;
  }();
}

}  // namespace
}  // namespace layer_harness
