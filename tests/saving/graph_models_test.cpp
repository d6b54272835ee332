// Graphs beyond a chain: two inputs and two outputs, a shared layer (two nodes), merges and a
// nested model, through to_json/model_from_json, .keras and .h5, bitwise.
#include <gtest/gtest.h>

#include "keras/keras.h"
#include "keras/saving/saving.h"
#include "saving/h5_file.h"
#include "saving/saving_test_util.h"
#include "saving/zip_archive.h"

namespace keras::saving {
namespace {

using layers::Dense;
using layers::LayerOptions;
using layers::make;

std::shared_ptr<Model> two_in_two_out() {
  clear_session();
  auto a = Input({4}, "a");
  auto b = Input({4}, "b");
  auto shared = make<Dense>(5, "tanh", LayerOptions{.name = "shared"});
  Tensor ha = (*shared)(a);
  Tensor hb = (*shared)(b);
  Tensor c = (*make<layers::Concatenate>(-1, LayerOptions{.name = "concat"}))({ha, hb});
  Tensor o1 = (*make<Dense>(2, activations::ActivationArg{}, LayerOptions{.name = "o1"}))(c);
  Tensor o2 = (*make<layers::Add>(LayerOptions{.name = "sum"}))({ha, hb});
  return std::make_shared<Model>(std::vector<Tensor>{a, b}, std::vector<Tensor>{o1, o2}, "two_way");
}

std::shared_ptr<Model> nested() {
  clear_session();
  auto inner = std::make_shared<Sequential>(
      std::vector<SequentialItem>{Input({4}), make<Dense>(3, "relu"), make<Dense>(3)}, "inner");
  auto x = Input({4});
  Tensor y = (*inner)(x);
  Tensor z = (*make<Dense>(2, activations::ActivationArg{}, LayerOptions{.name = "head"}))(y);
  return std::make_shared<Model>(x, z, "outer");
}

std::vector<std::vector<float>> run(Model& model, const std::vector<Tensor>& xs) {
  std::vector<std::vector<float>> out;
  for (const auto& t : model.predict(xs)) out.push_back(t.to_vector<float>());
  return out;
}

std::vector<Tensor> inputs_for(const Model& model) {
  std::vector<Tensor> xs;
  int k = 0;
  for (const auto& in : model.inputs()) {
    std::vector<float> v;
    for (int i = 0; i < 3 * in.shape()[-1]; ++i) v.push_back(0.1f * static_cast<float>((i * 7 + k) % 11) - 0.5f);
    xs.push_back(Tensor::from_vector(v, {3, in.shape()[-1]}));
    ++k;
  }
  return xs;
}

TEST(GraphModels, SharedLayerTwoInputsTwoOutputs) {
  auto model = two_in_two_out();
  Config c = model_to_config(*model);
  const Config& cfg = c["config"];
  EXPECT_EQ(cfg["input_layers"], Config::parse(R"([["a", 0, 0], ["b", 0, 0]])"));
  EXPECT_EQ(cfg["output_layers"], Config::parse(R"([["o1", 0, 0], ["sum", 0, 0]])"));
  const Config* shared = nullptr;
  const Config* concat = nullptr;
  for (const auto& l : cfg["layers"]) {
    if (l["name"] == "shared") shared = &l;
    if (l["name"] == "concat") concat = &l;
  }
  ASSERT_TRUE(shared && concat);
  EXPECT_EQ((*shared)["inbound_nodes"].size(), 2u);
  // Merge layers get their inputs as one list argument; the second call of "shared" is node 1.
  const Config& args = (*concat)["inbound_nodes"][0]["args"];
  ASSERT_EQ(args.size(), 1u);
  ASSERT_TRUE(args[0].is_array());
  EXPECT_EQ(args[0][1]["config"]["keras_history"], Config::parse(R"(["shared", 1, 0])"));

  auto rebuilt = model_from_json(to_json(*model));
  EXPECT_EQ(to_json(*rebuilt), to_json(*model));

  const auto xs = inputs_for(*model);
  const auto expected = run(*model, xs);
  test::ScratchDir dir;
  for (const std::string file : {"m.keras", "m.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    clear_session();
    auto back = load_model(dir.file(file));
    EXPECT_EQ(run(*back, xs), expected);
  }
}

TEST(GraphModels, NestedModelRoundTripsWithKerasPaths) {
  auto model = nested();
  const auto xs = inputs_for(*model);
  const auto expected = run(*model, xs);
  test::ScratchDir dir;
  for (const std::string file : {"m.keras", "m.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    clear_session();
    auto back = load_model(dir.file(file));
    EXPECT_EQ(run(*back, xs), expected);
  }
  // Keras nests a model's state under its entry in the parent's layers.
  auto zip = zip::Reader::open(dir.file("m.keras"));
  auto h5 = h5::File::open_image(zip.read("model.weights.h5"), "m");
  EXPECT_TRUE(h5.root().has_dataset("layers/sequential/layers/dense/vars/0"));
  EXPECT_TRUE(h5.root().has_dataset("layers/sequential/layers/dense_1/vars/1"));
  EXPECT_TRUE(h5.root().has_dataset("layers/dense/vars/0"));  // the head
  EXPECT_EQ(h5.root().open_group("layers/sequential/vars").read_string_attr("name"), "inner");
}

}  // namespace
}  // namespace keras::saving
