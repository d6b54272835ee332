// Graphs beyond a chain: two inputs and two outputs, a shared layer (two nodes), merges and a
// nested model, through to_json/model_from_json, .keras and .h5, bitwise.
#include <gtest/gtest.h>

#include "keras/keras.h"
#include "keras/layers/activation_layers.h"
#include "keras/layers/convolutional.h"
#include "keras/layers/preprocessing.h"
#include "keras/layers/recurrent.h"
#include "keras/layers/regularization.h"
#include "keras/layers/reshaping.h"
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

namespace keras::saving {
namespace {

// Many layer kinds in one model (preprocessing, conv, activations, recurrent wrappers,
// reshaping, regularization): JSON, .keras and .h5 round trips predict bitwise.
TEST(GraphModels, LayerZooRoundTrips) {
  using namespace keras::layers;
  clear_session();
  std::vector<float> data;
  for (int i = 0; i < 5 * 6 * 8; ++i) data.push_back(0.01f * static_cast<float>((i * 37) % 101) - 0.4f);
  Tensor x = Tensor::from_vector(data, {5, 6, 8});
  auto norm = make<Normalization>();
  norm->adapt(x);
  auto model = std::make_shared<Sequential>(
      std::vector<SequentialItem>{
          Input({6, 8}), make<Rescaling>(0.5, 1.0), norm, make<Conv1D>(4, Ints{3}, ConvOptions{.padding = "same"}),
          make<LeakyReLU>(0.1), make<Bidirectional>(make<LSTM>(3, RecurrentOptions{.return_sequences = true})),
          make<TimeDistributed>(make<Dense>(2)), make<GaussianNoise>(0.1), make<GRU>(3),
          make<RepeatVector>(2), make<Flatten>(), make<Dense>(2, "softmax")},
      "zoo");
  const auto expected = Tensor(model->predict(x)).to_vector<float>();
  auto rebuilt = model_from_json(to_json(*model));
  EXPECT_EQ(to_json(*rebuilt), to_json(*model));
  test::ScratchDir dir;
  for (const std::string file : {"zoo.keras", "zoo.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    clear_session();
    auto back = load_model(dir.file(file));
    EXPECT_EQ(Tensor(back->predict(x)).to_vector<float>(), expected);
  }
  // Keras's paths for wrapped layers: the Bidirectional's two RNNs and their cells.
  auto zip = zip::Reader::open(dir.file("zoo.keras"));
  auto h5 = h5::File::open_image(zip.read("model.weights.h5"), "zoo");
  EXPECT_TRUE(h5.root().has_dataset("layers/bidirectional/forward_layer/cell/vars/0"));
  EXPECT_TRUE(h5.root().has_dataset("layers/bidirectional/backward_layer/cell/vars/2"));
  EXPECT_TRUE(h5.root().has_dataset("layers/time_distributed/layer/vars/1"));
  EXPECT_TRUE(h5.root().has_dataset("layers/normalization/vars/0"));
}

}  // namespace
}  // namespace keras::saving
