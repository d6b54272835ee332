// The attention layers (MultiHeadAttention, Attention, AdditiveAttention, EinsumDense) through
// JSON, .keras, .h5 and .weights.h5: bitwise predictions, Keras 3.15's config keys (in order),
// call nodes, build_config and HDF5 paths; Keras's keyword-argument nodes and 3.0-3.2 paths.
#include <gtest/gtest.h>

#include <functional>

#include "keras/keras.h"
#include "keras/saving/saving.h"
#include "saving/h5_file.h"
#include "saving/saving_test_util.h"
#include "saving/zip_archive.h"

namespace keras::saving {
namespace {

using namespace keras::layers;

std::vector<std::string> keys(const Config& c) {
  std::vector<std::string> out;
  for (auto it = c.begin(); it != c.end(); ++it) out.push_back(it.key());
  return out;
}

const Config& entry_named(const Config& model_config, const std::string& name) {
  for (const auto& l : model_config["config"]["layers"])
    if (l["name"] == name) return l;
  throw std::runtime_error("no layer " + name);
}

Tensor ramp(const Shape& shape, int salt) {
  std::vector<float> v;
  for (std::int64_t i = 0; i < shape.num_elements(); ++i)
    v.push_back(0.05f * static_cast<float>((i * 13 + salt * 7) % 23) - 0.5f);
  return Tensor::from_vector(v, shape);
}

std::shared_ptr<Model> attention_model() {
  clear_session();
  Tensor q = Input({4, 8}, DType::float32, "q");
  Tensor v = Input({6, 8}, DType::float32, "v");
  Tensor m1 = (*make<MultiHeadAttention>(2, 3, MultiHeadAttentionOptions{.name = "mha"}))({q, v});
  auto causal = make<MultiHeadAttention>(
      2, 4, MultiHeadAttentionOptions{.value_dim = 5, .output_shape = {6}, .use_gate = true, .name = "mha_causal"});
  causal->set_call_options({.use_causal_mask = true});
  Tensor m2 = (*causal)({q, v, v});
  Tensor a = (*make<Attention>(AttentionOptions{.use_scale = true, .score_mode = "concat", .name = "att"}))({q, v});
  Tensor aa = (*make<AdditiveAttention>(AttentionOptions{.use_scale = true, .name = "add_att"}))({q, v, v});
  Tensor cat = (*make<Concatenate>(-1, LayerOptions{.name = "cat"}))({m1, m2, a, aa});
  Tensor out = (*make<EinsumDense>("abc,cd->abd", std::vector<std::int64_t>{-1, 5}, "d", "relu", "glorot_uniform",
                                   "zeros", LayerOptions{.name = "proj"}))(cat);
  return std::make_shared<Model>(std::vector<Tensor>{q, v}, std::vector<Tensor>{out}, "attn");
}

std::vector<float> run(Model& model) {
  return Tensor(model.predict(std::vector<Tensor>{ramp({3, 4, 8}, 1), ramp({3, 6, 8}, 2)})).to_vector<float>();
}

TEST(AttentionSaving, ModelRoundTripsBitwiseThroughEveryFormat) {
  auto model = attention_model();
  const auto expected = run(*model);
  auto rebuilt = model_from_json(to_json(*model));
  EXPECT_EQ(to_json(*rebuilt), to_json(*model));
  test::ScratchDir dir;
  for (const std::string file : {"attn.keras", "attn.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    clear_session();
    auto back = load_model(dir.file(file));
    EXPECT_EQ(run(*back), expected);
  }
  save_weights(*model, dir.file("attn.weights.h5"));
  auto fresh = attention_model();
  EXPECT_NE(run(*fresh), expected);  // fresh random weights
  load_weights(*fresh, dir.file("attn.weights.h5"));
  EXPECT_EQ(run(*fresh), expected);
}

TEST(AttentionSaving, ConfigsHaveKerassKeysInKerassOrder) {
  auto model = attention_model();
  const Config c = model_to_config(*model);
  const std::vector<std::string> base = {"name", "trainable", "dtype"};
  auto with_base = [&](std::vector<std::string> rest) {
    rest.insert(rest.begin(), base.begin(), base.end());
    return rest;
  };
  EXPECT_EQ(keys(entry_named(c, "mha")["config"]),
            with_base({"num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape",
                       "attention_axes", "sliding_window", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                       "bias_constraint", "seed"}));
  EXPECT_EQ(keys(entry_named(c, "att")["config"]), with_base({"use_scale", "score_mode", "dropout", "seed"}));
  EXPECT_EQ(keys(entry_named(c, "add_att")["config"]), with_base({"use_scale", "dropout", "seed"}));
  EXPECT_EQ(keys(entry_named(c, "proj")["config"]),
            with_base({"output_shape", "equation", "activation", "bias_axes", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                       "bias_constraint", "quantization_config"}));
  const Config& mha = entry_named(c, "mha")["config"];
  EXPECT_EQ(mha["value_dim"], 3);
  EXPECT_EQ(mha["output_shape"], nullptr);
  EXPECT_EQ(mha["attention_axes"], Config::parse("[1]"));  // resolved at build, as Keras
  EXPECT_EQ(entry_named(c, "mha_causal")["config"]["output_shape"], Config::parse("[6]"));
  EXPECT_EQ(entry_named(c, "proj")["config"]["output_shape"], Config::parse("[null, 5]"));
  EXPECT_EQ(entry_named(c, "proj")["config"]["bias_axes"], "d");
}

TEST(AttentionSaving, NodesAndBuildConfigsAreKerass) {
  auto model = attention_model();
  const Config c = model_to_config(*model);
  // MultiHeadAttention: query, value (and key) as separate arguments; Keras's filled-in masks.
  const Config& mha = entry_named(c, "mha");
  const Config& node = mha["inbound_nodes"][0];
  ASSERT_EQ(node["args"].size(), 2u);
  EXPECT_EQ(node["args"][0]["config"]["keras_history"], Config::parse(R"(["q", 0, 0])"));
  EXPECT_EQ(node["args"][1]["config"]["keras_history"], Config::parse(R"(["v", 0, 0])"));
  EXPECT_EQ(node["kwargs"], Config::parse(R"({"query_mask": null, "value_mask": null})"));
  EXPECT_EQ(mha["build_config"],
            Config::parse(R"({"shapes_dict": {"query_shape": [null, 4, 8], "value_shape": [null, 6, 8]}})"));
  const Config& causal = entry_named(c, "mha_causal")["inbound_nodes"][0];
  EXPECT_EQ(causal["args"].size(), 3u);
  EXPECT_EQ(causal["kwargs"],
            Config::parse(R"({"use_causal_mask": true, "query_mask": null, "value_mask": null, "key_mask": null})"));
  EXPECT_EQ(keys(entry_named(c, "mha_causal")["build_config"]["shapes_dict"]),
            (std::vector<std::string>{"query_shape", "value_shape", "key_shape"}));
  // Attention: one list argument, training=False and the list of masks.
  const Config& att = entry_named(c, "att");
  ASSERT_EQ(att["inbound_nodes"][0]["args"].size(), 1u);
  EXPECT_EQ(att["inbound_nodes"][0]["args"][0].size(), 2u);
  EXPECT_EQ(att["inbound_nodes"][0]["kwargs"], Config::parse(R"({"training": false, "mask": [null, null]})"));
  EXPECT_EQ(att["build_config"], Config::parse(R"({"input_shape": [[null, 4, 8], [null, 6, 8]]})"));
  // The causal option survives the trip: without it the loaded model would predict otherwise.
  auto back = model_from_config(c);
  for (const auto& layer : back->layers()) {
    if (layer->name() == "mha_causal") {
      EXPECT_TRUE(std::dynamic_pointer_cast<MultiHeadAttention>(layer)->call_options().use_causal_mask);
    }
  }
}

TEST(AttentionSaving, WeightsUseKerassPaths) {
  auto model = attention_model();
  test::ScratchDir dir;
  save_model(*model, dir.file("attn.keras"));
  auto zip = zip::Reader::open(dir.file("attn.keras"));
  auto h5 = h5::File::open_image(zip.read("model.weights.h5"), "attn");
  const auto root = h5.root();
  for (const char* sub : {"query_dense", "key_dense", "value_dense", "output_dense"}) {
    SCOPED_TRACE(sub);
    EXPECT_TRUE(root.has_dataset(std::string("layers/multi_head_attention/") + sub + "/vars/0"));  // kernel
    EXPECT_TRUE(root.has_dataset(std::string("layers/multi_head_attention/") + sub + "/vars/1"));  // bias
  }
  EXPECT_EQ(root.open_group("layers/multi_head_attention/query_dense/vars").read_string_attr("name"), "query");
  EXPECT_EQ(root.open_group("layers/multi_head_attention/output_dense/vars").read_string_attr("name"),
            "attention_output");
  // Keras's Softmax and Dropout sublayers have no variables: empty groups.
  EXPECT_TRUE(root.open_group("layers/multi_head_attention/_softmax/vars").member_names().empty());
  EXPECT_TRUE(root.open_group("layers/multi_head_attention/_dropout_layer/vars").member_names().empty());
  EXPECT_TRUE(root.has_dataset("layers/multi_head_attention_1/_gate_dense/vars/0"));
  EXPECT_EQ(root.dataset_info("layers/multi_head_attention_1/query_dense/vars/0").shape, (Shape{8, 2, 4}));
  EXPECT_EQ(root.dataset_info("layers/multi_head_attention_1/output_dense/vars/0").shape, (Shape{2, 5, 6}));
  EXPECT_TRUE(root.has_dataset("layers/attention/vars/1"));  // scale, concat_score_weight
  EXPECT_TRUE(root.has_dataset("layers/additive_attention/vars/0"));
  EXPECT_TRUE(root.has_dataset("layers/einsum_dense/vars/1"));
}

// Copies an HDF5 tree, renaming groups whose name `rename` maps.
void copy_tree(const h5::Group& from, h5::Group to, const std::function<std::string(const std::string&)>& rename) {
  for (const auto& a : from.attr_names()) to.write_string_attr(a, from.read_string_attr(a));
  for (const auto& n : from.member_names()) {
    if (from.has_dataset(n)) to.write_dataset(n, from.read_dataset(n));
    else copy_tree(from.open_group(n), to.create_group(rename(n)), rename);
  }
}

TEST(AttentionSaving, ReadsKeras30PrivateAttributePaths) {
  // Keras 3.0-3.2 had no query_dense/... properties: the projections were saved under
  // _query_dense, _key_dense, _value_dense and _output_dense.
  auto model = attention_model();
  const auto expected = run(*model);
  test::ScratchDir dir;
  save_weights(*model, dir.file("new.weights.h5"));
  auto old = h5::File::create("old.weights.h5");
  copy_tree(h5::File::open(dir.file("new.weights.h5")).root(), old.root(), [](const std::string& n) {
    return n.size() > 6 && n.substr(n.size() - 6) == "_dense" && n[0] != '_' ? "_" + n : n;
  });
  test::spit(dir.file("old.weights.h5"), old.image());
  ASSERT_TRUE(h5::File::open(dir.file("old.weights.h5")).root().has_group("layers/multi_head_attention/_query_dense"));
  auto fresh = attention_model();
  load_weights(*fresh, dir.file("old.weights.h5"));
  EXPECT_EQ(run(*fresh), expected);
}

// A MultiHeadAttention node as Keras writes `mha(query=q, value=v, attention_mask=m)`:
// every tensor by keyword, plus a Keras 2 style node with the value in its kwargs.
TEST(AttentionSaving, ReadsKeywordArgumentNodes) {
  auto tensor = [](const char* layer) {
    return Config{{"class_name", "__keras_tensor__"},
                  {"config", {{"shape", nullptr}, {"dtype", "float32"}, {"keras_history", {layer, 0, 0}}}}};
  };
  auto input = [](const char* name, Config shape) {
    return Config{{"module", "keras.layers"}, {"class_name", "InputLayer"},
                  {"config", {{"batch_shape", shape}, {"dtype", "float32"}, {"name", name}}},
                  {"registered_name", nullptr}, {"name", name}, {"inbound_nodes", Config::array()}};
  };
  Config mha{{"module", "keras.layers"},
             {"class_name", "MultiHeadAttention"},
             {"config", {{"name", "mha"}, {"num_heads", 2}, {"key_dim", 3}}},
             {"registered_name", nullptr},
             {"name", "mha"},
             {"inbound_nodes", Config::array({Config{{"args", Config::array()},
                                                     {"kwargs", {{"query", tensor("q")}, {"value", tensor("v")},
                                                                 {"attention_mask", tensor("m")},
                                                                 {"use_causal_mask", false}}}}})}};
  Config model{{"module", "keras.src.models.functional"},
               {"class_name", "Functional"},
               {"config",
                {{"name", "kw"},
                 {"trainable", true},
                 {"layers", Config::array({input("q", Config::parse("[null, 4, 8]")),
                                           input("v", Config::parse("[null, 6, 8]")),
                                           input("m", Config::parse("[null, 4, 6]")), mha})},
                 {"input_layers", Config::parse(R"([["q", 0, 0], ["v", 0, 0], ["m", 0, 0]])")},
                 {"output_layers", Config::parse(R"([["mha", 0, 0]])")}}},
               {"registered_name", "Functional"}};
  clear_session();
  auto loaded = model_from_config(model);
  const Tensor q = ramp({2, 4, 8}, 3), v = ramp({2, 6, 8}, 4);
  const auto all = Tensor(loaded->predict(std::vector<Tensor>{q, v, Tensor::from_vector(std::vector<float>(2 * 4 * 6, 1.0f), {2, 4, 6})})).to_vector<float>();
  std::vector<float> band(2 * 4 * 6, 0.0f);
  for (int i = 0; i < 2 * 4 * 6; i += 2) band[static_cast<std::size_t>(i)] = 1.0f;
  const auto masked =
      Tensor(loaded->predict(std::vector<Tensor>{q, v, Tensor::from_vector(band, {2, 4, 6})})).to_vector<float>();
  EXPECT_NE(all, masked);  // the mask reached the layer as its 4th input

  // Keras 2: [[query_ref..., {"value": [layer, node, tensor]}]].
  model["config"]["layers"][3]["inbound_nodes"] = Config::parse(R"([[["q", 0, 0, {"value": ["v", 0, 0]}]]])");
  model["config"]["layers"].erase(2);
  model["config"]["input_layers"] = Config::parse(R"([["q", 0, 0], ["v", 0, 0]])");
  clear_session();
  auto keras2 = model_from_config(model);
  EXPECT_EQ(Tensor(keras2->predict(std::vector<Tensor>{q, v})).shape(), (Shape{2, 4, 8}));
}

}  // namespace
}  // namespace keras::saving
